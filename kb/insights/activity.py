"""Counts of a period's portal and desk activity in SQL: tickets, visitors, requesters, links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, and_, case, func, or_, select

from kb.events import TicketCreated
from kb.insights.overview import PortalActivity
from kb.insights.readout import Filters
from kb.store.tables import EventRow, TicketRow

EVENTS = EventRow.__table__
TICKETS = TicketRow.__table__


def portal_activity(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, filters: Filters
) -> PortalActivity:
    """What happened in [start, end): each count filtered by what it is about (the event's
    category and language; the ticket's)."""
    events = select(
        func.count(func.distinct(EVENTS.c.session_id)),
        func.coalesce(func.sum(case((EVENTS.c.kind == TicketCreated.kind, 1), else_=0)), 0),
    ).where(EVENTS.c.at >= start, EVENTS.c.at < end, *event_filters(filters))
    requesters = select(func.count(func.distinct(TICKETS.c.requester_email))).where(
        TICKETS.c.created >= start, TICKETS.c.created < end, *ticket_filters(filters)
    )
    resolved = select(
        func.count(),
        func.coalesce(func.sum(case((TICKETS.c.linked_article.is_not(None), 1), else_=0)), 0),
    ).where(TICKETS.c.resolved >= start, TICKETS.c.resolved < end, *ticket_filters(filters))
    with engine.connect() as connection:
        visitors, tickets = connection.execute(events).one()
        requester_count = connection.execute(requesters).scalar_one()
        resolved_count, linked = connection.execute(resolved).one()
    return PortalActivity(
        tickets=int(tickets),
        visitors=int(visitors),
        requesters=int(requester_count),
        resolved=int(resolved_count),
        linked=int(linked),
    )


def tickets_by_bucket(
    engine: sqlalchemy.Engine, buckets: Sequence[tuple[datetime, datetime]], filters: Filters
) -> list[int]:
    """Tickets created from the portal in each [start, end) of `buckets`, in one query."""
    if not buckets:
        return []
    counts = [
        func.coalesce(
            func.sum(case((and_(EVENTS.c.at >= start, EVENTS.c.at < end), 1), else_=0)), 0
        )
        for start, end in buckets
    ]
    statement = select(*counts).where(
        EVENTS.c.kind == TicketCreated.kind,
        EVENTS.c.at >= min(start for start, _ in buckets),
        EVENTS.c.at < max(end for _, end in buckets),
        *event_filters(filters),
    )
    with engine.connect() as connection:
        return [int(value) for value in connection.execute(statement).one()]


def event_filters(filters: Filters) -> list[ColumnElement[bool]]:
    """The events a report's filters keep: of the category and language asked for."""
    return matching(EVENTS, filters)


def matching(events: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """The conditions that keep the rows of `events` (the events table or an alias of it) of
    the category and language asked for."""
    found = []
    if filters.category:
        found.append(events.c.category == filters.category)
    if filters.language:
        found.append(events.c.language == filters.language)
    return found


def later(event: Any, than: Any) -> ColumnElement[bool]:
    """`event` came after `than` (aliases of the events table): later, or at the same instant
    but recorded after it."""
    return or_(event.c.at > than.c.at, and_(event.c.at == than.c.at, event.c.id > than.c.id))


def ticket_filters(filters: Filters) -> list[ColumnElement[bool]]:
    found = []
    if filters.category:
        found.append(TICKETS.c.category == filters.category)
    if filters.language:
        found.append(TICKETS.c.language == filters.language)
    return found
