"""How a page shows a Readout: numbers as cards, each chart drawn beside its table, and
tables sorted by a column on request, with the links and actions a row offers the person
looking (RowExtras). Every figure is the readout's; nothing here computes one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from kb.errors import InvalidInputError
from kb.insights.readout import Column, Number, Readout, Table
from kb.web.readout_charts import Drawing, draw

# Sorting by a column is offered where the order is not the point: a trend table stays in
# time order, a reliability diagram's bins in theirs, and a single row has nothing to sort.
UNSORTED_CHARTS = ("line", "reliability")
MINIMUM_SORTED_ROWS = 2
# A link cell's address must stay on this site or go to the web; nothing else is followed.
LINK_PREFIXES = ("/", "https://", "http://")

SortLink = Callable[[str, str, bool], str]


@dataclass(frozen=True)
class Sort:
    """One table's order: by `column`, highest first when `descending`."""

    table: str
    column: str
    descending: bool

    @classmethod
    def parse(cls, value: str | None) -> Sort | None:
        """`articles:-views` (table `articles`, by `views`, highest first); None when unset."""
        if not value:
            return None
        table, separator, column = value.partition(":")
        descending = column.startswith("-")
        column = column.removeprefix("-")
        if not separator or not table or not column:
            raise InvalidInputError(
                "`sort` must name a table and a column, like articles:views or articles:-views",
                field="sort",
            )
        return cls(table, column, descending)

    def __str__(self) -> str:
        return f"{self.table}:{'-' if self.descending else ''}{self.column}"


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: str
    previous: str
    change: str
    direction: str  # "up", "down", "same", or "" when there is nothing to compare
    note: str


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    kind: str
    sort_url: str | None
    sorted: str | None  # "ascending", "descending" (aria-sort), or None


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None
    kind: str


@dataclass(frozen=True)
class Action:
    """What a row lets one do: follow `href`, or post `fields` to `post` (the page adds the
    CSRF token)."""

    label: str
    href: str = ""
    post: str = ""
    fields: tuple[tuple[str, str], ...] = ()


class RowExtras(Protocol):
    """What the page adds to a table's rows for the person looking at it."""

    def link(self, table: str, column: str, row: Mapping[str, Any]) -> str | None:
        """Where a cell leads, when this person may go there; None to leave it as text."""
        ...

    def actions(self, table: str, row: Mapping[str, Any]) -> tuple[Action, ...]:
        """What this person can do with the row."""
        ...

    def remarks(self, table: str) -> tuple[str, ...]:
        """What the table does not offer this person, and why."""
        ...


@dataclass(frozen=True)
class TableView:
    table: Table
    headers: tuple[Header, ...]
    rows: tuple[tuple[Cell, ...], ...]
    charts: tuple[Drawing, ...]
    actions: tuple[tuple[Action, ...], ...] = ()  # one per row, when any row has some
    remarks: tuple[str, ...] = ()


def cards(readout: Readout) -> list[Card]:
    """The headline numbers, each with the previous period's value and the change."""
    return [_card(number) for number in readout.numbers]


def table_views(
    readout: Readout, sort: Sort | None, sort_link: SortLink, extras: RowExtras | None = None
) -> list[TableView]:
    """Each table with its charts, formatted cells and, where it helps, sortable headers;
    with `extras`, the rows' links and actions.

    InvalidInputError when `sort` names a table or column the readout does not have.
    """
    if sort is not None:
        columns = [column.key for column in readout.table(sort.table).columns]
        if sort.column not in columns:
            raise InvalidInputError(
                f"the {sort.table} table has no column {sort.column!r}; "
                f"choose one of: {', '.join(columns)}",
                field="sort",
            )
    views = []
    for table in readout.tables:
        drawn = [chart for chart in readout.charts if chart.table == table.key]
        sortable = len(table.rows) >= MINIMUM_SORTED_ROWS and not any(
            chart.kind in UNSORTED_CHARTS for chart in drawn
        )
        order = sort if sort is not None and sort.table == table.key and sortable else None
        rows = _sorted(table, order) if order else list(table.rows)
        actions = tuple(extras.actions(table.key, row) for row in rows) if extras else ()
        views.append(
            TableView(
                table=table,
                headers=tuple(
                    _header(table, column, order, sort_link if sortable else None)
                    for column in table.columns
                ),
                rows=tuple(
                    tuple(
                        _cell(
                            row.get(column.key),
                            column,
                            extras.link(table.key, column.key, row) if extras else None,
                        )
                        for column in table.columns
                    )
                    for row in rows
                ),
                charts=tuple(
                    drawing for chart in drawn if table.rows for drawing in draw(chart, table)
                ),
                actions=actions if any(actions) else (),
                remarks=extras.remarks(table.key) if extras and table.rows else (),
            )
        )
    return views


