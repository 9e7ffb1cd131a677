"""Timing of calls in milliseconds: wall clock, and the CPU time of the calling thread.

On a machine shared with other work, wall time includes waiting for a core; the calling
thread's CPU time (time.thread_time) counts only its own work, so it says what kb's Python
costs whatever else runs. Library threads (ONNX Runtime's, OpenMP's) are left out: they
spin for a while after each call, and the process's CPU time would charge that spinning to
whatever call comes next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def times(
    texts: Sequence[str],
    call: Callable[[str], object],
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Milliseconds of `call(text)` for each text, by `clock` (wall time unless told)."""
    timings = []
    for text in texts:
        started = clock()
        call(text)
        timings.append((clock() - started) * 1000.0)
    return timings


def paired_times(
    texts: Sequence[str],
    first: Callable[[str], object],
    second: Callable[[str], object],
) -> tuple[list[float], list[float]]:
    """Milliseconds of two calls on each text, alternating which goes first."""
    timings = rotated_times(texts, [first, second])
    return timings[0], timings[1]


def paired_times_with_cpu(
    texts: Sequence[str],
    first: Callable[[str], object],
    second: Callable[[str], object],
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Wall and CPU milliseconds of two calls on each text, alternating which goes first:
    (first wall, second wall, first CPU, second CPU)."""
    wall, cpu = rotated_times_with_cpu(texts, [first, second])
    return wall[0], wall[1], cpu[0], cpu[1]


def rotated_times(
    texts: Sequence[str], calls: Sequence[Callable[[str], object]]
) -> list[list[float]]:
    """Milliseconds of each call on each text, the first call moving one place per text.

    Interleaving puts every call under the same load at the same moment, so their ratios
    hold even when the machine is busy.
    """
    return rotated_times_with_cpu(texts, calls)[0]


def rotated_times_with_cpu(
    texts: Sequence[str], calls: Sequence[Callable[[str], object]]
) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU milliseconds of each call on each text, interleaved as `rotated_times`."""
    wall: list[list[float]] = [[] for _ in calls]
    cpu: list[list[float]] = [[] for _ in calls]
    for number, text in enumerate(texts):
        for step in range(len(calls)):
            slot = (number + step) % len(calls)
            started, started_cpu = time.perf_counter(), time.thread_time()
            calls[slot](text)
            cpu[slot].append((time.thread_time() - started_cpu) * 1000.0)
            wall[slot].append((time.perf_counter() - started) * 1000.0)
    return wall, cpu
