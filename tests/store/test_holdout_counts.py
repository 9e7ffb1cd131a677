"""True deflection from recorded events: the sessions' SQL summary feeds the holdout counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy

from kb.events import Search, SessionStarted, ShownSuggestion, SuggestionsShown, TicketCreated
from kb.insights.holdout import HoldoutCounts, holdout_counts, holdout_readout
from kb.insights.readout import Filters, Period
from kb.insights.session_rollups import holdout_tallies
from kb.insights.sessions import sessions
from kb.store.events import EventStore

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 3))
START = PERIOD.start + timedelta(hours=9)


def visit(
    store: EventStore, name: str, started: datetime, holdout: bool, ticket: timedelta | None
) -> None:
    store.record(SessionStarted(session_id=name, at=started, holdout=holdout))
    if holdout:
        store.record(Search(session_id=name, at=started, query="vpn drops"))
    else:
        shown = (ShownSuggestion("vpn", 0.7),)
        store.record(
            SuggestionsShown(session_id=name, at=started, query="vpn drops", suggestions=shown)
        )
    if ticket is not None:
        store.record(TicketCreated(session_id=name, at=started + ticket, ticket_id=f"INC-{name}"))


def test_held_out_and_treated_ticket_rates_from_events(engine: sqlalchemy.Engine) -> None:
    store = EventStore(engine)
    visit(store, "held-ticket", START, True, timedelta(hours=3))
    visit(store, "held-quiet", START, True, None)
    # Filed 30 hours later: outside the 24-hour window, so no ticket for the comparison.
    visit(store, "treated-late", START, False, timedelta(hours=30))
    visit(store, "treated-ticket", START + timedelta(hours=1), False, timedelta(minutes=5))
    visit(store, "treated-quiet", START + timedelta(hours=2), False, None)
    # Started the day before the period: not counted.
    visit(store, "before", START - timedelta(days=1), True, timedelta(hours=1))
    # Started an hour before `now`: its window is still open.
    now = START + timedelta(days=1, hours=12)
    visit(store, "open", now - timedelta(hours=1), False, None)

    found = holdout_counts(
        sessions(engine, PERIOD.start, PERIOD.end, Filters()), now=now, window=timedelta(hours=24)
    )
    assert found == HoldoutCounts(
        held_out=2, held_out_tickets=1, treated=3, treated_tickets=1, pending=1
    )
    # The report counts the sessions' roll-up in SQL, and comes to the same.
    window = timedelta(hours=24)
    assert holdout_tallies(engine, PERIOD.start, PERIOD.end, window, now) == found
    readout = holdout_readout(PERIOD, Filters(), found, HoldoutCounts(), share=0.4)
    # 1/2 − 1/3 = 1/6 of a ticket per session, on five sessions: far too few to say.
    assert readout.number("true_deflection").value == 1 / 2 - 1 / 3
    assert str(readout.notes[0]).startswith("Too few sessions to conclude")
