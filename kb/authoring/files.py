"""Article files on disk for the editor: one save at a time, reading, writing atomically."""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import BusyError, NotFoundError

LOCK_FILE = "authoring.lock"


@contextmanager
def one_save_at_a_time(home: Path, timeout: float) -> Iterator[None]:
    """Hold the home's editor lock, across processes, so that a save's check, write, record
    and indexing happen together; BusyError after `timeout` seconds of waiting."""
    home.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(home / LOCK_FILE, "a+", encoding="utf-8") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BusyError("another save is taking long; try again") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def no_article(article_id: str) -> str:
    return f"there is no article {article_id!r} in the articles folder"


def read_text(path: Path, article_id: str) -> str:
    """The article file's text; NotFoundError when it is gone."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        # Deleted (e.g. by a git checkout) since the folder was listed.
        raise NotFoundError(no_article(article_id)) from None


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: a temporary file in the same folder, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    # A hidden name, so that a reader scanning the folder never picks up a half-written file.
    handle = tempfile.NamedTemporaryFile(
        "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
