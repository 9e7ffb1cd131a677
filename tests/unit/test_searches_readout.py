"""The searches readout from query counts worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from kb.insights.readout import Filters, Period
from kb.insights.searches import (
    TOP,
    QueryCounts,
    by_language,
    merge,
    query_key,
    ranked,
    searches_readout,
)

PERIOD = Period(date(2026, 11, 16), date(2026, 11, 22))

# (query, language, searches, no confident answer, clicked, followed by a ticket)
CURRENT = [
    QueryCounts("VPN  drops", "en", 4, 1, 3, 1),
    QueryCounts("vpn drops", "en", 2, 2, 0, 1),
    QueryCounts("vpn drops", None, 1, 1, 0, 0),
    QueryCounts("impresora", "es", 3, 3, 1, 2),
    QueryCounts("reset password", "en", 5, 0, 5, 0),
]
PREVIOUS = [QueryCounts("reset password", "en", 2, 0, 1, 1)]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("VPN  drops", "vpn drops"),
        ("  Straße\tgesperrt ", "strasse gesperrt"),
        ("ÉCRAN noir", "écran noir"),
        ("   ", ""),
    ],
)
def test_query_key(text: str, key: str) -> None:
    assert query_key(text) == key


def test_spellings_of_one_query_are_summed_under_the_most_searched_one() -> None:
    vpn, password, printer = merge(CURRENT)
    # "VPN drops" searched 4 times beats "vpn drops" 2 + 1.
    assert (vpn.text, vpn.languages) == ("VPN drops", ("(none)", "en"))
    assert (vpn.counts.searches, vpn.counts.unconfident, vpn.counts.clicked) == (7, 4, 3)
    assert (vpn.counts.ticketed, vpn.counts.unclicked) == (2, 4)
    assert [password.text, printer.text] == ["reset password", "impresora"]


def test_a_tie_in_searches_goes_to_the_spelling_first_in_order() -> None:
    [query] = merge([QueryCounts("b a", "en", 2), QueryCounts("B A", "en", 2)])
    assert query.text == "B A"


def test_ranked_drops_zero_counts_and_breaks_ties_by_searches_then_text() -> None:
    queries = merge(CURRENT)
    assert [q.text for q in ranked(queries, lambda c: c.ticketed)] == ["VPN drops", "impresora"]
    assert [q.text for q in ranked(queries, lambda c: c.unclicked)] == ["VPN drops", "impresora"]
    many = merge(QueryCounts(f"query {n:03}", "en", 1, 1) for n in range(TOP + 5))
    assert len(ranked(many, lambda c: c.unconfident)) == TOP


def test_by_language() -> None:
    rows = by_language(CURRENT)
    assert [(row.language, row.searches, row.clicked) for row in rows] == [
        ("en", 11, 8),
        ("es", 3, 1),
        ("(none)", 1, 0),
    ]


@pytest.mark.parametrize(
    ("key", "value", "previous"),
    [
        ("searches", 15, 2),
        ("distinct_searches", 3, 1),
        ("click_through_rate", 9 / 15, 0.5),
        ("unconfident", 7, 0),
        ("unclicked", 6, 1),
        ("ticketed", 4, 1),
    ],
)
def test_readout_numbers(key: str, value: float, previous: float) -> None:
    number = searches_readout(PERIOD, Filters(), CURRENT, PREVIOUS).number(key)
    assert (number.value, number.previous) == (pytest.approx(value), previous)


def test_readout_tables() -> None:
    readout = searches_readout(PERIOD, Filters(language="en"), CURRENT, PREVIOUS)
    top = readout.table("top").rows
    assert [row["query"] for row in top] == ["VPN drops", "reset password", "impresora"]
    assert top[0]["click_through"] == pytest.approx(3 / 7)
    assert [row["query"] for row in readout.table("unconfident").rows] == [
        "VPN drops",
        "impresora",
    ]
    assert [row["query"] for row in readout.table("ticketed").rows] == ["VPN drops", "impresora"]
    languages = readout.table("languages").rows
    assert [(str(row["language"]), row["click_through"]) for row in languages] == [
        ("en", pytest.approx(8 / 11)),
        ("es", pytest.approx(1 / 3)),
        ("(none)", 0.0),
    ]
    assert {chart.table for chart in readout.charts} <= {table.key for table in readout.tables}
    assert readout.filters == Filters(language="en") and readout.notes == ()


def test_an_empty_period_says_what_will_appear() -> None:
    readout = searches_readout(PERIOD, Filters(), [], [])
    assert readout.number("click_through_rate").value is None
    assert all(not table.rows and table.empty for table in readout.tables)
    assert "No searches in this period" in str(readout.notes[0])
