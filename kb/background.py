"""A piece of work a `kb serve` worker repeats in a thread of its own (mail, queued notes)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class Repeating:
    """Runs `work` in a daemon thread, again after `pause()` seconds or when woken, until stopped.

    A failure of `work` is logged on `log` with `failure` and the thread goes on: the database
    may be briefly unreachable, and the work must outlive it.
    """

    def __init__(
        self,
        name: str,
        work: Callable[[], object],
        pause: Callable[[], float],
        failure: str,
        log: logging.Logger,
    ) -> None:
        self.name = name
        self._work = work
        self._pause = pause
        self._failure = failure
        self._log = log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Run the work now rather than at the end of the pause."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._work()
            except Exception:
                self._log.exception(self._failure)
            self._wake.wait(self._pause())
