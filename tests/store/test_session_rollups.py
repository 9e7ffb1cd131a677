"""The session roll-up answers as the events do: its outcome and holdout counts equal the
direct computation over the same events, also after events arrive, move or are pruned for
sessions already rolled up, and at the edges of the window and of the period."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy

from kb.events import (
    Event,
    Search,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.holdout import HoldoutCounts, holdout_counts
from kb.insights.outcomes import outcome
from kb.insights.readout import Filters
from kb.insights.session_rollups import (
    RollupRefresher,
    holdout_tallies,
    outcome_tallies,
    refresh,
)
from kb.insights.sessions import sessions
from kb.store.events import EventStore
from kb.store.tables import StaleSessionRow
from tests.store.random_visits import random_session

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(hours=24)
DAYS = [(START + timedelta(days=n), START + timedelta(days=n + 1)) for n in range(3)]


def direct_tallies(
    engine: sqlalchemy.Engine, filters: Filters, now: datetime
) -> list[Counter[str | None]]:
    """Outcomes judged in Python over the summaries SQL reads straight from the events."""
    found: list[Counter[str | None]] = []
    for first, last in DAYS:
        found.append(
            Counter(
                outcome(summary.times, WINDOW, now)
                for summary in sessions(engine, first, last, filters)
            )
        )
    return found


def direct_holdout(engine: sqlalchemy.Engine, now: datetime) -> HoldoutCounts:
    return holdout_counts(sessions(engine, DAYS[0][0], DAYS[-1][1], Filters()), now, WINDOW)


def agree(engine: sqlalchemy.Engine, now: datetime) -> None:
    for filters in (Filters(), Filters(language="es"), Filters(category="network")):
        assert outcome_tallies(engine, DAYS, filters, WINDOW, now) == direct_tallies(
            engine, filters, now
        ), filters
    assert holdout_tallies(engine, DAYS[0][0], DAYS[-1][1], WINDOW, now) == direct_holdout(
        engine, now
    )


@pytest.mark.parametrize("hours_later", [20, 60])
def test_the_roll_up_agrees_with_the_events_as_they_keep_arriving(
    engine: sqlalchemy.Engine, hours_later: int
) -> None:
    """Sessions recorded in three rounds, each rolled up before the next: events of the later
    rounds land in sessions and days already rolled up, some earlier than events there."""
    chooser = random.Random(11)
    store = EventStore(engine)
    now = START + timedelta(hours=hours_later)
    planned: list[Event] = []
    for number in range(240):
        planned.extend(random_session(chooser, number))
    chooser.shuffle(planned)
    # Each session's start first: the direct computation and the roll-up only know sessions
    # that started; everything else about them arrives in any order, across rounds.
    starts = [event for event in planned if isinstance(event, SessionStarted)]
    rest = [event for event in planned if not isinstance(event, SessionStarted)]
    for event in starts:
        store.record(event)
    third = len(rest) // 3
    for part in (rest[:third], rest[third : 2 * third], rest[2 * third :]):
        for event in part:
            store.record(event)
        agree(engine, now)
    found = sum(outcome_tallies(engine, DAYS, Filters(), WINDOW, now), Counter())
    assert {"pending", "not_deflected", "confirmed", None} <= set(found)
    assert refresh(engine) == 0


def test_a_ticket_for_a_session_rolled_up_days_ago_changes_its_outcome(
    engine: sqlalchemy.Engine,
) -> None:
    store = EventStore(engine)
    shown = (ShownSuggestion("vpn", 0.5),)
    store.record(SessionStarted(session_id="late", at=START))
    store.record(SuggestionsShown(session_id="late", at=START, query="vpn", suggestions=shown))
    store.record(SelfResolved(session_id="late", at=START, article_id="vpn"))
    now = START + timedelta(days=3)
    assert outcome_tallies(engine, DAYS[:1], Filters(), WINDOW, now) == [Counter({"confirmed": 1})]
    # Recorded late (a worker's queue, an import) but it happened within the window.
    store.record(TicketCreated(session_id="late", at=START + WINDOW, ticket_id="INC-1"))
    assert outcome_tallies(engine, DAYS[:1], Filters(), WINDOW, now) == [
        Counter({"not_deflected": 1})
    ]
    assert holdout_tallies(engine, START, START + timedelta(days=1), WINDOW, now) == (
        HoldoutCounts(treated=1, treated_tickets=1)
    )


def test_moved_and_pruned_sessions_leave_the_roll_up(engine: sqlalchemy.Engine) -> None:
    store = EventStore(engine)
    for name, at in (("old", START - timedelta(days=10)), ("moving", START)):
        store.record(SessionStarted(session_id=name, at=at))
        store.record(Search(session_id=name, at=at, query="vpn"))
    now = START + timedelta(days=3)
    everything = [(START - timedelta(days=20), START + timedelta(days=1))]
    assert outcome_tallies(engine, everything, Filters(), WINDOW, now) == [Counter({None: 2})]
    store.move_session("moving", "moved")
    store.prune(START - timedelta(days=5))
    assert outcome_tallies(engine, everything, Filters(), WINDOW, now) == [Counter({None: 1})]
    assert [summary.session_id for summary in sessions(engine, *everything[0], Filters())] == [
        "moved"
    ]
    store.record(TicketCreated(session_id="moved", at=START, ticket_id="INC-2"))
    assert holdout_tallies(engine, *everything[0], WINDOW, now) == HoldoutCounts(
        treated=1, treated_tickets=1
    )


def test_the_holdout_window_and_the_period_close_to_the_microsecond(
    engine: sqlalchemy.Engine,
) -> None:
    """A session started at the period's first instant counts and one at its end does not; a
    ticket exactly `window` after the start counts, one a microsecond later does not; a
    session is pending while its window's end is after `now`."""
    store = EventStore(engine)
    start, end = DAYS[0]
    cases = (
        ("first-instant", start, WINDOW, True),
        ("late-ticket", start, WINDOW + timedelta(microseconds=1), True),
        ("last-instant", end - timedelta(microseconds=1), timedelta(0), False),
        ("next-period", end, timedelta(0), False),
    )
    for name, at, ticket_after, held_out in cases:
        store.record(SessionStarted(session_id=name, at=at, holdout=held_out))
        store.record(TicketCreated(session_id=name, at=at + ticket_after, ticket_id=name))
    closing = end - timedelta(microseconds=1) + WINDOW
    for now in (closing - timedelta(microseconds=1), closing, closing + timedelta(days=1)):
        found = holdout_tallies(engine, start, end, WINDOW, now)
        assert found == holdout_counts(sessions(engine, start, end, Filters()), now, WINDOW)
    assert holdout_tallies(engine, start, end, WINDOW, closing - timedelta(microseconds=1)) == (
        HoldoutCounts(held_out=2, held_out_tickets=1, pending=1)
    )
    assert holdout_tallies(engine, start, end, WINDOW, closing) == HoldoutCounts(
        held_out=2, held_out_tickets=1, treated=1, treated_tickets=1
    )


