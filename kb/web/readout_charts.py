"""How a page draws a readout's charts from its tables: which rows and series each chart
shows, on which scales, in the page's language, once per layout (a wide screen's and a
phone's; the stylesheet shows one). The figures are the table's; nothing here computes one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from kb.insights.readout import Chart, Column, Table
from kb.web import charts
from kb.web.chart_parts import LAYOUTS, Layout

# A ranking's chart shows its highest rows, above zero; the table beside it holds them all.
MAX_BARS = 15


@dataclass(frozen=True)
class Drawing:
    """One chart as the page shows it: its title and its SVG per layout."""

    title: str
    svgs: tuple[Markup, ...]


def draw(chart: Chart, table: Table) -> list[Drawing]:
    """The chart drawn from its table's rows, every series the chart names. Series of shares
    and of counts are drawn as two charts, one per scale, so neither is squashed flat by the
    other; a ranking shows its highest rows above zero (MAX_BARS) and says so in its title."""
    # The readout reaches the page worded in its language (kb.web.readout_words).
    title = str(chart.title)
    columns = {column.key: column for column in table.columns}
    labels = [axis_label(row.get(chart.x), columns[chart.x].kind) for row in table.rows]
    drawings = []
    for keys in _by_scale(chart.series, columns) if chart.kind in ("line", "bar") else ():
        percent = columns[keys[0]].kind == "rate"
        if chart.kind == "line":
            drawings.append(_lines(chart, table, columns, labels, keys, percent))
        else:
            drawings.append(_bars(chart, table, columns, labels, keys, percent))
    if chart.kind == "reliability":
        predicted, observed = (
            chart.series[:2] if len(chart.series) >= 2 else (chart.x, *chart.series)
        )
        key = (
            _("x: predicted deflection"),
            _("y: observed share"),
            _("dashed: perfectly calibrated"),
        )
        drawings.append(
            _drawn(
                title,
                lambda layout: charts.reliability_chart(
                    title,
                    _values(table, predicted),
                    _values(table, observed),
                    key=key,
                    layout=layout,
                    write=chart_number,
                    tick_text=_tick,
                ),
            )
        )
    if chart.kind == "interval":
        value, low, high = chart.series[:3]
        drawings.append(
            _drawn(
                title,
                lambda layout: charts.interval_chart(
                    title,
                    labels,
                    _values(table, value),
                    _values(table, low),
                    _values(table, high),
                    layout=layout,
                    write=chart_number,
                ),
            )
        )
    if not drawings:
        raise ValueError(f"no way to draw a chart of kind {chart.kind!r}")
    return drawings


def _by_scale(keys: Sequence[str], columns: Mapping[str, Column]) -> list[list[str]]:
    """The series keys as groups drawn on one scale each: shares first, then counts."""
    shares = [key for key in keys if columns[key].kind == "rate"]
    counts = [key for key in keys if columns[key].kind != "rate"]
    return [group for group in (shares, counts) if group]


def _lines(
    chart: Chart,
    table: Table,
    columns: Mapping[str, Column],
    labels: Sequence[str],
    keys: Sequence[str],
    percent: bool,
) -> Drawing:
    title = str(chart.title)
    x_values = _values(table, chart.x)
    # A threshold axis (values in [0, 1]) is drawn to scale, with its marks.
    on_scale = columns[chart.x].kind in ("rate", "number") and all(
        value is not None and 0 <= value <= 1 for value in x_values
    )
    positions = [value or 0.0 for value in x_values] if on_scale else None
    series = [charts.Series(str(columns[key].label), tuple(_values(table, key))) for key in keys]
    return _drawn(
        title,
        lambda layout: charts.line_chart(
            title,
            labels,
            series,
            percent=percent,
            positions=positions,
            marks={str(name): at for name, at in chart.marks.items()} if on_scale else None,
            layout=layout,
            write=chart_number,
            tick_text=_tick,
        ),
    )


def _bars(
    chart: Chart,
    table: Table,
    columns: Mapping[str, Column],
    labels: Sequence[str],
    keys: Sequence[str],
    percent: bool,
) -> Drawing:
    title = str(chart.title)
    if columns[chart.x].kind in ("date", "time"):
        # Counts over time stand upright in time order, not ranked.
        series = [
            charts.Series(str(columns[key].label), tuple(_values(table, key))) for key in keys
        ]
        return _drawn(
            title,
            lambda layout: charts.column_chart(
                title, labels, series, percent=percent, layout=layout, write=chart_number
            ),
        )
    # Ranked by the first series; its rows above zero, highest first.
    first = _values(table, keys[0])
    ranked = sorted(
        (index for index, value in enumerate(first) if value is not None and value > 0),
        key=lambda index: -(first[index] or 0.0),
    )[:MAX_BARS]
    if len(ranked) < len(table.rows):
        title = _(
            "%(title)s, the %(shown)d highest of %(rows)d rows",
            title=title,
            shown=len(ranked),
            rows=len(table.rows),
        )
    series = [
        charts.Series(
            str(columns[key].label), tuple(_values(table, key)[index] for index in ranked)
        )
        for key in keys
    ]
    kept = [labels[index] for index in ranked]
    return _drawn(
        title,
        lambda layout: charts.bar_chart(
            title, kept, series, percent=percent, layout=layout, write=chart_number
        ),
    )


def _drawn(title: str, svg: Callable[[Layout], str]) -> Drawing:
    """The chart drawn once per layout; charts.py escapes every text it writes."""
    return Drawing(title, tuple(Markup(svg(layout)) for layout in LAYOUTS))


def _values(table: Table, key: str) -> list[float | None]:
    return [number(row.get(key)) for row in table.rows]


def chart_number(value: float, percent: bool) -> str:
    """A chart's number in the page's language: 1.250 and 40 % in Spanish."""
    if percent:
        return str(format_percent(value, "#,##0%"))
    return str(format_decimal(value, "#,##0.#"))


def _tick(value: float) -> str:
    return str(format_decimal(value, "0.##"))


def axis_label(value: Any, kind: str) -> str:
    """A row's value along a chart's axis, short, in the page's language."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return str(format_date(value, "d MMM"))
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "rate" and isinstance(value, (int, float)):
        return str(format_percent(value, "#,##0.#%"))
    if kind in ("count", "number") and isinstance(value, (int, float)):
        return str(format_decimal(value, "#,##0.##"))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(item) for item in value)
    return str(value)


def number(value: Any) -> float | None:
    """A cell as a number to draw; None for text, flags and what is not finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
