"""The SQL that summarises sessions agrees with the pure definition, session by session."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import timedelta

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
from kb.insights.outcomes import OutcomeTimes, outcome_times, session_outcome
from kb.insights.readout import Filters
from kb.insights.session_rollups import outcome_tallies
from kb.insights.sessions import sessions
from kb.store.events import EventStore
from tests.store.random_visits import START, random_session


@pytest.fixture
def recorded(engine: sqlalchemy.Engine) -> dict[str, list[Event]]:
    chooser = random.Random(20261102)
    store = EventStore(engine)
    by_session: dict[str, list[Event]] = defaultdict(list)
    for number in range(300):
        for event in random_session(chooser, number):
            store.record(event)
            by_session[event.session_id].append(event)
    return by_session


def test_sql_outcome_times_equal_the_pure_definition_for_300_random_sessions(
    engine: sqlalchemy.Engine, recorded: dict[str, list[Event]]
) -> None:
    found = sessions(engine, START, START + timedelta(days=30), Filters())
    assert len(found) == 300
    opened = 0
    for summary in found:
        events = recorded[summary.session_id]
        assert summary.times == outcome_times(events), summary.session_id
        start = events[0]
        assert isinstance(start, SessionStarted)
        assert (summary.started, summary.holdout) == (start.at, start.holdout)
        tickets = [e.at for e in events if isinstance(e, TicketCreated)]
        assert summary.ticket == (min(tickets) if tickets else None)
        opened += summary.times.opened is not None
    # The random walk must exercise both kinds of session.
    assert 50 < opened < 300


def test_the_period_and_filters_choose_sessions_by_their_start(
    engine: sqlalchemy.Engine, recorded: dict[str, list[Event]]
) -> None:
    def first(session: str) -> SessionStarted:
        event = recorded[session][0]
        assert isinstance(event, SessionStarted)
        return event

    day = sessions(engine, START, START + timedelta(days=1), Filters())
    assert {s.session_id for s in day} == {
        name for name in recorded if first(name).at < START + timedelta(days=1)
    }
    spanish = sessions(engine, START, START + timedelta(days=30), Filters(language="es"))
    assert {s.session_id for s in spanish} == {n for n in recorded if first(n).language == "es"}
    network = sessions(engine, START, START + timedelta(days=30), Filters(category="network"))
    assert {s.session_id for s in network} == {
        n for n in recorded if first(n).category == "network"
    }
    assert [s.started for s in day] == sorted(s.started for s in day)


def test_a_session_never_shown_anything_has_no_outcome_times(engine: sqlalchemy.Engine) -> None:
    store = EventStore(engine)
    store.record(SessionStarted(session_id="quiet", at=START))
    store.record(Search(session_id="quiet", at=START, query="vpn"))
    [summary] = sessions(engine, START, START + timedelta(hours=1), Filters())
    assert summary.times == OutcomeTimes(None) and summary.ticket is None


@pytest.mark.parametrize(
    ("window", "hours_later"),
    [(timedelta(hours=24), 20), (timedelta(hours=24), 60), (timedelta(minutes=90), 30)],
)
def test_outcomes_counted_in_sql_equal_the_pure_definition_day_by_day(
    engine: sqlalchemy.Engine,
    recorded: dict[str, list[Event]],
    window: timedelta,
    hours_later: int,
) -> None:
    now = START + timedelta(hours=hours_later)
    days = [(START + timedelta(days=n), START + timedelta(days=n + 1)) for n in range(3)]
    expected: list[Counter[str | None]] = [Counter() for _ in days]
    for events in recorded.values():
        position = next(n for n, (first, last) in enumerate(days) if first <= events[0].at < last)
        expected[position][session_outcome(events, window, now)] += 1
    assert outcome_tallies(engine, days, Filters(), window, now) == expected
    # Pending, decided and never shown all occur, so each branch of the SQL is compared.
    assert {"pending", "not_deflected", None} <= set(sum(expected, Counter()))


def test_the_window_closes_to_the_microsecond_in_sql(engine: sqlalchemy.Engine) -> None:
    """Both ends of the window are included: a ticket exactly `window` after the first
    suggestions undoes a confirmation, one a microsecond later does not; a session is pending
    until `now` passes the end of its window."""
    store = EventStore(engine)
    window = timedelta(hours=24)
    opened = START + timedelta(microseconds=999_999)
    for session, ticket_after in (("edge", window), ("past", window + timedelta(microseconds=1))):
        store.record(SessionStarted(session_id=session, at=opened))
        shown = (ShownSuggestion("vpn", 0.5),)
        store.record(SuggestionsShown(session_id=session, at=opened, query="q", suggestions=shown))
        store.record(SelfResolved(session_id=session, at=opened, article_id="vpn"))
        store.record(TicketCreated(session_id=session, at=opened + ticket_after, ticket_id=session))
    store.record(SessionStarted(session_id="open", at=opened))
    store.record(SuggestionsShown(session_id="open", at=opened, query="q", suggestions=shown))
    day = [(START, START + timedelta(days=1))]
    at_the_end = outcome_tallies(engine, day, Filters(), window, opened + window)
    assert at_the_end == [Counter({"not_deflected": 1, "confirmed": 1, "pending": 1})]
    later = opened + window + timedelta(microseconds=1)
    assert outcome_tallies(engine, day, Filters(), window, later) == [
        Counter({"not_deflected": 1, "confirmed": 1, "no_signal": 1})
    ]
    assert outcome_tallies(engine, [], Filters(), window, later) == []
