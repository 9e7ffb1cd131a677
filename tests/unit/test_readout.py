"""Readouts: periods, and a table's JSON and CSV hold the same values."""

from __future__ import annotations

from datetime import date

import pytest

from kb.errors import QueryError
from kb.insights.export import table_csv
from kb.insights.readout import Column, Period, Table, parse_period

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("since", "until", "days", "expected"),
    [
        (None, None, None, Period(date(2026, 11, 1), TODAY)),
        (None, None, "7", Period(date(2026, 11, 24), TODAY)),
        ("2026-11-10", None, None, Period(date(2026, 11, 10), TODAY)),
        (None, "2026-11-10", None, Period(date(2026, 10, 12), date(2026, 11, 10))),
        ("2026-11-01", "2026-11-01", "90", Period(date(2026, 11, 1), date(2026, 11, 1))),
    ],
)
def test_parse_period(
    since: str | None, until: str | None, days: str | None, expected: Period
) -> None:
    assert parse_period(since, until, days, TODAY) == expected


@pytest.mark.parametrize(
    ("since", "until", "days"),
    [
        ("2026-11-10", "2026-11-01", None),
        ("11/10/2026", None, None),
        (None, None, "week"),
        (None, None, "0"),
        ("2020-01-01", "2026-01-01", None),
    ],
)
def test_bad_periods_say_what_to_do(since: str | None, until: str | None, days: str | None) -> None:
    with pytest.raises(QueryError):
        parse_period(since, until, days, TODAY)


def test_previous_period_has_the_same_length() -> None:
    period = Period(date(2026, 11, 24), TODAY)
    assert period.previous() == Period(date(2026, 11, 17), date(2026, 11, 23))
    assert period.days == period.previous().days == 7


def test_a_table_as_csv_and_json() -> None:
    table = Table(
        key="articles",
        title="Articles",
        columns=(
            Column("id", "Article"),
            Column("rate", "Success", "rate"),
            Column("tags", "Tags"),
            Column("flagged", "Flagged"),
        ),
        rows=(
            {"id": "vpn, setup", "rate": 2 / 3, "tags": ("a", "b"), "flagged": True},
            {"id": "wifi", "rate": None, "tags": (), "flagged": False},
        ),
        empty="No articles yet.",
    )
    assert table_csv(table) == (
        'Article,Success,Tags,Flagged\n"vpn, setup",0.666667,a; b,yes\nwifi,,,no\n'
    )
    assert table.to_json()["rows"][0] == {
        "id": "vpn, setup",
        "rate": 0.666667,
        "tags": ["a", "b"],
        "flagged": True,
    }
