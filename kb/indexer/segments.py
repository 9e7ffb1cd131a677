"""Delta segments on files: a small update written beside the base generation, not a copy of it.

A delta is a generation folder like any other (catalog, keyword and vector parts, published
and made current the same way), holding only the documents it adds, plus `layer.json`: what
it adds and what it removes from the layers below. Its generation.json lists its layers,
base first and itself last. Readers open every layer once and share them between the
generations that stack on them (`LayerCache`); merging the layers into a new base replays
each delta onto a copy of the base (`replay`).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from kb.backends import Catalog, Generation, VectorIndex, open_keyword_index, open_vector_index
from kb.config import Settings
from kb.indexer.bm25_layers import LayeredKeywordIndex, SegmentedKeywordIndex
from kb.indexer.catalog import SqliteCatalog
from kb.indexer.layered_parts import LayeredCatalog, LayeredVectorIndex
from kb.indexer.layers import LayerChanges, LayerStack

LAYER_FILE = "layer.json"
# The parts of one generation folder.
CATALOG_FILE = "catalog.sqlite"
KEYWORD_FOLDER = "keyword"
VECTORS_FOLDER = "vectors"
# Documents replayed from a delta onto the new base at a time.
REPLAY_BATCH = 200


def layers_of(name: str, metadata: dict[str, Any]) -> list[str]:
    """The layers a published generation reads, base first: itself alone unless a delta."""
    layers = metadata.get("layers")
    return [str(layer) for layer in layers] if layers else [name]


def read_changes(folder: Path) -> LayerChanges:
    return LayerChanges.from_json(json.loads((folder / LAYER_FILE).read_text("utf-8")))


def write_changes(folder: Path, changes: LayerChanges) -> None:
    (folder / LAYER_FILE).write_text(json.dumps(changes.to_json()), "utf-8")


class LayerCache:
    """The read-only parts of published layers, opened once and shared while in use.

    Layers never change once published, so every generation stacked on a base reads the
    same opened base: a reader switching to a generation with one more delta opens only
    that delta. A part is closed when the last generation using it is.
    """

    def __init__(self, generations: Path, settings: Settings, dimension: int) -> None:
        self._generations = generations
        self._settings = settings
        self._dimension = dimension
        self._lock = threading.Lock()
        self._opened: dict[tuple[str, str], list[Any]] = {}  # (layer, part): [part, users]

    def acquire(self, names: Sequence[str], part: str) -> list[Any]:
        with self._lock:
            found = []
            for name in names:
                entry = self._opened.get((name, part))
                if entry is None:
                    entry = self._opened[(name, part)] = [self._open(name, part), 0]
                entry[1] += 1
                found.append(entry[0])
            return found

    def release(self, names: Sequence[str], part: str) -> None:
        with self._lock:
            for name in names:
                entry = self._opened.get((name, part))
                if entry is None:
                    continue
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._opened[(name, part)]
                    entry[0].close()

    def changes(self, names: Sequence[str]) -> list[LayerChanges]:
        """The changes of the deltas among `names` (all but the base, the first)."""
        return [read_changes(self.folder(name)) for name in names[1:]]

    def folder(self, name: str) -> Path:
        return self._generations / name

    def _open(self, name: str, part: str) -> Any:
        folder = self._generations / name
        if part == CATALOG_FILE:
            return SqliteCatalog(folder / CATALOG_FILE)
        if part == KEYWORD_FOLDER:
            return open_keyword_index(folder / KEYWORD_FOLDER, self._settings)
        return open_vector_index(folder / VECTORS_FOLDER, self._settings, self._dimension)


class _Lazily:
    """One part of some layers, acquired from the cache the first time a layered part asks."""

    def __init__(self, cache: LayerCache, names: Sequence[str], part: str) -> None:
        self._cache, self._names, self._part = cache, list(names), part
        self._parts: list[Any] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> list[Any]:
        with self._lock:
            if self._parts is None:
                self._parts = self._cache.acquire(self._names, self._part)
            return self._parts

    def release(self) -> None:
        with self._lock:
            if self._parts is not None:
                self._parts = None
                self._cache.release(self._names, self._part)


def open_layered(cache: LayerCache, name: str, names: Sequence[str]) -> Generation:
    """A published layered generation for reading."""
    stack = LayerStack(cache.changes(names))
    return _layered(cache, name, names, stack, None)


def begin_delta(
    cache: LayerCache, building: Path, names: Sequence[str], settings: Settings, dimension: int
) -> tuple[Generation, LayerStack] | None:
    """Writable parts of a new delta in `building` over the published layers `names`.

    None when the keyword backend cannot be scored across segments: the caller copies the
    base instead.
    """
    keyword = open_keyword_index(building / KEYWORD_FOLDER, settings)
    if not isinstance(keyword, SegmentedKeywordIndex):
        keyword.close()
        shutil.rmtree(building / KEYWORD_FOLDER, ignore_errors=True)
        return None
    stack = LayerStack([*cache.changes(names), LayerChanges()])
    try:
        top = (
            SqliteCatalog(building / CATALOG_FILE, writable=True),
            keyword,
            open_vector_index(building / VECTORS_FOLDER, settings, dimension),
        )
    except BaseException:
        keyword.close()
        raise
    return _layered(cache, building.name, names, stack, top), stack


def _layered(
    cache: LayerCache,
    name: str,
    names: Sequence[str],
    stack: LayerStack,
    top: tuple[Catalog, SegmentedKeywordIndex, VectorIndex] | None,
) -> Generation:
    catalogs, keyword, vectors = (
        _Lazily(cache, names, part) for part in (CATALOG_FILE, KEYWORD_FOLDER, VECTORS_FOLDER)
    )
    return Generation(
        name,
        LayeredCatalog(stack, catalogs(), top[0] if top else None, catalogs.release),
        LayeredKeywordIndex(stack, keyword, top[1] if top else None, keyword.release),
        LayeredVectorIndex(stack, vectors, top[2] if top else None, vectors.release),
    )


def replay(cache: LayerCache, names: Sequence[str], target: Generation) -> None:
    """Apply the deltas among `names` (all but the base), in order, to `target`, a writable
    copy of the base: what each removed goes, what it added is added with its vectors."""
    for name in names[1:]:
        changes = read_changes(cache.folder(name))
        removed = sorted(changes.removed_documents)
        target.keyword.remove(removed)
        target.vectors.remove(target.catalog.remove(removed))
        with _layer_parts(cache, name) as (catalog, vectors):
            _copy_documents(catalog, vectors, target)


def _copy_documents(catalog: Catalog, vectors: VectorIndex, target: Generation) -> None:
    document_ids = sorted(catalog.manifest())
    for start in range(0, len(document_ids), REPLAY_BATCH):
        batch = document_ids[start : start + REPLAY_BATCH]
        documents = catalog.documents(batch)
        chunks = catalog.chunks_of(batch)
        chunk_ids: list[str] = []
        for document_id in batch:
            target.keyword.add(documents[document_id], chunks[document_id])
            target.catalog.put(documents[document_id], chunks[document_id])
            chunk_ids.extend(chunk.id for chunk in chunks[document_id])
        target.vectors.add(chunk_ids, vectors.vectors_of(chunk_ids))
        titles = catalog.title_vectors(batch)
        if titles:
            target.catalog.put_title_vectors(list(titles), np.stack(list(titles.values())))


@contextmanager
def _layer_parts(cache: LayerCache, name: str) -> Iterator[tuple[Catalog, VectorIndex]]:
    """The catalog and vector index of one published layer, held for a `with` block."""
    catalog = cache.acquire([name], CATALOG_FILE)[0]
    try:
        vectors = cache.acquire([name], VECTORS_FOLDER)[0]
        try:
            yield catalog, vectors
        finally:
            cache.release([name], VECTORS_FOLDER)
    finally:
        cache.release([name], CATALOG_FILE)
