"""A period's portal searches counted in SQL, one row per query text and language.

Each search is judged as kb.insights.metrics.search_outcomes judges the searches of one
session: clicked when a document is opened from its results (a view from search) before the
session's next search, followed by a ticket when the session files one after it. The
correlated subqueries run on the events' session/kind/at index.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy
from sqlalchemy import case, exists, func, not_, select

from kb.events import ArticleView, Search, TicketCreated
from kb.insights.activity import later, matching
from kb.insights.readout import Filters
from kb.insights.searches import QueryCounts
from kb.store.tables import EventRow

EVENTS = EventRow.__table__


def search_counts(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, filters: Filters
) -> list[QueryCounts]:
    """The searches made in [start, end) that match `filters`, counted by (query, language)."""
    searched = EVENTS.alias("searched")
    view, between, ticket = EVENTS.alias("view"), EVENTS.alias("between"), EVENTS.alias("ticket")
    confident = func.coalesce(searched.c.data["confident"].as_boolean(), False)
    no_search_between = not_(
        exists()
        .where(
            between.c.session_id == searched.c.session_id,
            between.c.kind == Search.kind,
            later(between, searched),
            later(view, between),
        )
        .correlate(searched, view)
    )
    clicked = (
        exists()
        .where(
            view.c.session_id == searched.c.session_id,
            view.c.kind == ArticleView.kind,
            view.c.data["source"].as_string() == "search",
            later(view, searched),
            no_search_between,
        )
        .correlate(searched)
    )
    ticketed = (
        exists()
        .where(
            ticket.c.session_id == searched.c.session_id,
            ticket.c.kind == TicketCreated.kind,
            later(ticket, searched),
        )
        .correlate(searched)
    )
    judged = (
        select(
            searched.c.query.label("query"),
            searched.c.language.label("language"),
            case((confident, 0), else_=1).label("unconfident"),
            case((clicked, 1), else_=0).label("clicked"),
            case((ticketed, 1), else_=0).label("ticketed"),
        )
        .where(
            searched.c.kind == Search.kind,
            searched.c.at >= start,
            searched.c.at < end,
            *matching(searched, filters),
        )
        .subquery("judged")
    )
    statement = (
        select(
            judged.c.query,
            judged.c.language,
            func.count(),
            func.sum(judged.c.unconfident),
            func.sum(judged.c.clicked),
            func.sum(judged.c.ticketed),
        )
        .group_by(judged.c.query, judged.c.language)
        .order_by(judged.c.query, judged.c.language)
    )
    with engine.connect() as connection:
        return [
            QueryCounts(
                query=str(query or ""),
                language=language,
                searches=int(searches),
                unconfident=int(unconfident or 0),
                clicked=int(clicked_count or 0),
                ticketed=int(ticketed_count or 0),
            )
            for query, language, searches, unconfident, clicked_count, ticketed_count in (
                connection.execute(statement)
            )
        ]