def is_empty(readout: Readout) -> bool:
    """Whether nothing was recorded: every number is zero or unknown and every table empty."""
    return all(not number.value for number in readout.numbers) and all(
        not table.rows for table in readout.tables
    )


def _card(number: Number) -> Card:
    change = number.change
    if change is None:
        direction, change_text = "", ""
    elif abs(change) < 1e-9:
        direction, change_text = "same", str(_("no change"))
    else:
        direction = "up" if change > 0 else "down"
        change_text = _signed(change, number.kind)
    return Card(
        key=number.key,
        label=str(number.label),
        value=format_value(number.value, number.kind),
        previous=format_value(number.previous, number.kind),
        change=change_text,
        direction=direction,
        note=str(number.note),
    )


def _signed(change: float, kind: str) -> str:
    sign = "+" if change > 0 else "−"
    if kind == "rate":
        points = format_decimal(abs(change) * 100, "#,##0.#")
        return str(_("%(sign)s%(points)s points", sign=sign, points=points))
    return sign + format_value(abs(change), kind)


def format_value(value: Any, kind: str) -> str:
    """A readout value as the page's language writes it; "–" when it is not known."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if kind == "rate" and isinstance(value, (int, float)):
        return str(format_percent(value, "#,##0.0%"))
    if kind == "count" and isinstance(value, (int, float)):
        return str(format_decimal(round(value), "#,##0"))
    if kind == "number" and isinstance(value, (int, float)):
        return str(format_decimal(value, "#,##0.##"))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return str(value.get("label") or value.get("href") or "")
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "; ".join(format_value(item, "text") for item in value)
    return str(value)


def _cell(value: Any, column: Column, href: str | None = None) -> Cell:
    """A formatted cell; it links to `href`, or, in a link column, to its own address."""
    if href is None and column.kind == "link":
        target = value.get("href") if isinstance(value, Mapping) else value
        if isinstance(target, str) and target.startswith(LINK_PREFIXES):
            href = target
    return Cell(format_value(value, column.kind), href, column.kind)


def _header(table: Table, column: Column, order: Sort | None, sort_link: SortLink | None) -> Header:
    current = order is not None and order.column == column.key
    sorted_as = None
    if current and order is not None:
        sorted_as = "descending" if order.descending else "ascending"
    # The first press on a count or rate shows the highest first; text starts at A.
    descending = column.kind in ("count", "rate", "number", "date", "time")
    if current and order is not None:
        descending = not order.descending
    url = sort_link(table.key, column.key, descending) if sort_link else None
    return Header(column.key, str(column.label), column.kind, url, sorted_as)


def _sorted(table: Table, order: Sort) -> list[Mapping[str, Any]]:
    """Rows by the column; rows without a value come last either way."""
    known = [row for row in table.rows if row.get(order.column) is not None]
    unknown = [row for row in table.rows if row.get(order.column) is None]
    known.sort(key=lambda row: _sort_key(row[order.column]), reverse=order.descending)
    return known + unknown


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, datetime):
        return (1, value.isoformat())
    if isinstance(value, date):
        return (1, value.isoformat())
    if isinstance(value, Mapping):
        return (2, str(value.get("label", "")).lower())
    return (2, str(value).lower())
