"""A KB home's index folders: generation folders, CURRENT, the writer's and merger's locks.

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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.errors import IndexLockedError
from kb.indexer.segments import layers_of

CURRENT_FILE = "CURRENT"
LOCK_FILE = "index.lock"
GENERATIONS = "generations"
BUILDING_PREFIX = ".building-"
# A merge of delta segments into a new base is built in `.merging-<time>`, holding
# MERGE_LOCK_FILE but not the writer lock.
MERGING_PREFIX = ".merging-"
MERGE_LOCK_FILE = "merge.lock"
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

    @contextmanager
    def merge_lock(self) -> Iterator[bool]:
        """Hold the merger's lock if no other process does (True), without waiting."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / MERGE_LOCK_FILE, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def start_building(self, prefix: str = BUILDING_PREFIX) -> Path:
        """A fresh hidden folder for a new generation; call only while holding the lock."""
        self.generations.mkdir(parents=True, exist_ok=True)
        folder = self.generations / f"{prefix}{new_name()}"
        folder.mkdir()
        return folder

    def place(self, building: Path, metadata: dict[str, Any], name: str | None = None) -> Path:
        """Rename the built folder into place as generation `name` (default: the building's
        own), synced to disk, without making it current."""
        (building / METADATA_FILE).write_text(json.dumps(metadata, indent=2), "utf-8")
        _sync_tree(building)
        final = self.generations / (name or building.name.removeprefix(BUILDING_PREFIX))
        os.rename(building, final)
        _sync_directory(self.generations)
        return final

    def publish(self, building: Path, metadata: dict[str, Any]) -> Path:
        """Make the built folder the current generation, atomically."""
        final = self.place(building, metadata)
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
        with self.merge_lock() as no_merger:
            for folder in sorted(self.generations.iterdir()):
                # A merger builds without the writer lock: its folder goes only once it died.
                if folder.name.startswith(BUILDING_PREFIX) or (
                    no_merger and folder.name.startswith(MERGING_PREFIX)
                ):
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


def new_name() -> str:
    """A generation's name: the time, so that names sort as generations were made."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def read_metadata(generation: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((generation / METADATA_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    return data


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
