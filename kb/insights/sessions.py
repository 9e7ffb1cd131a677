"""Help sessions of a period in one SQL query: when each started and the times that decide its
deflection outcome, as kb.insights.outcomes.outcome_times defines them for one session; or
only how many sessions had each outcome, judged in the same query as
kb.insights.outcomes.outcome judges those times."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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


def outcome_tallies(
    engine: sqlalchemy.Engine,
    edges: Sequence[tuple[datetime, datetime]],
    filters: Filters,
    window: timedelta,
    now: datetime,
) -> list[Counter[str | None]]:
    """For each [start, end) of `edges` (in order, each starting where the one before ended),
    how many sessions that started in it and match `filters` had each outcome, judged at
    `now` as kb.insights.outcomes.outcome judges one session's times; None counts sessions
    never shown suggestions. Counted in SQL, so a period costs one row per outcome and edge."""
    if not edges:
        return []
    if window < timedelta(0):
        raise ValueError("the deflection window cannot be negative")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware, e.g. datetime.now(UTC)")
    summary = _summaries(edges[0][0], edges[-1][1], filters).subquery("summary")
    column = summary.c

    def inside(moment: Any) -> ColumnElement[bool]:
        return _within(engine.dialect.name, moment, column.opened, window)

    judged = case(
        (column.opened.is_(None), None),
        (inside(column.ticket), "not_deflected"),
        (inside(column.confirmed), "confirmed"),
        (inside(column.joined), "known_issue"),
        # Still inside the window at `now`: now <= opened + window.
        (column.opened >= now - window, "pending"),
        (inside(column.viewed), "potential"),
        else_="no_signal",
    ).label("outcome")
    bucket = case(
        *(
            (and_(column.started >= first, column.started < last), position)
            for position, (first, last) in enumerate(edges)
        ),
        else_=None,
    ).label("bucket")
    statement = select(bucket, judged, func.count()).select_from(summary).group_by(bucket, judged)
    tallies: list[Counter[str | None]] = [Counter() for _ in edges]
    with engine.connect() as connection:
        for position, name, count in connection.execute(statement):
            if position is not None:
                tallies[position][name] += count
    return tallies


def _within(dialect: str, moment: Any, opened: Any, window: timedelta) -> ColumnElement[bool]:
    """`moment` is at most `window` after `opened`, to the microsecond. SQLite keeps times as
    text ("2026-12-04 19:10:38.123456"), so there the difference is counted in whole seconds
    (strftime %s of the first 19 characters: given a fraction, SQLite rounds it to the
    millisecond, so .9996 s would count as the next second) plus the microseconds after the
    20th character; PostgreSQL adds an interval."""
    within: ColumnElement[bool]
    if dialect == "sqlite":
        seconds = func.strftime("%s", func.substr(moment, 1, 19)) - func.strftime(
            "%s", func.substr(opened, 1, 19)
        )
        micro = func.substr(moment, 21) - func.substr(opened, 21)
        within = seconds * 1_000_000 + micro <= window // timedelta(microseconds=1)
    else:
        within = moment <= opened + sqlalchemy.literal(window, sqlalchemy.Interval())
    return within


def _summaries(start: datetime, end: datetime, filters: Filters) -> Select[Any]:
    """One row per session that started in [start, end) and matches `filters`: its id,
    start, holdout flag, category, language and outcome times."""
    started = (
        select(
            EVENTS.c.session_id,
            func.min(EVENTS.c.at).label("started"),
            func.max(case((EVENTS.c.data["holdout"].as_boolean(), 1), else_=0)).label("holdout"),
            func.min(EVENTS.c.category).label("category"),
            func.min(EVENTS.c.language).label("language"),
        )
        .where(EVENTS.c.kind == SessionStarted.kind, EVENTS.c.at >= start, EVENTS.c.at < end)
        .where(*_filters(filters))
        .group_by(EVENTS.c.session_id)
        .cte("started")
    )
    opening = EVENTS.alias("opening")
    opened = (
        select(opening.c.session_id, func.min(opening.c.at).label("opened"))
        .join(started, started.c.session_id == opening.c.session_id)
        .where(opening.c.kind.in_((SuggestionsShown.kind, ProblemJoined.kind)))
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
