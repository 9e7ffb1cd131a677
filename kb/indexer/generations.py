"""The GenerationStore on files: generations in the KB home (kb.indexer.home), full or as
delta segments over a base (kb.indexer.segments), and merging those into a new base.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Hashable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from kb.backends import Generation, open_keyword_index, open_vector_index
from kb.config import Settings
from kb.errors import IndexLockedError
from kb.indexer.catalog import SqliteCatalog
from kb.indexer.home import (
    BUILDING_PREFIX,
    CURRENT_FILE,
    MERGING_PREFIX,
    METADATA_FILE,
    Home,
    new_name,
    read_metadata,
)
from kb.indexer.layers import LayerStack
from kb.indexer.segments import (
    CATALOG_FILE,
    KEYWORD_FOLDER,
    VECTORS_FOLDER,
    LayerCache,
    begin_delta,
    layers_of,
    open_layered,
    replay,
    write_changes,
)

# Named here too: tests and tools find a home's files through this module.
__all__ = ["CURRENT_FILE", "METADATA_FILE", "FileGenerationStore", "Home", "read_metadata"]


class FileGenerationStore:
    """Index generations as folders of files in the KB home, one machine's embedded default."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._home = Home(settings.home)
        self._caches: dict[int, LayerCache] = {}
        # The layers below each delta begun and not yet published or discarded.
        self._deltas: dict[str, tuple[list[str], LayerStack]] = {}

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        return self._home.lock(timeout)

    def current(self) -> str | None:
        folder = self._home.current()
        return None if folder is None else folder.name

    def marker(self) -> Hashable | None:
        return self._home.current_marker()

    def metadata(self, name: str) -> dict[str, Any]:
        return read_metadata(self._home.generations / name)

    def open(self, name: str, dimension: int) -> Generation:
        layers = self._layers(name)
        if len(layers) > 1:
            return open_layered(self._cache(dimension), name, layers)
        return self._parts(self._home.generations / name, dimension, writable=False)

    def begin(self, base: str | None, dimension: int, *, small: bool = False) -> Generation:
        """A new generation holding what `base` holds; `small` (a few documents will change)
        writes it as a delta over base's layers while there are fewer than index_segments,
        any other begin merges them into a new base."""
        building = self._home.start_building()
        try:
            layers = [] if base is None else self._layers(base)
            if small and 0 < len(layers) <= self._settings.index_segments:
                begun = begin_delta(
                    self._cache(dimension), building, layers, self._settings, dimension
                )
                if begun is not None:
                    generation, stack = begun
                    self._deltas[generation.name] = (layers, stack)
                    return generation
            if layers:
                source = self._home.generations / layers[0]
                for part in (CATALOG_FILE, KEYWORD_FOLDER, VECTORS_FOLDER):
                    _copy(source / part, building / part)
            generation = self._parts(building, dimension, writable=True)
            try:
                replay(self._cache(dimension), layers, generation)
            except BaseException:
                generation.close()
                raise
            return generation
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise

    def publish(self, generation: Generation, metadata: dict[str, Any]) -> str:
        generation.close()
        building = self._home.generations / generation.name
        delta = self._deltas.pop(generation.name, None)
        # The layers are this store's to record: a copied generation's would name folders
        # that are not here.
        metadata = {key: value for key, value in metadata.items() if key != "layers"}
        if delta is not None:
            layers, stack = delta
            write_changes(building, stack.top())
            final = generation.name.removeprefix(BUILDING_PREFIX)
            metadata = {**metadata, "layers": [*layers, final]}
        return self._home.publish(building, metadata).name

    def discard(self, generation: Generation) -> None:
        generation.close()
        self._deltas.pop(generation.name, None)
        shutil.rmtree(self._home.generations / generation.name, ignore_errors=True)

    def clean_up(self, keep: int) -> list[str]:
        return self._home.clean_up(keep)

    def compact(self, dimension: int, at_least: int = 1) -> str | None:
        """Merge the current generation's delta segments into a new base once it has
        `at_least` of them, holding the writer lock only to start and to publish.

        Updates published meanwhile stay deltas, over the new base: the published
        generation is then a folder of metadata alone naming the new base and them. None
        when there was nothing to merge, another merger is at work, or a whole new index
        was published meanwhile.
        """
        if not self._segments_at_least(at_least):
            return None  # the usual answer, found without taking any lock
        with self._home.merge_lock() as alone:
            if not alone:
                return None
            try:
                with self.lock(0.0):
                    current = self.current()
                    layers = [] if current is None else self._layers(current)
                    if len(layers) - 1 < max(1, at_least):
                        return None
                    merging = self._home.start_building(MERGING_PREFIX)
            except IndexLockedError:
                return None  # another writer is at work; the next call tries again
            try:
                return self._merge(merging, layers, dimension)
            finally:
                shutil.rmtree(merging, ignore_errors=True)

    def _segments_at_least(self, count: int) -> bool:
        current = self.current()
        return current is not None and len(self._layers(current)) - 1 >= max(1, count)

    def _merge(self, merging: Path, layers: list[str], dimension: int) -> str | None:
        source = self._home.generations / layers[0]
        for part in (CATALOG_FILE, KEYWORD_FOLDER, VECTORS_FOLDER):
            _copy(source / part, merging / part)
        generation = self._parts(merging, dimension, writable=True)
        try:
            replay(self._cache(dimension), layers, generation)
            generation.keyword.commit()
            generation.vectors.commit()
            generation.catalog.commit()
            documents, chunks = generation.catalog.counts()
        finally:
            generation.close()
        with self.lock(self._settings.lock_timeout):
            current = self.current()
            now = [] if current is None else self._layers(current)
            if current is None or now[: len(layers)] != layers:
                return None
            metadata = {
                key: value for key, value in self.metadata(current).items() if key != "layers"
            }
            merged = {**metadata, "documents": documents, "chunks": chunks, "merged": layers}
            if len(now) == len(layers):
                return self._home.publish(self._renamed(merging), merged).name
            base = self._home.place(merging, merged, new_name())
            view = self._home.start_building()
            layered = {**metadata, "layers": [base.name, *now[len(layers) :]]}
            return self._home.publish(view, layered).name

    def _renamed(self, merging: Path) -> Path:
        """The merged folder as a building folder of a new name, for `publish`."""
        building = self._home.generations / f"{BUILDING_PREFIX}{new_name()}"
        os.rename(merging, building)
        return building

    def _layers(self, name: str) -> list[str]:
        return layers_of(name, self.metadata(name))

    def _cache(self, dimension: int) -> LayerCache:
        cache = self._caches.get(dimension)
        if cache is None:
            cache = self._caches[dimension] = LayerCache(
                self._home.generations, self._settings, dimension
            )
        return cache

    def _parts(self, folder: Path, dimension: int, *, writable: bool) -> Generation:
        catalog = SqliteCatalog(folder / CATALOG_FILE, writable=writable)
        try:
            keyword = open_keyword_index(folder / KEYWORD_FOLDER, self._settings)
            try:
                vectors = open_vector_index(folder / VECTORS_FOLDER, self._settings, dimension)
            except BaseException:
                keyword.close()
                raise
        except BaseException:
            catalog.close()
            raise
        return Generation(folder.name, catalog, keyword, vectors)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    elif source.exists():
        shutil.copy2(source, target)
