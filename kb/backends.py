"""The swappable parts as small Protocols, and the registry from a setting's name to a class.

Every implementation passes the shared suites in tests/contract/.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from kb.config import Settings
from kb.errors import ConfigError
from kb.model import Chunk, Document

Vectors = npt.NDArray[np.float32]
Ranking = list[tuple[str, float]]


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

    def count(self) -> int: ...

    def close(self) -> None: ...


EMBEDDERS = {
    "sentence-transformers": "kb.indexer.embed:SentenceTransformerEmbedder",
    "hashing": "kb.indexer.embed:HashingEmbedder",
}
KEYWORD_INDEXES = {
    "whoosh": "kb.indexer.keyword:WhooshKeywordIndex",
    "sparse": "kb.indexer.sparse:SparseKeywordIndex",
}
VECTOR_INDEXES = {"faiss": "kb.indexer.vectors:FaissVectorIndex"}


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


def create_embedder(settings: Settings) -> Embedder:
    cls = resolve_backend("embedder", settings.embedder, EMBEDDERS)
    embedder: Embedder = cls(settings)
    return embedder


def open_keyword_index(directory: Path, settings: Settings) -> KeywordIndex:
    cls = resolve_backend("keyword_backend", settings.keyword_backend, KEYWORD_INDEXES)
    index: KeywordIndex = cls(directory, settings)
    return index


def open_vector_index(directory: Path, settings: Settings, dimension: int) -> VectorIndex:
    cls = resolve_backend("vector_backend", settings.vector_backend, VECTOR_INDEXES)
    index: VectorIndex = cls(directory, settings, dimension)
    return index
