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
    """Milliseconds of two calls on each text, alternating which goes first."""
    timings = rotated_times(texts, [first, second])
    return timings[0], timings[1]


def rotated_times(
    texts: Sequence[str], calls: Sequence[Callable[[str], object]]
) -> list[list[float]]:
    """Milliseconds of each call on each text, the first call moving one place per text.

    Interleaving puts every call under the same load at the same moment, so their ratios
    hold even when the machine is busy.
    """
    timings: list[list[float]] = [[] for _ in calls]
    for number, text in enumerate(texts):
        for step in range(len(calls)):
            slot = (number + step) % len(calls)
            started = time.perf_counter()
            calls[slot](text)
            timings[slot].append((time.perf_counter() - started) * 1000.0)
    return timings
