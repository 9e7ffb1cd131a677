"""The swappable parts as small Protocols, and the registry from a setting's name to a class.

Every implementation passes the shared suites in tests/contract/.
"""

from __future__ import annotations

import importlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from kb.config import Settings
from kb.errors import ConfigError
from kb.model import Chunk, Document

Vectors = npt.NDArray[np.float32]
Ranking = list[tuple[str, float]]
# Every indexed document id with its kind, content hash and source path (if a file).
Manifest = dict[str, tuple[str, str, str | None]]


@runtime_checkable
class Embedder(Protocol):
    """Turns text into unit-length vectors, so inner product equals cosine."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one normalised row per text, float32, shape (len(texts), dimension)."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Return the normalised vector of one search query, shape (dimension,)."""
        ...


@runtime_checkable
class KeywordIndex(Protocol):
    """Term search over chunks, opened on one folder of one index generation."""

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None: ...

    def remove(self, document_ids: Sequence[str]) -> None: ...

    def commit(self) -> None:
        """Make added and removed chunks durable and visible to `search`."""
        ...

    def search(self, text: str, limit: int) -> Ranking:
        """Return up to `limit` (chunk id, score) pairs, best first; higher is better."""
        ...

    def terms(self, text: str) -> set[str]:
        """The index terms `text` produces, for highlighting matches in snippets."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class VectorIndex(Protocol):
    """Nearest-neighbour search over chunk vectors, opened on one folder of one generation."""

    def add(self, ids: Sequence[str], vectors: Vectors) -> None: ...

    def remove(self, ids: Sequence[str]) -> None: ...

    def commit(self) -> None: ...

    def search(self, vector: Vectors, limit: int) -> Ranking:
        """Return up to `limit` (chunk id, cosine) pairs, best first."""
        ...

    def vectors_of(self, ids: Sequence[str]) -> Vectors:
        """The stored vectors of `ids`, one row each in that order (copying an index without
        embedding again); KeyError names an id the index does not hold."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class Catalog(Protocol):
    """The documents and chunks of one index generation, with content hashes and title vectors.

    The manifest drives incremental indexing; searches look up what a chunk id belongs to.
    """

    def manifest(self, ids: Iterable[str] | None = None) -> Manifest:
        """Every document's entry, or only those of `ids` the catalog holds."""
        ...

    def put(self, document: Document, chunks: Sequence[Chunk]) -> None:
        """Add or replace one document and its chunks."""
        ...

    def put_title_vectors(self, document_ids: Sequence[str], vectors: Vectors) -> None:
        """Store each document's title embedding (one row of `vectors` per id)."""
        ...

    def title_vectors(self, ids: Iterable[str]) -> dict[str, Vectors]:
        """The title embeddings of those documents that have one."""
        ...

    def remove(self, document_ids: Iterable[str]) -> list[str]:
        """Delete documents and their chunks; return the chunk ids that were removed."""
        ...

    def commit(self) -> None: ...

    def documents(self, ids: Iterable[str]) -> dict[str, Document]: ...

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]: ...

    def owners(self, chunk_ids: Iterable[str]) -> dict[str, str]:
        """The document id of each of these chunks the catalog holds (no text is read)."""
        ...

    def chunks_of(self, document_ids: Iterable[str]) -> dict[str, list[Chunk]]:
        """Each given document's chunks by position ([] for one with none, or unknown)."""
        ...

    def linking_to(self, document_id: str) -> list[str]:
        """Ids of the articles whose front-matter `related` names `document_id`, sorted."""
        ...

    def in_category(self, category: str, kind: str = "article") -> list[str]:
        """Ids of the documents of `kind` whose category is `category`, sorted."""
        ...

    def recently_updated(self, limit: int, language: str | None = None) -> list[str]:
        """Ids of up to `limit` public, published articles, the latest front-matter `updated`
        first (undated ones last, ties by id); those in `language`, when given, before any
        other. Internal articles and tickets are never among them."""
        ...

    def counts(self) -> tuple[int, int]:
        """(documents, chunks)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Candidates:
    """What a search fetches before fusion: both rankers' chunks and what they belong to."""

    keyword: Ranking
    semantic: Ranking
    # The document of each candidate chunk the catalog holds.
    owners: dict[str, str]
    # The title embedding of each owning document that has one.
    titles: dict[str, Vectors]
    # Chunks in the vector index: asking for more than this cannot find more.
    total: int


@runtime_checkable
class Retriever(Protocol):
    """Fetches a search's Candidates in one go, where the parts share one server.

    A generation without one asks its parts in turn; on PostgreSQL the keyword ranking, the
    nearest vectors and the catalog's lookups are one statement, one round trip.
    """

    def candidates(self, text: str, vector: Vectors, limit: int) -> Candidates:
        """Up to `limit` chunks from each ranker for `text` and `vector`, best first."""
        ...


@dataclass
class Generation:
    """One index generation's three parts, opened together by a GenerationStore."""

    name: str
    catalog: Catalog
    keyword: KeywordIndex
    vectors: VectorIndex
    retriever: Retriever | None = None
    _closed: bool = field(default=False, repr=False)

    def candidates(self, text: str, vector: Vectors, limit: int) -> Candidates:
        """Up to `limit` chunks from each ranker, their documents, those documents' titles."""
        if self.retriever is not None:
            return self.retriever.candidates(text, vector, limit)
        keyword = self.keyword.search(text, limit)
        semantic = self.vectors.search(vector, limit)
        owners = self.catalog.owners([chunk for chunk, _ in keyword + semantic])
        titles = self.catalog.title_vectors(dict.fromkeys(owners.values()))
        return Candidates(keyword, semantic, owners, titles, self.vectors.count())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.keyword.close()
            self.vectors.close()
            self.catalog.close()


