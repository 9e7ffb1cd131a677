"""The GenerationStore on files: generation folders in the KB home, CURRENT, the writer lock.

A generation is built in a hidden folder beside the live ones, renamed into place, and made
current by atomically replacing the CURRENT file. A crash at any point leaves the previous
generation current; what it leaves behind (a hidden folder, a generation never made current,
a pointer file never renamed) is removed by the next writer, which calls `clean_up`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.backends import Generation, open_keyword_index, open_vector_index
from kb.config import Settings
from kb.errors import IndexLockedError
from kb.indexer.catalog import SqliteCatalog
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

CURRENT_FILE = "CURRENT"
LOCK_FILE = "index.lock"
GENERATIONS = "generations"
BUILDING_PREFIX = ".building-"
METADATA_FILE = "generation.json"
# The new CURRENT is written to `.CURRENT.<pid>` and renamed over CURRENT.
POINTER_PREFIX = f".{CURRENT_FILE}."
# Files flushed to disk at a time when a generation is published.
SYNC_THREADS = 16


class Home:
    """One KB home folder (`--home`, KB_HOME, default ./.kb)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def generations(self) -> Path:
        return self.path / GENERATIONS

    def current(self) -> Path | None:
        """The folder of the current generation, or None before the first index."""
        try:
            name = (self.path / CURRENT_FILE).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        folder = self.generations / name
        return folder if folder.is_dir() else None

    def current_marker(self) -> tuple[int, int] | None:
        """A cheap token that changes whenever CURRENT is replaced."""
        try:
            status = (self.path / CURRENT_FILE).stat()
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_mtime_ns)

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """Hold the writer lock; wait up to `timeout` seconds for another writer to finish."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK_FILE, "a+", encoding="utf-8") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        handle.seek(0)
                        holder = handle.read().strip() or "another process"
                        raise IndexLockedError(
                            f"{self.path} is being indexed by {holder}; wait for it to finish "
                            f"(waited {timeout:g} s; raise `lock_timeout` to wait longer)"
                        ) from None
                    time.sleep(0.1)
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def start_building(self) -> Path:
        """A fresh hidden folder for a new generation; call only while holding the lock."""
        self.generations.mkdir(parents=True, exist_ok=True)
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = self.generations / f"{BUILDING_PREFIX}{name}"
        folder.mkdir()
        return folder

    def publish(self, building: Path, metadata: dict[str, Any]) -> Path:
        """Make the built folder the current generation, atomically."""
        (building / METADATA_FILE).write_text(json.dumps(metadata, indent=2), "utf-8")
        _sync_tree(building)
        final = self.generations / building.name.removeprefix(BUILDING_PREFIX)
        os.rename(building, final)
        _sync_directory(self.generations)
        pointer = self.path / f"{POINTER_PREFIX}{os.getpid()}"
        with open(pointer, "w", encoding="utf-8") as handle:
            handle.write(final.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer, self.path / CURRENT_FILE)
        _sync_directory(self.path)
        return final

    def clean_up(self, keep: int) -> list[str]:
        """Delete everything but the current generation and the `keep` newest before it.

        That is: older generations past `keep`, generations newer than the current one (a
        writer died between renaming one into place and switching CURRENT, so no reader ever
        opened it), hidden building folders and pointer files left by a crash. Call only
        while holding the lock, so nothing removed here belongs to a live writer. Without a
        current generation every generation is unreachable and goes too. Returns the names
        removed.
        """
        removed: list[str] = []
        for pointer in self.path.glob(POINTER_PREFIX + "*"):
            pointer.unlink(missing_ok=True)
            removed.append(pointer.name)
        if not self.generations.is_dir():
            return removed
        current = self.current()
        names = []
        for folder in sorted(self.generations.iterdir()):
            if folder.name.startswith(BUILDING_PREFIX):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
            elif folder.is_dir() and not folder.name.startswith("."):
                names.append(folder.name)
        if current is None:
            doomed = names
        else:
            older = [name for name in names if name < current.name]
            newer = [name for name in names if name > current.name]
            doomed = older[: max(0, len(older) - keep)] + newer
            # A kept generation's layers (its base and deltas) stay however old they are.
            kept = [current.name, *older[max(0, len(older) - keep) :]]
            needed = {
                layer
                for name in kept
                for layer in layers_of(name, read_metadata(self.generations / name))
            }
            doomed = [name for name in doomed if name not in needed]
        for name in doomed:
            shutil.rmtree(self.generations / name, ignore_errors=True)
        return removed + doomed


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


def read_metadata(generation: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((generation / METADATA_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    return data


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    elif source.exists():
        shutil.copy2(source, target)


def _sync_tree(folder: Path) -> None:
    """Flush every file of `folder`, then every folder in it, to disk.

    The flushes run side by side: the file system commits concurrent ones together, so a
    delta segment's dozen small files cost about one disk flush instead of one each.
    """
    files: list[Path] = []
    folders: list[Path] = []
    for root, _, names in os.walk(folder):
        folders.append(Path(root))
        files.extend(Path(root) / name for name in names)
    with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
        list(pool.map(_sync_file, files))
        list(pool.map(_sync_directory, folders))


def _sync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