def test_edges_with_a_gap_between_them_are_refused(engine: sqlalchemy.Engine) -> None:
    apart = [DAYS[0], DAYS[2]]
    with pytest.raises(ValueError, match="start where the one before it ended"):
        outcome_tallies(engine, apart, Filters(), WINDOW, START)


def stale(engine: sqlalchemy.Engine) -> int:
    with engine.connect() as connection:
        query = sqlalchemy.select(sqlalchemy.func.count()).select_from(StaleSessionRow)
        return int(connection.execute(query).scalar_one())


def test_a_serving_worker_computes_stale_sessions_without_a_report(
    engine: sqlalchemy.Engine,
) -> None:
    store = EventStore(engine)
    store.record(SessionStarted(session_id="quiet", at=START))
    store.record(TicketCreated(session_id="quiet", at=START, ticket_id="INC-3"))
    assert stale(engine) == 2
    refresher = RollupRefresher(engine, pause=0.05)
    refresher.start()
    try:
        # The thread's first round starts at once; give a loaded machine a minute for it.
        deadline = time.monotonic() + 60
        while stale(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        refresher.stop()
    assert stale(engine) == 0
    # Computed by the thread, not by this reading (nothing was left to compute).
    assert refresh(engine) == 0
    assert holdout_tallies(engine, START, START + timedelta(days=1), WINDOW, START) == (
        HoldoutCounts(pending=1)
    )
