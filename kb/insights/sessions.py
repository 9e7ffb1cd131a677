"""Help sessions in one SQL query over their events: when each started and the times that
decide its deflection outcome, as kb.insights.outcomes.outcome_times defines them for one
session. The reports read these summaries from their roll-up (kb.insights.session_rollups),
which this module computes; `sessions` reads a period's straight from the events."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, type_coerce

from kb.events import (
    ArticleView,
    Feedback,
    ProblemJoined,
    SelfResolved,
    SessionStarted,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.outcomes import OutcomeTimes
from kb.insights.readout import Filters
from kb.store.tables import EventItemRow, EventRow, UTCDateTime

EVENTS = EventRow.__table__
ITEMS = EventItemRow.__table__


@dataclass(frozen=True)
class SessionSummary:
    """One help session: its start, whether it was held out, and its outcome times."""

    session_id: str
    started: datetime
    holdout: bool
    category: str | None
    language: str | None
    times: OutcomeTimes
    # The first ticket at or after the start: the holdout compares these.
    ticket: datetime | None


def sessions(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, filters: Filters
) -> list[SessionSummary]:
    """The sessions that started in [start, end) and match `filters` (the category and
    language of their first search or request), in order of their start."""
    summary = _summaries(start, end, filters)
    statement = summary.order_by(summary.selected_columns.started, summary.selected_columns.id)
    with engine.connect() as connection:
        return [_summary(row) for row in connection.execute(statement)]


def summaries_of(
    connection: sqlalchemy.Connection, session_ids: Collection[str]
) -> list[SessionSummary]:
    """The summaries of these sessions from all their events, whenever they started (the
    roll-up's input, kb.insights.session_rollups); a session without a start has none."""
    if not session_ids:
        return []
    started = (
        _started()
        .where(EVENTS.c.kind == SessionStarted.kind, EVENTS.c.session_id.in_(sorted(session_ids)))
        .group_by(EVENTS.c.session_id)
        .cte("started")
    )
    return [_summary(row) for row in connection.execute(_summary_of(started))]


def _started() -> Select[Any]:
    """Per session (to be grouped): its first start, whether it was held out, and the
    category and language of its start."""
    return select(
        EVENTS.c.session_id,
        func.min(EVENTS.c.at).label("started"),
        func.max(case((EVENTS.c.data["holdout"].as_boolean(), 1), else_=0)).label("holdout"),
        func.min(EVENTS.c.category).label("category"),
        func.min(EVENTS.c.language).label("language"),
    )


def _summaries(start: datetime, end: datetime, filters: Filters) -> Select[Any]:
    """One row per session that started in [start, end) and matches `filters`: its id,
    start, holdout flag, category, language and outcome times."""
    started = (
        _started()
        .where(EVENTS.c.kind == SessionStarted.kind, EVENTS.c.at >= start, EVENTS.c.at < end)
        .where(*_filters(filters))
        .group_by(EVENTS.c.session_id)
        .cte("started")
    )
    return _summary_of(started)


def _summary_of(started: Any) -> Select[Any]:
    """The outcome times of the sessions of `started` (a CTE of _started's columns)."""
    opening = EVENTS.alias("opening")
    opened = (
        select(opening.c.session_id, func.min(opening.c.at).label("opened"))
        .where(
            opening.c.session_id.in_(select(started.c.session_id)),
            opening.c.kind.in_((SuggestionsShown.kind, ProblemJoined.kind)),
        )
        .group_by(opening.c.session_id)
        .cte("opened")
    )
    event = EVENTS.alias("event")
    after_opening = and_(opened.c.opened.is_not(None), event.c.at >= opened.c.opened)
    suggested_before = exists().where(
        ITEMS.c.session_id == event.c.session_id,
        ITEMS.c.role == "shown",
        ITEMS.c.document_id == event.c.article_id,
        # Earlier, or at the same instant but recorded first.
        or_(ITEMS.c.at < event.c.at, and_(ITEMS.c.at == event.c.at, ITEMS.c.event_id < event.c.id)),
    )
    confirms = or_(
        event.c.kind == SelfResolved.kind,
        and_(event.c.kind == Feedback.kind, event.c.data["helpful"].as_boolean()),
    )
    views_suggestion = and_(
        event.c.kind == ArticleView.kind,
        or_(event.c.data["source"].as_string() == "suggestion", suggested_before),
    )
    return (
        select(
            started.c.session_id.label("id"),
            started.c.started,
            started.c.holdout,
            started.c.category,
            started.c.language,
            opened.c.opened,
            _first(event.c.kind == TicketCreated.kind, event).label("any_ticket"),
            _first(and_(after_opening, event.c.kind == TicketCreated.kind), event).label("ticket"),
            _first(and_(after_opening, confirms), event).label("confirmed"),
            _first(and_(after_opening, views_suggestion), event).label("viewed"),
            _first(and_(after_opening, event.c.kind == ProblemJoined.kind), event).label("joined"),
        )
        .select_from(started)
        .outerjoin(opened, opened.c.session_id == started.c.session_id)
        .outerjoin(
            event,
            and_(
                event.c.session_id == started.c.session_id,
                event.c.kind.in_(
                    (
                        TicketCreated.kind,
                        SelfResolved.kind,
                        Feedback.kind,
                        ProblemJoined.kind,
                        ArticleView.kind,
                    )
                ),
                event.c.at >= started.c.started,
            ),
        )
        .group_by(
            started.c.session_id,
            started.c.started,
            started.c.holdout,
            started.c.category,
            started.c.language,
            opened.c.opened,
        )
    )


def _first(condition: ColumnElement[bool], event: Any) -> Any:
    """The earliest time at which `condition` holds among a session's events, or NULL."""
    return type_coerce(func.min(case((condition, event.c.at), else_=None)), UTCDateTime())


def _filters(filters: Filters) -> list[ColumnElement[bool]]:
    found = []
    if filters.category:
        found.append(EVENTS.c.category == filters.category)
    if filters.language:
        found.append(EVENTS.c.language == filters.language)
    return found


def _summary(row: Sequence[Any]) -> SessionSummary:
    session_id, started, holdout, category, language, opened = row[:6]
    any_ticket, ticket, confirmed, viewed, joined = row[6:]
    return SessionSummary(
        session_id=str(session_id),
        started=started,
        holdout=bool(holdout),
        category=category,
        language=language,
        times=OutcomeTimes(
            opened=opened, ticket=ticket, confirmed=confirmed, viewed=viewed, joined=joined
        ),
        ticket=any_ticket,
    )
