"""The indexing pipeline: parse, chunk, embed, write both indexes, swap in.

Incremental: only documents whose content hash changed are chunked and embedded again;
the rest are carried over from the current generation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kb.backends import (
    Embedder,
    Generation,
    Manifest,
    canonical_fingerprint,
    keyword_backend_name,
    open_generation_store,
)
from kb.config import Settings
from kb.errors import ArticleParseError, IndexMismatchError
from kb.indexer.chunk import chunk_document, embedding_text
from kb.model import Chunk, Document, WorkDone

# Bump when the on-disk layout or chunking changes, so old generations are rebuilt.
INDEX_FORMAT = 4
# Chunks embedded between two progress reports.
EMBED_SLICE = 64

# Called as long work advances (chunks embedded, queries run), for a progress display.
Progress = Callable[[WorkDone], None]


@dataclass(frozen=True)
class Snapshot:
    """The complete present content of one kind of knowledge (all articles, all tickets).

    Indexed documents of that kind missing from the snapshot are deleted, except those whose
    source file failed to parse this time: their last good version is kept.
    """

    kind: str
    documents: Sequence[Document]
    errors: Sequence[ArticleParseError] = ()


@dataclass
class IndexReport:
    generation: str | None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_after_error: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    documents: int = 0
    chunks: int = 0
    errors: list[ArticleParseError] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class Indexer:
    """Writes new index generations into the KB's GenerationStore, one writer at a time."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self._settings = settings
        self._embedder = embedder
        self._store = open_generation_store(settings)

    def fingerprint(self) -> dict[str, Any]:
        """What an index depends on besides the documents; a change forces a full rebuild."""
        return {
            "format": INDEX_FORMAT,
            "embedder": self._embedder.name,
            # int8 document vectors differ a little from the model's own, so the two never mix.
            "document_vectors": (
                "int8" if self._settings.document_encoder == "onnx-int8" else "exact"
            ),
            "dimension": self._embedder.dimension,
            "chunk_words": self._settings.chunk_words,
            "languages": list(self._settings.languages),
            "keyword_backend": keyword_backend_name(self._settings.keyword_backend),
            "vector_backend": self._settings.vector_backend,
        }

    def _built_with(self, generation: str) -> dict[str, Any]:
        return canonical_fingerprint(self._store.metadata(generation).get("fingerprint", {}))

    def index(
        self,
        snapshots: Sequence[Snapshot],
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IndexReport:
        """Bring the index in line with `snapshots` and make the result current."""
        started = time.perf_counter()
        errors = [error for snapshot in snapshots for error in snapshot.errors]
        with self._store.lock(self._settings.lock_timeout):
            self._store.clean_up(self._settings.keep_generations)
            previous = self._store.current()
            fingerprint = self.fingerprint()
            reuse = (
                previous is not None and not rebuild and self._built_with(previous) == fingerprint
            )
            manifest: Manifest = {}
            if reuse and previous is not None:
                manifest = self._manifest(previous)
            report, fresh, removals = _plan(manifest, snapshots)
            report.errors = errors
            report.rebuilt = not reuse
            # Delta segments written by `update` are merged into one generation here, even
            # when no document changed.
            segmented = reuse and previous is not None and self._segmented(previous)
            if previous is not None and not report.changed and not segmented:
                report.generation = previous
                report.documents = len(manifest)
                report.chunks = int(self._store.metadata(previous).get("chunks", 0))
            else:
                base = previous if reuse else None
                generation = self._store.begin(base, self._embedder.dimension)
                self._publish(generation, fresh, removals, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def update(
        self,
        documents: Sequence[Document] = (),
        removed: Sequence[str] = (),
        *,
        wait: float | None = None,
    ) -> IndexReport:
        """Add or replace `documents` and delete the ids in `removed`, leaving the rest.

        The quick path for one article saved in the editor or one ticket resolved at the
        desk: only those documents are embedded and looked up, and the change is published
        as a small generation beside the current one (a delta segment, on stores that keep
        them), so its cost does not grow with the KB. Raises IndexMismatchError when the
        current index was built with other settings, since adding to it would mix two kinds
        of vectors, and IndexLockedError when another writer holds the lock for longer than
        `wait` seconds (default: the lock_timeout setting).
        """
        started = time.perf_counter()
        with self._store.lock(self._settings.lock_timeout if wait is None else wait):
            self._store.clean_up(self._settings.keep_generations)
            previous = self._store.current()
            if previous is not None and self._built_with(previous) != self.fingerprint():
                raise IndexMismatchError(
                    f"the index in {self._settings.home} was built with other settings; "
                    "run `kb index --rebuild` before changing single documents"
                )
            generation = self._store.begin(previous, self._embedder.dimension, small=True)
            report = IndexReport(generation=None)
            fresh: list[Document] = []
            removals: list[str] = []
            try:
                # Only the entries of the documents named: reading every one costs per KB.
                manifest = generation.catalog.manifest(
                    [*(document.id for document in documents), *removed]
                )
            except BaseException:
                self._store.discard(generation)
                raise
            for document in documents:
                _compare(manifest, document, report, fresh, removals)
            for document_id in removed:
                if document_id in manifest and document_id not in removals:
                    report.removed.append(document_id)
                    removals.append(document_id)
            if previous is not None and not report.changed:
                self._store.discard(generation)
                metadata = self._store.metadata(previous)
                report.generation = previous
                report.documents = int(metadata.get("documents", 0))
                report.chunks = int(metadata.get("chunks", 0))
            else:
                self._publish(generation, fresh, removals, report, None)
        report.seconds = time.perf_counter() - started
        return report

    def merge(self, at_least: int = 1) -> str | None:
        """Merge the delta segments `update` wrote into a new whole generation once there
        are `at_least` of them, while other writers go on (the store keeps them out only
        to start and to publish); the generation made current, or None."""
        return self._store.compact(self._embedder.dimension, at_least)

    def _segmented(self, name: str) -> bool:
        """Whether the generation is a base with delta segments over it."""
        return len(self._store.metadata(name).get("layers", ())) > 1

    def _manifest(self, name: str) -> Manifest:
        generation = self._store.open(name, self._embedder.dimension)
        try:
            return generation.catalog.manifest()
        finally:
            generation.close()

    def _publish(
        self,
        generation: Generation,
        fresh: Sequence[Document],
        removals: Sequence[str],
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        """Write the changes into the begun `generation` and make it current (or discard it
        on failure); the caller holds the lock."""
        try:
            self._write(generation, fresh, removals, report, progress)
            metadata = {
                "fingerprint": self.fingerprint(),
                "created": datetime.now(UTC).isoformat(),
                "documents": report.documents,
                "chunks": report.chunks,
            }
            report.generation = self._store.publish(generation, metadata)
        except BaseException:
            self._store.discard(generation)
            raise
        self._store.clean_up(self._settings.keep_generations)

    def _write(
        self,
        generation: Generation,
        fresh: Sequence[Document],
        removals: Sequence[str],
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        catalog, keyword, vectors = generation.catalog, generation.keyword, generation.vectors
        if removals:
            keyword.remove(removals)
            vectors.remove(catalog.remove(removals))
        pending: list[tuple[Document, Chunk]] = []
        # How many documents are wholly embedded once pending[:n] is: finished[n].
        finished = [0]
        for document in fresh:
            chunks = chunk_document(document, self._settings.chunk_words)
            keyword.add(document, chunks)
            catalog.put(document, chunks)
            pending.extend((document, chunk) for chunk in chunks)
            if chunks:
                finished.extend([finished[-1]] * (len(chunks) - 1) + [finished[-1] + 1])
            else:
                finished[-1] += 1

        def advance() -> None:
            if progress is not None:
                done = report.chunks_embedded
                progress(WorkDone("chunks", done, len(pending), finished[done], len(fresh)))

        advance()
        for start in range(0, len(pending), EMBED_SLICE):
            batch = pending[start : start + EMBED_SLICE]
            embedded = self._embedder.embed([embedding_text(d, c) for d, c in batch])
            vectors.add([chunk.id for _, chunk in batch], embedded)
            report.chunks_embedded += len(batch)
            advance()
        # Titles alone, for deflection: how well a title names the query's problem.
        for start in range(0, len(fresh), EMBED_SLICE):
            titled = fresh[start : start + EMBED_SLICE]
            catalog.put_title_vectors(
                [document.id for document in titled],
                self._embedder.embed([document.title for document in titled]),
            )
        keyword.commit()
        vectors.commit()
        catalog.commit()
        report.documents, report.chunks = catalog.counts()


def _plan(
    manifest: Manifest, snapshots: Sequence[Snapshot]
) -> tuple[IndexReport, list[Document], list[str]]:
    """Compare snapshots with the manifest: what to add, replace and delete."""
    report = IndexReport(generation=None)
    fresh: list[Document] = []
    removals: list[str] = []
    for snapshot in snapshots:
        broken_paths = {str(error.path) for error in snapshot.errors}
        present = {document.id for document in snapshot.documents}
        for document in snapshot.documents:
            _compare(manifest, document, report, fresh, removals)
        for document_id, (kind, _, path) in manifest.items():
            if kind != snapshot.kind or document_id in present:
                continue
            if path is not None and path in broken_paths:
                report.kept_after_error.append(document_id)
            else:
                report.removed.append(document_id)
                removals.append(document_id)
    return report, fresh, removals


def _compare(
    manifest: Manifest,
    document: Document,
    report: IndexReport,
    fresh: list[Document],
    removals: list[str],
) -> None:
    """Plan one document: new, changed (remove the old, add the new) or unchanged."""
    known = manifest.get(document.id)
    if known is None:
        report.added.append(document.id)
        fresh.append(document)
    elif known[1] != document.content_hash():
        report.updated.append(document.id)
        removals.append(document.id)
        fresh.append(document)
    else:
        report.unchanged += 1