@runtime_checkable
class GenerationStore(Protocol):
    """Where a KB's index generations live: which is current, building the next, opening one.

    A generation is built apart from the current one and becomes current all at once on
    `publish`; readers never see half of it. One writer at a time holds `lock`.
    """

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        """Hold the writer lock; raise IndexLockedError after `timeout` seconds of waiting."""
        ...

    def current(self) -> str | None:
        """The name of the current generation, or None before the first index."""
        ...

    def marker(self) -> Hashable | None:
        """A cheap token that changes whenever another generation becomes current."""
        ...

    def metadata(self, name: str) -> dict[str, Any]:
        """What `publish` recorded for the generation (its fingerprint, counts, time; a
        delta segment's `layers`, base first, on a store that writes them)."""
        ...

    def open(self, name: str, dimension: int) -> Generation:
        """The parts of a published generation, for reading."""
        ...

    def begin(self, base: str | None, dimension: int, *, small: bool = False) -> Generation:
        """Writable parts of a new generation, holding what `base` holds (None: nothing).

        `small` says only a few documents will change, so a store may write the change
        beside `base` (a delta segment) instead of a whole new generation.
        """
        ...

    def publish(self, generation: Generation, metadata: dict[str, Any]) -> str:
        """Make a generation from `begin` current, atomically; return its name."""
        ...

    def discard(self, generation: Generation) -> None:
        """Throw away a generation from `begin` that will not be published."""
        ...

    def compact(self, dimension: int, at_least: int = 1) -> str | None:
        """Merge the small changes written beside the current generation (`begin`'s
        `small`) into a whole one once there are `at_least` of them, keeping other writers
        out only briefly; return the generation made current, or None when there was
        nothing to merge (a store that changes generations in place never has any)."""
        ...

    def clean_up(self, keep: int) -> list[str]:
        """Delete all but the current generation and the `keep` newest before it.

        Also whatever a writer that died left behind (parts begun, never published). Call
        only while holding `lock`. Returns the names removed.
        """
        ...


EMBEDDERS = {
    "sentence-transformers": "kb.indexer.embed:SentenceTransformerEmbedder",
    "hashing": "kb.indexer.embed:HashingEmbedder",
}
KEYWORD_INDEXES = {
    "bm25": "kb.indexer.bm25:BM25KeywordIndex",
    "whoosh": "kb.indexer.whoosh_keyword:WhooshKeywordIndex",
}
# The BM25 backend was called `sparse` before it had its own module: kb.toml files and index
# fingerprints that say so mean `bm25`, and an index built under the old name is not rebuilt.
KEYWORD_ALIASES = {"sparse": "bm25"}
VECTOR_INDEXES = {"faiss": "kb.indexer.vectors:FaissVectorIndex"}
GENERATION_STORES = {
    "files": "kb.indexer.generations:FileGenerationStore",
    "postgresql": "kb.indexer.pg_generations:PostgresGenerationStore",
}
# With index_store `postgresql` the parts live in the database, so these names apply instead.
# A keyword class there also has create_tables(connection, session), run as a generation begins.
POSTGRES_KEYWORD_INDEXES = {
    "postgresql-bm25": "kb.indexer.pg_keyword:PostgresKeywordIndex",
    "postgresql-fulltext": "kb.indexer.pg_fulltext:PostgresFullTextIndex",
}
POSTGRES_VECTOR_INDEXES = {"pgvector": "kb.indexer.pg_vectors:PgvectorIndex"}


def resolve_backend(setting: str, value: str, registry: dict[str, str]) -> Any:
    """Return the class a setting names: a registered name or a dotted `module:Class` path."""
    target = registry.get(value, value)
    if ":" in target:
        module_name, _, attribute = target.partition(":")
    else:
        module_name, _, attribute = target.rpartition(".")
    if not module_name or not attribute:
        names = ", ".join(sorted(registry))
        raise ConfigError(
            f"setting `{setting}` is {value!r}: use one of {names} or a dotted path module:Class"
        )
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute)
    except (ImportError, AttributeError) as error:
        names = ", ".join(sorted(registry))
        raise ConfigError(
            f"setting `{setting}` is {value!r}, which cannot be loaded ({error}); "
            f"use one of {names} or a dotted path module:Class"
        ) from None


def keyword_backend_name(value: str) -> str:
    """The registered name a `keyword_backend` value means (an old alias → today's name)."""
    return KEYWORD_ALIASES.get(value, value)


def canonical_fingerprint(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """An index fingerprint with backend aliases spelt as today's names, for comparing."""
    canonical = dict(fingerprint)
    if isinstance(canonical.get("keyword_backend"), str):
        canonical["keyword_backend"] = keyword_backend_name(canonical["keyword_backend"])
    return canonical


def create_embedder(settings: Settings) -> Embedder:
    cls = resolve_backend("embedder", settings.embedder, EMBEDDERS)
    embedder: Embedder = cls(settings)
    return embedder


def open_keyword_index(directory: Path, settings: Settings) -> KeywordIndex:
    name = keyword_backend_name(settings.keyword_backend)
    cls = resolve_backend("keyword_backend", name, KEYWORD_INDEXES)
    index: KeywordIndex = cls(directory, settings)
    return index


def open_vector_index(directory: Path, settings: Settings, dimension: int) -> VectorIndex:
    cls = resolve_backend("vector_backend", settings.vector_backend, VECTOR_INDEXES)
    index: VectorIndex = cls(directory, settings, dimension)
    return index


def open_generation_store(settings: Settings) -> GenerationStore:
    cls = resolve_backend("index_store", settings.index_store, GENERATION_STORES)
    store: GenerationStore = cls(settings)
    return store
