"""Progress lines of long work: what they say, and when they are written."""

from __future__ import annotations

import io

import pytest

from kb.cli.progress import ProgressDisplay, bar, describe, duration
from kb.model import WorkDone


@pytest.mark.parametrize(
    ("work", "seconds", "expected"),
    [
        (
            WorkDone("chunks", 0, 3000, 0, 1000),
            0.0,
            "kb index: 0/3,000 chunks · 0/1,000 documents · starting",
        ),
        (
            WorkDone("chunks", 1200, 3000, 410, 1000),
            7.0,
            "kb index: 1,200/3,000 chunks · 410/1,000 documents · 171 chunks/s · 10 s left",
        ),
        (
            WorkDone("chunks", 3000, 3000, 1000, 1000),
            17.6,
            "kb index: 3,000/3,000 chunks · 1,000/1,000 documents · 170 chunks/s · done in 18 s",
        ),
        (WorkDone("queries", 50, 625), 1.0, "kb index: 50/625 queries · 50 queries/s · 12 s left"),
    ],
)
def test_a_line_gives_counts_rate_and_time_left(
    work: WorkDone, seconds: float, expected: str
) -> None:
    assert describe("kb index", work, seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.4, "0 s"), (59.4, "59 s"), (125, "2 min 05 s"), (3840, "1 h 04 min")],
)
def test_durations_read_as_a_person_waits(seconds: float, expected: str) -> None:
    assert duration(seconds) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.0, "[----]"), (0.5, "[##--]"), (1.0, "[####]"), (1.7, "[####]")],
)
def test_bar(fraction: float, expected: str) -> None:
    assert bar(fraction, width=4) == expected


def test_without_a_terminal_plain_lines_at_the_start_every_tenth_and_the_end() -> None:
    stream = io.StringIO()
    display = ProgressDisplay("kb index", stream, terminal=False)
    for done in range(0, 101):
        display(WorkDone("chunks", done, 100, done // 2, 50))
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0].startswith("kb index: 0/100 chunks")
    assert [line.split()[2] for line in lines[1:]] == [f"{n}/100" for n in range(10, 101, 10)]
    assert lines[-1].endswith(lines[-1].split(" · ")[-1]) and "done in" in lines[-1]


def test_on_a_terminal_one_line_redrawn_then_ended() -> None:
    stream = io.StringIO()
    display = ProgressDisplay("kb index", stream, terminal=True)
    display(WorkDone("chunks", 0, 10, 0, 2))
    display(WorkDone("chunks", 10, 10, 2, 2))
    output = stream.getvalue()
    assert output.count("\r") == 2 and output.endswith("\n") and output.count("\n") == 1
    assert "[" + "#" * 24 + "]" in output and "2/2 documents" in output


def test_a_new_unit_starts_its_own_count_and_clock() -> None:
    stream = io.StringIO()
    display = ProgressDisplay("kb eval", stream, terminal=False)
    display(WorkDone("chunks", 10, 10, 5, 5))
    display(WorkDone("queries", 0, 4))
    display(WorkDone("queries", 4, 4))
    assert [line.split(" · ")[0] for line in stream.getvalue().splitlines()] == [
        "kb eval: 10/10 chunks",
        "kb eval: 0/4 queries",
        "kb eval: 4/4 queries",
    ]
