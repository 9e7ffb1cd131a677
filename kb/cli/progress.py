"""Progress of long work on standard error: a bar redrawn in place on a terminal, plain lines
otherwise (a log file, CI, a pipe), each with the counts, the rate and the time left."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from kb.model import WorkDone

# A terminal line is redrawn at most this often; a plain line is written when another tenth
# of the work is done or this many seconds have passed, whichever comes first.
REDRAW_SECONDS = 0.1
PLAIN_LINE_SECONDS = 10.0
BAR_WIDTH = 24


def describe(label: str, work: WorkDone, seconds: float) -> str:
    """`label: 1,200/3,000 chunks · 410/1,000 documents · 171 chunks/s · 11 s left`."""
    parts = [f"{label}: {work.done:,}/{work.total:,} {work.unit}"]
    if work.documents:
        parts.append(f"{work.documents_done:,}/{work.documents:,} documents")
    if work.done and seconds > 0:
        rate = work.done / seconds
        parts.append(f"{rate:,.0f} {work.unit}/s")
        if work.done < work.total:
            parts.append(f"{duration((work.total - work.done) / rate)} left")
        else:
            parts.append(f"done in {duration(seconds)}")
    elif work.done == 0 and work.total:
        parts.append("starting")
    return " · ".join(parts)


def duration(seconds: float) -> str:
    """`8 s`, `2 min 05 s`, `1 h 04 min`: rounded to what a person waiting cares about."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """`[#########---------------]`: `fraction` of `width` cells filled."""
    filled = round(min(1.0, max(0.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class ProgressDisplay:
    """A progress callback (kb.indexer.pipeline.Progress) writing to `stream`."""

    def __init__(self, label: str, stream: TextIO, terminal: bool) -> None:
        self._label = label
        self._stream = stream
        self._terminal = terminal
        self._started: float | None = None
        self._shown_at = 0.0
        self._shown_done = -1
        self._last: WorkDone | None = None
        self._drawn = False

    def __call__(self, work: WorkDone) -> None:
        now = time.monotonic()
        if self._started is None or (self._last is not None and work.unit != self._last.unit):
            self._started = now
            self._shown_done = -1
        self._last = work
        finished = work.done >= work.total
        if self._terminal:
            if finished or now - self._shown_at >= REDRAW_SECONDS:
                self._draw(work, now)
        elif (
            finished
            or self._shown_done < 0
            or work.done - self._shown_done >= max(1, work.total // 10)
            or now - self._shown_at >= PLAIN_LINE_SECONDS
        ):
            if work.done != self._shown_done:
                self._stream.write(describe(self._label, work, now - self._started) + "\n")
                self._stream.flush()
            self._shown_at, self._shown_done = now, work.done
        if finished and self._terminal:
            self.close()

    def close(self) -> None:
        """End the redrawn line, so what follows starts on a line of its own."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False

    def _draw(self, work: WorkDone, now: float) -> None:
        assert self._started is not None
        text = f"{bar(work.done / work.total if work.total else 1.0)} " + describe(
            self._label, work, now - self._started
        )
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self._stream.write("\r" + text[:width].ljust(width))
        self._stream.flush()
        self._shown_at = now
        self._drawn = True


@contextmanager
def progress_display(label: str, enabled: bool = True) -> Iterator[Callable[[WorkDone], None]]:
    """A progress callback on standard error (a no-op when not `enabled`), closed at the end."""
    if not enabled:
        yield _ignore
        return
    display = ProgressDisplay(label, sys.stderr, sys.stderr.isatty())
    try:
        yield display
    finally:
        display.close()


def _ignore(work: WorkDone) -> None:
    """The callback when progress is not shown."""
