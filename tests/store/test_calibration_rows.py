"""Calibration from recorded events: the SQL groups and session predictions, checked against
sessions worked out by hand, then the readout drawn from them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy

from kb.events import (
    ArticleView,
    Event,
    Feedback,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.calibration import calibration_readout
from kb.insights.calibration_fit import ScoreGroup, SessionLabel
from kb.insights.calibration_rows import calibration_inputs, suggestion_scores
from kb.insights.readout import Filters, Period
from kb.store.events import EventStore

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 3))
T = PERIOD.start + timedelta(hours=9)
WINDOW = timedelta(hours=24)
NOW = T + timedelta(days=3)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def shown(
    session: str,
    minute: float,
    deflection: float,
    *pairs: tuple[str, float],
    category: str | None = None,
    known: tuple[str, ...] = (),
) -> SuggestionsShown:
    return SuggestionsShown(
        session_id=session,
        at=T + minutes(minute),
        query="vpn keeps dropping",
        suggestions=tuple(ShownSuggestion(item, probability) for item, probability in pairs),
        deflection=deflection,
        known_issues=known,
        category=category,
    )


def record(store: EventStore, *events: Event) -> None:
    for event in events:
        if not store.session(event.session_id):
            store.record(SessionStarted(session_id=event.session_id, at=event.at))
        store.record(event)


def record_sessions(store: EventStore) -> None:
    # Probabilities are sums of halves so that they are exact in binary and in SQL.
    # solved: vpn (0.8125) opened and "this solved it": a confirmed deflection at 0.75.
    record(
        store,
        shown("solved", 0, 0.75, ("vpn", 0.8125), ("wifi", 0.4375), category="network"),
        ArticleView(session_id="solved", at=T + minutes(1), article_id="vpn", source="suggestion"),
        SelfResolved(session_id="solved", at=T + minutes(2), article_id="vpn"),
    )
    # voted-down: printer voted unhelpful, nothing else: no session outcome.
    record(
        store,
        shown("voted-down", 10, 0.4375, ("printer", 0.5625), category="hardware"),
        Feedback(session_id="voted-down", at=T + minutes(11), article_id="printer", helpful=False),
    )
    # ticket: vpn shown at 0.625, then with mail at 0.375; a ticket about the same problem
    # counts against vpn; suggestions shown after the ticket are not the session's prediction.
    record(
        store,
        shown("ticket", 20, 0.25, ("vpn", 0.625), category="network"),
        shown("ticket", 21, 0.5, ("vpn", 0.6875), ("mail", 0.375), category="network"),
        ArticleView(session_id="ticket", at=T + minutes(22), article_id="vpn", source="suggestion"),
        TicketCreated(session_id="ticket", at=T + minutes(23), ticket_id="INC-1", failed=("vpn",)),
        shown("ticket", 24, 0.875, ("reset", 0.75), category="network"),
    )
    # known-only: only a known issue was offered, then a ticket: no answer stood behind it.
    record(
        store,
        shown("known-only", 30, 0.0, known=("PRB-000001",)),
        TicketCreated(session_id="known-only", at=T + minutes(31), ticket_id="INC-2"),
    )
    # filed-first: a ticket before any answer was shown, then vpn shown (0.625) and solved
    # it: the earlier ticket decides nothing, as in the session's outcome.
    record(
        store,
        TicketCreated(session_id="filed-first", at=T + minutes(35), ticket_id="INC-3"),
        shown("filed-first", 36, 0.625, ("vpn", 0.625)),
        SelfResolved(session_id="filed-first", at=T + minutes(37), article_id="vpn"),
    )
    # potential: wifi viewed from the suggestion, no ticket: neither resolved nor not.
    record(
        store,
        shown("potential", 40, 0.375, ("wifi", 0.5), category="network"),
        ArticleView(
            session_id="potential", at=T + minutes(41), article_id="wifi", source="suggestion"
        ),
    )
    # before: the day before the period.
    record(
        store,
        SuggestionsShown(
            session_id="before",
            at=T - timedelta(days=1),
            query="vpn",
            suggestions=(ShownSuggestion("vpn", 0.9375),),
            deflection=0.9,
        ),
        SelfResolved(session_id="before", at=T - timedelta(days=1), article_id="vpn"),
    )


def test_suggestions_are_grouped_by_probability_with_their_label(
    engine: sqlalchemy.Engine,
) -> None:
    record_sessions(EventStore(engine))
    found = suggestion_scores(engine, PERIOD.start, PERIOD.end, Filters())
    # One per session and document, at the probability it was last shown with there.
    assert sorted(found, key=lambda group: group.step) == [
        ScoreGroup(375, None, 1, 0.375),  # mail, ticket: no signal about it
        ScoreGroup(437, None, 1, 0.4375),  # wifi, solved: another answer solved it
        ScoreGroup(500, None, 1, 0.5),  # wifi, potential: viewed only
        ScoreGroup(562, 0, 1, 0.5625),  # printer: voted unhelpful
        ScoreGroup(625, 1, 1, 0.625),  # vpn, filed-first: solved after the ticket
        ScoreGroup(687, 0, 1, 0.6875),  # vpn, ticket: the ticket counts against it
        ScoreGroup(750, None, 1, 0.75),  # reset, shown after the ticket
        ScoreGroup(812, 1, 1, 0.8125),  # vpn, solved
    ]


def test_filters_choose_suggestions_by_what_they_were_about(engine: sqlalchemy.Engine) -> None:
    record_sessions(EventStore(engine))
    hardware = suggestion_scores(engine, PERIOD.start, PERIOD.end, Filters(category="hardware"))
    assert hardware == [ScoreGroup(562, 0, 1, 0.5625)]
    inputs = calibration_inputs(
        engine, PERIOD.start, PERIOD.end, Filters(category="network"), WINDOW, NOW
    )
    assert {group.step for group in inputs.suggestions} == {375, 437, 500, 687, 750, 812}
    assert len(inputs.sessions) == 3


def test_sessions_carry_the_prediction_before_their_first_ticket(
    engine: sqlalchemy.Engine,
) -> None:
    record_sessions(EventStore(engine))
    inputs = calibration_inputs(engine, PERIOD.start, PERIOD.end, Filters(), WINDOW, NOW)
    assert sorted(inputs.sessions, key=lambda item: item.probability) == [
        SessionLabel(0.375, None),  # potential: viewed, no ticket
        SessionLabel(0.4375, None),  # voted-down: no signal
        SessionLabel(0.5, 0),  # ticket
        SessionLabel(0.625, 1),  # filed-first
        SessionLabel(0.75, 1),  # solved
    ]


def test_the_readout_from_recorded_events(engine: sqlalchemy.Engine) -> None:
    record_sessions(EventStore(engine))
    current = calibration_inputs(engine, PERIOD.start, PERIOD.end, Filters(), WINDOW, NOW)
    previous = calibration_inputs(
        engine, PERIOD.previous().start, PERIOD.previous().end, Filters(), WINDOW, NOW
    )
    thresholds = {"show_threshold": 0.3, "confident_threshold": 0.6}
    readout = calibration_readout(
        PERIOD, Filters(), current, previous, thresholds, thresholds, [], {}
    )
    # Suggestions: 0.8125 and 0.625 solved it, 0.6875 and 0.5625 did not: 3 of 4 pairs in
    # order; bins 0.5 (0.5625, none solved), 0.6 (0.625 and 0.6875, one of two), 0.8.
    assert readout.number("suggestion_outcomes").value == 4
    assert readout.number("suggestion_auroc").value == 0.75
    assert readout.number("suggestion_error").value == pytest.approx(
        (0.5625 + 2 * abs(0.5 - (0.625 + 0.6875) / 2) + (1 - 0.8125)) / 4
    )
    # The day before holds one suggestion that solved it, and one confirmed session.
    assert readout.number("suggestion_outcomes").previous == 1
    assert readout.number("session_outcomes").previous == 1
    assert readout.number("session_auroc").value == 1.0
    at_confident = next(row for row in readout.table("confident_curve").rows if row["today"])
    # Of the three labelled sessions the two confirmed ones (0.75, 0.625) reached 0.6.
    assert (at_confident["kept"], at_confident["coverage"], at_confident["precision"]) == (
        2,
        2 / 3,
        1.0,
    )
