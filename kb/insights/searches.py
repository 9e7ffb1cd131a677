"""The searches readout: what requesters searched for, and which searches went nowhere. Pure.

kb.insights.search_activity counts the period's searches in SQL by query text and language
(DESIGN.md: a search is clicked when an answer is opened from its results before the
session's next search; a content gap is a search with no confident answer or followed by a
ticket). Here the spellings of one query are put together (case and spaces aside), ranked,
and totalled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kb.insights.metrics import ratio
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table
from kb.insights.wording import Text

# Rows in each ranked table.
TOP = 50
# The language of searches whose answers had none (nothing was found), and its name in the
# table of languages.
NO_LANGUAGE = "(none)"
NO_LANGUAGE_NAME = Text("(none)")


@dataclass(frozen=True)
class QueryCounts:
    """The searches of one query text (in one language, or merged over several)."""

    query: str
    language: str | None
    searches: int
    unconfident: int = 0
    clicked: int = 0
    ticketed: int = 0

    @property
    def unclicked(self) -> int:
        return self.searches - self.clicked


@dataclass(frozen=True)
class Query:
    """One query, its spellings put together: the most searched spelling is its text."""

    text: str
    languages: tuple[str, ...]
    counts: QueryCounts


def query_key(text: str) -> str:
    """What makes two spellings one query: the words, whatever their case and spacing."""
    return " ".join(text.casefold().split())


def merge(rows: Iterable[QueryCounts]) -> list[Query]:
    """The queries, their spellings and languages summed, most searched first (ties by text)."""
    grouped: dict[str, list[QueryCounts]] = {}
    for row in rows:
        key = query_key(row.query)
        if key:
            grouped.setdefault(key, []).append(row)
    queries = []
    for members in grouped.values():
        spellings: dict[str, int] = {}
        for member in members:
            spelling = " ".join(member.query.split())
            spellings[spelling] = spellings.get(spelling, 0) + member.searches
        text = min(spellings, key=lambda spelling: (-spellings[spelling], spelling))
        languages = sorted({member.language or NO_LANGUAGE for member in members})
        queries.append(Query(text, tuple(languages), total(members, text)))
    return sorted(queries, key=lambda query: (-query.counts.searches, query.text))


def total(rows: Iterable[QueryCounts], query: str = "", language: str | None = None) -> QueryCounts:
    found = list(rows)
    return QueryCounts(
        query=query,
        language=language,
        searches=sum(row.searches for row in found),
        unconfident=sum(row.unconfident for row in found),
        clicked=sum(row.clicked for row in found),
        ticketed=sum(row.ticketed for row in found),
    )


def by_language(rows: Iterable[QueryCounts]) -> list[QueryCounts]:
    """A total per language, most searches first (ties by language)."""
    grouped: dict[str, list[QueryCounts]] = {}
    for row in rows:
        grouped.setdefault(row.language or NO_LANGUAGE, []).append(row)
    found = [total(members, language=language) for language, members in grouped.items()]
    return sorted(found, key=lambda row: (-row.searches, row.language or ""))


def ranked(queries: Sequence[Query], count: Callable[[QueryCounts], int]) -> list[Query]:
    """The TOP queries with the highest `count` (more searches, then text, break ties); none
    with a count of 0."""
    kept = [query for query in queries if count(query.counts) > 0]
    kept.sort(key=lambda query: (-count(query.counts), -query.counts.searches, query.text))
    return kept[:TOP]


QUERY_COLUMNS = (
    Column("query", Text("Searched for")),
    Column("languages", Text("Languages")),
    Column("searches", Text("Searches"), "count"),
    Column("click_through", Text("Click-through"), "rate"),
    Column("unconfident", Text("No confident answer"), "count"),
    Column("unclicked", Text("No click"), "count"),
    Column("ticketed", Text("Followed by a ticket"), "count"),
)


def _query_row(query: Query) -> dict[str, object]:
    counts = query.counts
    return {
        "query": query.text,
        "languages": query.languages,
        "searches": counts.searches,
        "click_through": ratio(counts.clicked, counts.searches),
        "unconfident": counts.unconfident,
        "unclicked": counts.unclicked,
        "ticketed": counts.ticketed,
    }


def _query_table(key: str, title: Text, queries: Sequence[Query], empty: Text) -> Table:
    return Table(
        key=key,
        title=title,
        columns=QUERY_COLUMNS,
        rows=tuple(_query_row(query) for query in queries),
        empty=empty,
        note=Text(
            "At most %(top)s searches; the same words in another case or spacing are one search.",
            top=TOP,
        ),
    )


def searches_readout(
    period: Period,
    filters: Filters,
    current: Sequence[QueryCounts],
    previous: Sequence[QueryCounts],
    generated: datetime | None = None,
) -> Readout:
    """Top searches, those with no confident answer, no click or a ticket after them, and
    click-through by language, each total beside the previous period's."""
    now, before = total(current), total(previous)
    queries = merge(current)
    numbers = (
        Number("searches", Text("Searches"), now.searches, before.searches),
        Number(
            "distinct_searches",
            Text("Different searches"),
            len(queries),
            len(merge(previous)),
            note=Text("The same words in another case or spacing count once."),
        ),
        Number(
            "click_through_rate",
            Text("Click-through rate"),
            ratio(now.clicked, now.searches),
            ratio(before.clicked, before.searches),
            kind="rate",
            note=Text("Searches from whose results an answer was opened before the next search."),
        ),
        Number(
            "unconfident",
            Text("Searches with no confident answer"),
            now.unconfident,
            before.unconfident,
            note=Text("The best answer's deflection probability was under confident_threshold."),
        ),
        Number("unclicked", Text("Searches with no click"), now.unclicked, before.unclicked),
        Number(
            "ticketed",
            Text("Searches followed by a ticket"),
            now.ticketed,
            before.ticketed,
            note=Text("The visit filed a ticket after the search."),
        ),
    )
    languages = tuple(
        {
            "language": NO_LANGUAGE_NAME if row.language == NO_LANGUAGE else row.language,
            "searches": row.searches,
            "click_through": ratio(row.clicked, row.searches),
            "unconfident": row.unconfident,
            "unclicked": row.unclicked,
            "ticketed": row.ticketed,
        }
        for row in by_language(current)
    )
    tables = (
        _query_table(
            "top",
            Text("Top searches"),
            queries[:TOP],
            Text("Searches appear here once requesters search the portal in this period."),
        ),
        _query_table(
            "unconfident",
            Text("Searches with no confident answer"),
            ranked(queries, lambda counts: counts.unconfident),
            Text(
                "Searches whose best answer was not confident appear here: the content to write."
            ),
        ),
        _query_table(
            "unclicked",
            Text("Searches with no click"),
            ranked(queries, lambda counts: counts.unclicked),
            Text("Searches after which no answer was opened appear here."),
        ),
        _query_table(
            "ticketed",
            Text("Searches followed by a ticket"),
            ranked(queries, lambda counts: counts.ticketed),
            Text("Searches after which the visit filed a ticket appear here."),
        ),
        Table(
            key="languages",
            title=Text("Searches by language"),
            columns=(
                Column("language", Text("Language")),
                Column("searches", Text("Searches"), "count"),
                Column("click_through", Text("Click-through"), "rate"),
                Column("unconfident", Text("No confident answer"), "count"),
                Column("unclicked", Text("No click"), "count"),
                Column("ticketed", Text("Followed by a ticket"), "count"),
            ),
            rows=languages,
            empty=Text("One row per language once requesters search the portal in this period."),
            note=Text(
                "The language the requester chose, else the best answer's; %(none)s when "
                "neither is known.",
                none=NO_LANGUAGE_NAME,
            ),
        ),
    )
    charts = (
        Chart("top_searches", Text("Top searches"), "bar", "top", "query", ("searches",)),
        Chart(
            "language_click_through",
            Text("Click-through by language"),
            "bar",
            "languages",
            "language",
            ("click_through",),
        ),
    )
    notes: tuple[Text, ...] = ()
    if now.searches == 0:
        notes = (
            Text(
                "No searches in this period. They appear as requesters search the portal; "
                "each search is counted with what followed it in the same visit."
            ),
        )
    return Readout(
        report="searches",
        title=Text("Searches"),
        period=period,
        filters=filters,
        numbers=numbers,
        tables=tables,
        charts=charts,
        notes=notes,
        generated=generated,
    )
