"""Wall-clock timing of calls, in milliseconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def times(texts: Sequence[str], call: Callable[[str], object]) -> list[float]:
    """Milliseconds of `call(text)` for each text."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings


def paired_times(
    texts: Sequence[str],
    first: Callable[[str], object],
    second: Callable[[str], object],
) -> tuple[list[float], list[float]]:
    """Milliseconds of two calls on each text, alternating which goes first.

    Interleaving puts both under the same load at the same moment, so their ratio holds
    even when the machine is busy.
    """
    timings: tuple[list[float], list[float]] = ([], [])
    for number, text in enumerate(texts):
        order = ((0, first), (1, second)) if number % 2 == 0 else ((1, second), (0, first))
        for slot, call in order:
            started = time.perf_counter()
            call(text)
            timings[slot].append((time.perf_counter() - started) * 1000.0)
    return timings
