"""A period's content gaps in SQL: searches and requests that found no confident answer or
were followed by a ticket (DESIGN.md), one row per text and session.

Three kinds of event name a gap's text:
- a search with no confident answer, or after which the session filed a ticket;
- a ticket filed from the portal: its subject, the request as it was sent;
- a request typed but not sent: the session's last suggestions (the fullest text typed)
  when they were not confident and no ticket followed.
A session is lost to a gap when it filed a ticket after it, or did nothing after it that the
deflection outcomes count as help: no answer opened from the results or suggestions, no
"this solved it", no helpful vote, no known issue joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
    union_all,
)

from kb.events import (
    ArticleView,
    Feedback,
    ProblemJoined,
    Search,
    SelfResolved,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.activity import later, matching
from kb.insights.gaps import GapRow
from kb.insights.readout import Filters
from kb.store.tables import EventRow, TicketRow, UTCDateTime

EVENTS = EventRow.__table__
TICKETS = TicketRow.__table__


def gap_rows(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, filters: Filters
) -> list[GapRow]:
    """The gaps of [start, end) that match `filters`, by text, session, language and category."""
    occurrences = union_all(
        _searches(start, end, filters), _tickets(start, end, filters), _unsent(start, end, filters)
    ).subquery("occurrences")
    column = occurrences.c
    statement = select(
        column.text,
        column.session_id,
        column.language,
        column.category,
        func.count(),
        func.sum(column.searched),
        func.max(column.lost),
        func.max(column.ticketed),
        type_coerce(func.min(column.at), UTCDateTime()),
        type_coerce(func.max(column.at), UTCDateTime()),
    ).group_by(column.text, column.session_id, column.language, column.category)
    with engine.connect() as connection:
        return [_gap_row(row) for row in connection.execute(statement)]


def _gap_row(row: Sequence[Any]) -> GapRow:
    text, session_id, language, category, count, searched, lost, ticketed, first, last = row
    return GapRow(
        text=str(text),
        session_id=str(session_id),
        language=language,
        category=category,
        occurrences=int(count),
        searches=int(searched or 0),
        lost=bool(lost),
        ticketed=bool(ticketed),
        first=first,
        last=last,
    )


def _searches(start: datetime, end: datetime, filters: Filters) -> Any:
    searched = EVENTS.alias("searched")
    confident = func.coalesce(searched.c.data["confident"].as_boolean(), False)
    ticketed = _ticket_after(searched)
    return _occurrence(
        searched,
        searched.c.query,
        literal(1),
        or_(ticketed, not_(_helped_after(searched))),
        ticketed,
    ).where(
        searched.c.kind == Search.kind,
        searched.c.at >= start,
        searched.c.at < end,
        or_(not_(confident), ticketed),
        *matching(searched, filters),
    )


def _tickets(start: datetime, end: datetime, filters: Filters) -> Any:
    filed = EVENTS.alias("filed")
    return (
        _occurrence(filed, TICKETS.c.subject, literal(0), literal(True), literal(True))
        .join(TICKETS, TICKETS.c.number == filed.c.ticket_id)
        .where(
            filed.c.kind == TicketCreated.kind,
            filed.c.at >= start,
            filed.c.at < end,
            *matching(filed, filters),
        )
    )


def _unsent(start: datetime, end: datetime, filters: Filters) -> Any:
    typed, newer = EVENTS.alias("typed"), EVENTS.alias("newer")
    confident = func.coalesce(typed.c.data["confident"].as_boolean(), False)
    last = not_(
        exists()
        .where(
            newer.c.session_id == typed.c.session_id,
            newer.c.kind == SuggestionsShown.kind,
            later(newer, typed),
        )
        .correlate(typed)
    )
    return _occurrence(
        typed, typed.c.query, literal(0), not_(_helped_after(typed)), literal(False)
    ).where(
        typed.c.kind == SuggestionsShown.kind,
        typed.c.at >= start,
        typed.c.at < end,
        not_(confident),
        last,
        not_(_ticket_after(typed)),
        *matching(typed, filters),
    )


def _occurrence(
    event: Any, text: Any, searched: Any, lost: ColumnElement[bool], ticketed: Any
) -> Any:
    return select(
        text.label("text"),
        event.c.session_id.label("session_id"),
        event.c.language.label("language"),
        event.c.category.label("category"),
        event.c.at.label("at"),
        searched.label("searched"),
        case((lost, 1), else_=0).label("lost"),
        case((ticketed, 1), else_=0).label("ticketed"),
    )


def _ticket_after(event: Any) -> ColumnElement[bool]:
    ticket = EVENTS.alias()
    return (
        exists()
        .where(
            ticket.c.session_id == event.c.session_id,
            ticket.c.kind == TicketCreated.kind,
            later(ticket, event),
        )
        .correlate(event)
    )


def _helped_after(event: Any) -> ColumnElement[bool]:
    """The session did something after `event` that counts as help (see the module)."""
    help = EVENTS.alias()
    return (
        exists()
        .where(
            help.c.session_id == event.c.session_id,
            later(help, event),
            or_(
                help.c.kind.in_((SelfResolved.kind, ProblemJoined.kind)),
                and_(help.c.kind == Feedback.kind, help.c.data["helpful"].as_boolean()),
                and_(
                    help.c.kind == ArticleView.kind,
                    help.c.data["source"].as_string().in_(("search", "suggestion")),
                ),
            ),
        )
        .correlate(event)
    )
