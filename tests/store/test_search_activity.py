"""Searches counted in SQL from known sessions, on each store, and as the pure definition
(kb.insights.metrics.search_outcomes) judges the same events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy

from kb.events import ArticleView, Event, Search, TicketCreated
from kb.insights.metrics import search_outcomes
from kb.insights.readout import Filters, Period
from kb.insights.search_activity import search_counts
from kb.insights.searches import QueryCounts
from kb.store.events import EventStore

PERIOD = Period(date(2026, 11, 16), date(2026, 11, 22))
T = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def minute(count: int) -> datetime:
    return T + timedelta(minutes=count)


def search(session: str, at: datetime, query: str, confident: bool, language: str = "en") -> Search:
    return Search(
        session_id=session,
        at=at,
        query=query,
        confident=confident,
        language=language,
        category="network" if query.startswith("vpn") else None,
    )


def view(session: str, at: datetime, source: str = "search") -> ArticleView:
    return ArticleView(session_id=session, at=at, article_id="vpn", source=source)


SESSIONS: dict[str, list[Event]] = {
    # a: a confident search clicked, then a second search with no click, then a ticket:
    # both searches were followed by it.
    "a": [
        search("a", minute(0), "vpn drops", True),
        view("a", minute(1)),
        search("a", minute(2), "vpn certificate", False),
        view("a", minute(3), source="link"),
        TicketCreated(session_id="a", at=minute(4), ticket_id="INC-1"),
    ],
    # b: two searches at the same instant; the view after both belongs to the second only.
    "b": [
        search("b", minute(10), "vpn drops", False),
        search("b", minute(10), "VPN drops", False),
        view("b", minute(11)),
    ],
    # c: a Spanish search, its click a day later (still before any next search).
    "c": [
        search("c", minute(20), "impresora", False, language="es"),
        view("c", minute(20) + timedelta(days=1)),
    ],
    # d: the week before the period: not counted.
    "d": [
        search("d", minute(0) - timedelta(days=7), "vpn drops", True),
        view("d", minute(1) - timedelta(days=7)),
    ],
}


def record(engine: sqlalchemy.Engine) -> None:
    store = EventStore(engine)
    for events in SESSIONS.values():
        for event in events:
            store.record(event)


def counted(engine: sqlalchemy.Engine, filters: Filters) -> list[QueryCounts]:
    found = search_counts(engine, PERIOD.start, PERIOD.end, filters)
    return sorted(found, key=lambda row: (row.query, row.language or ""))


def test_searches_are_counted_by_query_and_language(engine: sqlalchemy.Engine) -> None:
    record(engine)
    assert counted(engine, Filters()) == [
        QueryCounts("VPN drops", "en", searches=1, unconfident=1, clicked=1, ticketed=0),
        QueryCounts("impresora", "es", searches=1, unconfident=1, clicked=1, ticketed=0),
        QueryCounts("vpn certificate", "en", searches=1, unconfident=1, clicked=0, ticketed=1),
        QueryCounts("vpn drops", "en", searches=2, unconfident=1, clicked=1, ticketed=1),
    ]


def test_the_sql_agrees_with_the_pure_definition(engine: sqlalchemy.Engine) -> None:
    record(engine)
    expected: dict[str, Counter[str]] = {}
    for events in SESSIONS.values():
        for item in search_outcomes(events):
            if PERIOD.start <= item.at < PERIOD.end:
                counts = expected.setdefault(item.query, Counter())
                counts["searches"] += 1
                counts["unconfident"] += not item.confident
                counts["clicked"] += item.clicked
                counts["ticketed"] += item.followed_by_ticket
    found = {
        row.query: Counter(
            searches=row.searches,
            unconfident=row.unconfident,
            clicked=row.clicked,
            ticketed=row.ticketed,
        )
        for row in counted(engine, Filters())
    }
    assert found == expected


def test_filters_keep_the_searches_of_a_category_or_language(engine: sqlalchemy.Engine) -> None:
    record(engine)
    spanish = counted(engine, Filters(language="es"))
    assert [(row.query, row.clicked) for row in spanish] == [("impresora", 1)]
    network = counted(engine, Filters(category="network"))
    assert [(row.query, row.searches) for row in network] == [
        ("vpn certificate", 1),
        ("vpn drops", 2),
    ]
