"""What every report hands to pages, CSV, the API and `kb report`: a Readout. Pure.

A readout has headline numbers (each with its value in the previous period of the same
length), tables (columns and rows), and charts drawn from those tables, so a chart and its
accessible table always show the same numbers. Presenters render readouts; they compute
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kb.errors import QueryError
from kb.insights.wording import Text, Words, wording

PRESET_DAYS = (7, 30, 90)
MAX_DAYS = 731
# Column kinds: how a value is shown. "rate" is a share in [0, 1], shown as a percentage.
KINDS = ("text", "count", "rate", "number", "date", "time", "link")


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `since` to `until`, both included."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise QueryError(
                "the period ends before it starts: put `since` before `until`",
                key="period_reversed",
            )
        if self.days > MAX_DAYS:
            raise QueryError(
                f"a period can be at most {MAX_DAYS} days long",
                key="period_too_long",
                limit=MAX_DAYS,
            )

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    @classmethod
    def last(cls, days: int, today: date) -> Period:
        """The `days` days ending today."""
        if not 1 <= days <= MAX_DAYS:
            raise QueryError(
                f"`days` must be between 1 and {MAX_DAYS}", key="days_out_of_range", limit=MAX_DAYS
            )
        return cls(today - timedelta(days=days - 1), today)

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "days": self.days}


def parse_period(
    since: str | None, until: str | None, days: str | int | None, today: date
) -> Period:
    """The period a page, API call or command asked for; the last 30 days by default.

    `since`/`until` are ISO dates (either may be left out: `until` defaults to today, `since`
    to 29 days before `until`); `days` picks the last N days instead. QueryError otherwise.
    """
    if since or until:
        end = _date(until, "until") if until else today
        start = _date(since, "since") if since else end - timedelta(days=29)
        return Period(start, end)
    if days in (None, ""):
        return Period.last(30, today)
    try:
        count = int(days)
    except (TypeError, ValueError):
        raise QueryError(
            "`days` must be a whole number, such as 7, 30 or 90", key="days_not_number"
        ) from None
    return Period.last(count, today)


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(
            f"`{name}` must be a date like 2026-11-30", key="date_format", field=name
        ) from None


@dataclass(frozen=True)
class Filters:
    """Narrow a report to one category and/or one language; None means all."""

    category: str | None = None
    language: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"category": self.category, "language": self.language}


@dataclass(frozen=True)
class Column:
    key: str
    label: Words
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column kind must be one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Table:
    """One table of a report. `empty` says what will appear here, and why it is empty now."""

    key: str
    title: Words
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    empty: Words
    note: Words = ""

    def worded(self, say: Callable[[Text], str]) -> Table:
        """The table with its title, notes, labels and cells of Text worded by `say`."""
        return replace(
            self,
            title=wording(self.title, say),
            empty=wording(self.empty, say),
            note=wording(self.note, say),
            columns=tuple(
                replace(column, label=wording(column.label, say)) for column in self.columns
            ),
            rows=tuple(
                {key: wording(value, say) for key, value in row.items()} for row in self.rows
            ),
        )

    def csv_rows(self) -> list[list[str]]:
        """The table as CSV cells: a header of column labels, then one list per row.

        kb/insights/export.py writes them; this module stays free of I/O.
        """
        header = [str(column.label) for column in self.columns]
        body = [[_csv_value(row.get(column.key)) for column in self.columns] for row in self.rows]
        return [header, *body]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": [
                {c.key: _json_value(row.get(c.key)) for c in self.columns} for row in self.rows
            ],
            "empty": str(self.empty),
            "note": str(self.note),
        }


@dataclass(frozen=True)
class Number:
    """A headline number and its value in the previous period; `note` states assumptions."""

    key: str
    label: Words
    value: float | None
    previous: float | None
    kind: str = "count"
    note: Words = ""

    @property
    def change(self) -> float | None:
        """value − previous (for rates, in points of the share)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": str(self.label),
            "value": _json_value(self.value),
            "previous": _json_value(self.previous),
            "change": _json_value(self.change),
            "kind": self.kind,
            "note": str(self.note),
        }


@dataclass(frozen=True)
class Chart:
    """A chart of one table: `x` is a column key, `series` the column keys drawn.

    kind: "line" (a trend), "bar" (ranked counts), "reliability" (predicted against
    observed) or "interval" (estimates with their 95% interval: `series` is value, low, high).
    `marks` names positions drawn on the x axis (a threshold in force).
    """

    key: str
    title: Words
    kind: str
    table: str
    x: str
    series: tuple[str, ...]
    marks: Mapping[Words, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "kind": self.kind,
            "table": self.table,
            "x": self.x,
            "series": list(self.series),
            "marks": {str(name): value for name, value in self.marks.items()},
        }


@dataclass(frozen=True)
class Readout:
    report: str
    title: Words
    period: Period
    filters: Filters
    numbers: tuple[Number, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    notes: tuple[Words, ...] = ()
    generated: datetime | None = None

    def worded(self, say: Callable[[Text], str]) -> Readout:
        """The readout with every Text in it (titles, labels, notes, cells) worded by `say`:
        a page's language, or `str` for English."""
        return replace(
            self,
            title=wording(self.title, say),
            numbers=tuple(
                replace(number, label=wording(number.label, say), note=wording(number.note, say))
                for number in self.numbers
            ),
            tables=tuple(table.worded(say) for table in self.tables),
            charts=tuple(
                replace(
                    chart,
                    title=wording(chart.title, say),
                    marks={wording(name, say): value for name, value in chart.marks.items()},
                )
                for chart in self.charts
            ),
            notes=tuple(wording(note, say) for note in self.notes),
        )

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise QueryError(
            f"the {self.report} report has no table {key!r}; "
            f"choose one of: {', '.join(t.key for t in self.tables)}"
        )

    def number(self, key: str) -> Number:
        return next(number for number in self.numbers if number.key == key)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "title": str(self.title),
            "period": self.period.to_json(),
            "previous_period": self.period.previous().to_json(),
            "filters": self.filters.to_json(),
            "numbers": [number.to_json() for number in self.numbers],
            "tables": [table.to_json() for table in self.tables],
            "charts": [chart.to_json() for chart in self.charts],
            "notes": [str(note) for note in self.notes],
            "generated": self.generated.isoformat() if self.generated else None,
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_json_value(item) for item in value]
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "; ".join(_csv_value(item) for item in value)
    return str(value)
