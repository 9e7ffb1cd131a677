"""The holdout readout: true deflection counted by hand from sessions and their tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kb.insights.holdout import (
    MINIMUM_SESSIONS,
    HoldoutCounts,
    holdout_counts,
    holdout_readout,
    verdict,
)
from kb.insights.outcomes import OutcomeTimes
from kb.insights.readout import Filters, Period
from kb.insights.sessions import SessionSummary

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 8))


def session(
    name: str, holdout: bool, ticket_after: timedelta | None, started: datetime = START
) -> SessionSummary:
    return SessionSummary(
        session_id=name,
        started=started,
        holdout=holdout,
        category=None,
        language=None,
        times=OutcomeTimes(None),
        ticket=None if ticket_after is None else started + ticket_after,
    )


def test_each_group_counts_sessions_whose_window_closed_and_tickets_inside_it() -> None:
    now = START + 3 * DAY
    found = holdout_counts(
        [
            session("ticket after 2 hours", True, timedelta(hours=2)),
            # A ticket a day and an hour later is outside the 24-hour window.
            session("ticket too late", True, timedelta(hours=25)),
            session("no ticket", True, None),
            # The window's end is included.
            session("ticket at the window's end", False, DAY),
            session("still open", False, None, started=now - timedelta(hours=1)),
        ],
        now=now,
        window=DAY,
    )
    assert found == HoldoutCounts(
        held_out=3, held_out_tickets=1, treated=1, treated_tickets=1, pending=1
    )


def test_a_shorter_window_closes_sooner_and_holds_fewer_tickets() -> None:
    sessions = [session("a", True, timedelta(hours=2)), session("b", False, timedelta(hours=2))]
    found = holdout_counts(sessions, now=START + timedelta(hours=1, minutes=30), window=DAY / 24)
    assert found == HoldoutCounts(1, 0, 1, 0, 0)


def counts(held_out: tuple[int, int], treated: tuple[int, int]) -> HoldoutCounts:
    return HoldoutCounts(held_out[0], held_out[1], treated[0], treated[1])


@pytest.mark.parametrize(
    ("found", "share", "says"),
    [
        (counts((0, 0), (50, 10)), 0.0, "No session was held out: set holdout_share"),
        (counts((0, 0), (50, 10)), 0.05, "No held-out session has closed its window yet"),
        # 9/10 against 3/10 clears zero (0.17 to 0.81) but ten sessions are anecdote.
        (
            counts((10, 9), (10, 3)),
            0.05,
            "Too few sessions to conclude: each group needs at "
            "least 30 sessions whose window has closed (10 held out, 10 treated so far).",
        ),
        # 10/40 = 0.25 against 90/400 = 0.225: the interval spans zero.
        (counts((40, 10), (400, 90)), 0.05, "the 95% interval of the difference spans zero"),
        # Newcombe's 56/70 − 48/80 = 0.2 (0.0524 to 0.3339).
        (
            counts((70, 56), (80, 48)),
            0.05,
            "Suggestions prevent tickets: treated sessions "
            "file 20.0 fewer tickets per 100 sessions than held-out ones.",
        ),
        (
            counts((80, 48), (70, 56)),
            0.05,
            "file 20.0 more tickets per 100 sessions than "
            "held-out ones: the suggestions are not preventing tickets.",
        ),
    ],
)
def test_verdict(found: HoldoutCounts, share: float, says: str) -> None:
    assert says in str(verdict(found, share))


def test_the_minimum_is_per_group() -> None:
    just_enough = counts((MINIMUM_SESSIONS, 28), (MINIMUM_SESSIONS * 10, 60))
    assert "Suggestions prevent tickets" in str(verdict(just_enough, 0.05))
    one_short = counts((MINIMUM_SESSIONS - 1, 27), (MINIMUM_SESSIONS * 10, 60))
    assert "Too few sessions" in str(verdict(one_short, 0.05))


def test_readout_rows_numbers_and_chart() -> None:
    readout = holdout_readout(
        PERIOD,
        Filters(),
        HoldoutCounts(70, 56, 80, 48, pending=4),
        HoldoutCounts(0, 0, 20, 5),
        share=0.05,
        window=DAY,
    )
    [held_out, treated, difference] = readout.table("groups").rows
    assert held_out["sessions"] == 70 and held_out["tickets"] == 56 and held_out["rate"] == 0.8
    # Wilson's interval for 56/70: centre 0.8274 / 1.0549 = 0.7844, half-width 0.0926.
    assert (round(held_out["low"], 4), round(held_out["high"], 4)) == (0.6918, 0.8770)
    assert treated["rate"] == 0.6
    assert difference["rate"] == pytest.approx(0.2)
    assert (round(difference["low"], 4), round(difference["high"], 4)) == (0.0524, 0.3339)
    assert readout.number("true_deflection").value == pytest.approx(0.2)
    # The period before had no held-out session: nothing to compare with.
    assert readout.number("true_deflection").previous is None
    assert readout.number("treated_sessions").change == 60
    assert readout.number("treated_rate").previous == 0.25
    assert readout.charts[0].series == ("rate", "low", "high")
    assert str(readout.notes[0]).startswith("Suggestions prevent tickets")
    assert "4 sessions of the period are still inside their window" in str(readout.notes[1])
    assert readout.to_json()["tables"][0]["rows"][2]["group"] == "Difference (true deflection)"


def test_readout_without_sessions_is_empty_and_says_why() -> None:
    readout = holdout_readout(
        PERIOD, Filters(category="network"), HoldoutCounts(), HoldoutCounts(), share=0.0
    )
    assert readout.table("groups").rows == ()
    assert "holdout_share" in str(readout.table("groups").empty)
    assert readout.number("true_deflection").value is None
    assert str(readout.notes[0]).startswith("No session was held out")
    assert any("filters do not apply" in str(note) for note in readout.notes)
