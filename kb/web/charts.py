"""Charts drawn on the server as SVG: trends, ranked bars, a reliability diagram, intervals. Pure.

No JavaScript and nothing inline that the Content-Security-Policy refuses: colours are SVG
presentation attributes, sizes come from the viewBox (the image scales to its container's
width), and every chart is labelled as an image whose numbers the table beside it holds.
Each is drawn for one Layout (kb.web.chart_parts: a wide screen's or a phone's), its numbers
written by `write` (English by default; a page passes its language's). Every series
given is drawn, named in a legend when there are two or more. A value of None (no data for
that point) leaves a gap rather than a made-up zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from kb.web.chart_parts import (
    BOTTOM,
    GRID,
    INK,
    LEFT,
    LEGEND_ROW,
    MARK_ROW,
    PALETTE,
    RIGHT,
    TOP,
    WIDE,
    Layout,
    NumberText,
    Plot,
    english_number,
    frame,
    legend,
    legend_rows,
    nice_ceiling,
    number_text,
    plain_number,
    runs,
    scale_ticks,
    shorten,
    x_labels,
    y_axis,
)

# A bar's thickness, and the space between one label's bars and the next label's.
BAR = 14
BAR_GAP = 8
# A label written above its bars, in a layout with no room beside them.
LABEL_ROW = 16


@dataclass(frozen=True)
class Series:
    """One line or set of bars: a name for the legend and a value per x position."""

    label: str
    values: tuple[float | None, ...]


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for line in series:
        if len(line.values) != len(labels):
            raise ValueError(f"series {line.label!r} needs one value per label")


def _ceiling(series: Sequence[Series], percent: bool) -> float:
    known = [v for line in series for v in line.values if v is not None and math.isfinite(v)]
    return 1.0 if percent else nice_ceiling(max(known, default=0.0))


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool,
    positions: Sequence[float] | None = None,
    marks: Mapping[str, float] | None = None,
    layout: Layout = WIDE,
    write: NumberText = english_number,
    tick_text: Callable[[float], str] = plain_number,
) -> str:
    """Lines over `labels`, evenly spaced; or at `positions` in [0, 1] (a threshold axis,
    ticked at round steps written by `tick_text`, where `marks` draws a labelled vertical
    rule at each named position)."""
    _check(labels, series)
    count = len(labels)
    if positions is not None and len(positions) != count:
        raise ValueError("give one position per label")
    names = [line.label for line in series]
    top = TOP + LEGEND_ROW * legend_rows(names, layout) + (MARK_ROW if marks else 0)
    height = top + 172 + BOTTOM
    plot = Plot(LEFT, top, layout.width - RIGHT, height - BOTTOM)
    ceiling = _ceiling(series, percent)

    def x_of(index: int) -> float:
        if positions is not None:
            return plot.x(positions[index])
        return plot.x(index / (count - 1) if count > 1 else 0.5)

    def y_of(value: float) -> float:
        return plot.y(value / ceiling if ceiling else 0)

    parts = [y_axis(plot, ceiling, percent, write)]
    if positions is not None:
        parts.append(scale_ticks(plot, layout.threshold_steps, tick_text))
    else:
        parts.append(x_labels(plot, labels, x_of, layout))
    for name, where in (marks or {}).items():
        x = plot.x(where)
        # Written above the plot, on the side with room, so no line runs through it.
        anchor, shift = ("end", -3) if where > 0.6 else ("start", 3)
        parts.append(
            f'<line class="mark" x1="{x:.1f}" y1="{plot.top - MARK_ROW + 2}" x2="{x:.1f}" '
            f'y2="{plot.bottom}" stroke="{INK}" stroke-dasharray="4 3"/>'
            f'<text x="{x + shift:.1f}" y="{plot.top - 5}" text-anchor="{anchor}" '
            f'fill="{INK}">{escape(name)}</text>'
        )
    for number, line in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        for run in runs(line.values):
            if len(run) > 1:
                points = " ".join(f"{x_of(i):.1f},{y_of(value):.1f}" for i, value in run)
                parts.append(
                    f'<polyline class="series" points="{points}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
            for i, value in run:
                parts.append(
                    f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="2.5" '
                    f'fill="{colour}"/>'
                )
    parts.append(legend(names, layout))
    return frame(title, "line", layout, height, parts)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool,
    layout: Layout = WIDE,
    write: NumberText = english_number,
) -> str:
    """Horizontal bars, one per label and series, in the order given (a ranking reads
    top-down); each bar ends with its value. A layout without room for labels beside the
    bars (label_width 0) writes each label above its bars."""
    _check(labels, series)
    names = [line.label for line in series]
    rows = legend_rows(names, layout)
    top = LEGEND_ROW * rows + 12 if rows else 10
    above = layout.label_width == 0
    label_row = LABEL_ROW if above else 0
    row = label_row + BAR * max(len(series), 1) + BAR_GAP
    height = top + row * len(labels) + 6
    left = 8 if above else layout.label_width + 8
    right = layout.width - 44
    ceiling = _ceiling(series, percent)
    parts = [legend(names, layout, left=left)]
    for index, label in enumerate(labels):
        y = top + index * row
        shown = escape(shorten(label, layout.label_characters))
        if above:
            parts.append(f'<text x="{left}" y="{y + 12}" fill="{INK}">{shown}</text>')
        else:
            middle = y + BAR_GAP / 2 + BAR * len(series) / 2
            parts.append(
                f'<text x="{layout.label_width}" y="{middle + 4:.1f}" text-anchor="end" '
                f'fill="{INK}">{shown}</text>'
            )
        for number, line in enumerate(series):
            value = line.values[index]
            if value is None or not math.isfinite(value):
                continue
            width = max((right - left) * (value / ceiling if ceiling else 0), 0)
            bar_top = y + label_row + BAR_GAP / 2 + number * BAR
            parts.append(
                f'<rect class="bar" x="{left}" y="{bar_top:.1f}" width="{width:.1f}" '
                f'height="{BAR - 2}" fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{escape(label)}, {escape(line.label)}: "
                f"{number_text(value, percent, write)}</title></rect>"
                f'<text x="{left + width + 4:.1f}" y="{bar_top + BAR - 4:.1f}" fill="{INK}">'
                f"{number_text(value, percent, write)}</text>"
            )
    return frame(title, "bar", layout, height, parts)


def column_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool,
    layout: Layout = WIDE,
    write: NumberText = english_number,
) -> str:
    """Upright bars over `labels` in time order (counts per day or week), the series side
    by side in each slot; None leaves a gap."""
    _check(labels, series)
    names = [line.label for line in series]
    top = TOP + LEGEND_ROW * legend_rows(names, layout)
    height = top + 152 + BOTTOM
    plot = Plot(LEFT, top, layout.width - RIGHT, height - BOTTOM)
    ceiling = _ceiling(series, percent)
    count = len(labels)
    slot = (plot.right - plot.left) / max(count, 1)
    width = max(slot * 0.7 / max(len(series), 1), 1.0)

    def x_of(index: int) -> float:
        return plot.left + slot * (index + 0.5)

    parts = [y_axis(plot, ceiling, percent, write), x_labels(plot, labels, x_of, layout)]
    for number, line in enumerate(series):
        offset = (number - len(series) / 2) * width
        for index, value in enumerate(line.values):
            if value is None or not math.isfinite(value):
                continue
            bar_top = plot.y(value / ceiling if ceiling else 0)
            named = f"{escape(labels[index])}"
            if len(series) > 1:
                named += f", {escape(line.label)}"
            parts.append(
                f'<rect class="bar" x="{x_of(index) + offset:.1f}" y="{bar_top:.1f}" '
                f'width="{width:.1f}" height="{plot.bottom - bar_top:.1f}" '
                f'fill="{PALETTE[number % len(PALETTE)]}">'
                f"<title>{named}: {number_text(value, percent, write)}</title></rect>"
            )
    parts.append(legend(names, layout))
    return frame(title, "column", layout, height, parts)


def reliability_chart(
    title: str,
    predicted: Sequence[float | None],
    observed: Sequence[float | None],
    *,
    key: Sequence[str] = ("x: predicted", "y: observed", "dashed: perfectly calibrated"),
    layout: Layout = WIDE,
    write: NumberText = english_number,
    tick_text: Callable[[float], str] = plain_number,
) -> str:
    """Observed share against mean predicted probability per bin; the diagonal is perfect
    calibration. Bins without outcomes (None) are left out. `key` explains the axes and the
    diagonal, beside the plot where it fits, else below it."""
    if len(predicted) != len(observed):
        raise ValueError("give one observed share per predicted probability")
    side = 232
    plot = Plot(LEFT, TOP, LEFT + side, TOP + side)
    beside = layout.width - plot.right >= 200
    height = plot.bottom + BOTTOM + (0 if beside else LEGEND_ROW * len(key))
    parts = [y_axis(plot, 1.0, True, write), scale_ticks(plot, 4, tick_text)]
    parts.append(
        f'<line class="diagonal" x1="{plot.x(0)}" y1="{plot.y(0)}" x2="{plot.x(1)}" '
        f'y2="{plot.y(1)}" stroke="{INK}" stroke-dasharray="4 3"/>'
    )
    for guess, seen in zip(predicted, observed, strict=True):
        if guess is None or seen is None:
            continue
        parts.append(
            f'<circle class="point" cx="{plot.x(guess):.1f}" cy="{plot.y(seen):.1f}" r="4" '
            f'fill="{PALETTE[0]}"/>'
        )
    for line, words in enumerate(key):
        if beside:
            x, y = plot.right + 12, plot.top + 14 + LEGEND_ROW * line
        else:
            x, y = 8, plot.bottom + BOTTOM - 4 + LEGEND_ROW * line
        parts.append(f'<text x="{x}" y="{y}" fill="{INK}">{escape(words)}</text>')
    return frame(title, "reliability", layout, height, parts)


def interval_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    *,
    layout: Layout = WIDE,
    write: NumberText = english_number,
) -> str:
    """Estimates (shares) with their 95% interval as whiskers. A difference that can fall
    below zero is drawn around a zero line, signed; shares that cannot (rates) from 0 up."""
    if not len(labels) == len(values) == len(lows) == len(highs):
        raise ValueError("give a value, a low and a high per label")
    row = 34
    label_width = 150 if layout.label_width else 124
    height = TOP + row * len(labels) + BOTTOM
    known = [v for v in (*values, *lows, *highs) if v is not None]
    reach = max((abs(v) for v in known), default=0.0)
    reach = max(0.05, math.ceil(reach * 20) / 20)
    signed = any(v < 0 for v in known)
    if not signed:  # a whole number of fifths, so each quarter is a round share
        reach = max(0.2, math.ceil(reach * 5 - 1e-9) / 5)
    start = -reach if signed else 0.0
    plot = Plot(label_width + 10, TOP, layout.width - RIGHT - 20, TOP + row * len(labels))

    def x_of(share: float) -> float:
        return plot.x((share - start) / (reach - start))

    parts = []
    for step in range(5):
        tick = start + (reach - start) * step / 4
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{plot.top}" x2="{x:.1f}" y2="{plot.bottom}" '
            f'stroke="{INK if abs(tick) < 1e-12 else GRID}"/>'
            f'<text x="{x:.1f}" y="{plot.bottom + 16}" text-anchor="middle" fill="{INK}">'
            f"{number_text(tick, True, write, signed=signed)}</text>"
        )
    for index, label in enumerate(labels):
        y = plot.top + index * row + row / 2
        parts.append(
            f'<text x="{label_width}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(shorten(label, 24 if layout.label_width else 16))}</text>"
        )
        low, high, value = lows[index], highs[index], values[index]
        if low is not None and high is not None:
            parts.append(
                f'<line class="whisker" x1="{x_of(low):.1f}" y1="{y:.1f}" x2="{x_of(high):.1f}" '
                f'y2="{y:.1f}" stroke="{PALETTE[0]}" stroke-width="2"/>'
            )
        if value is not None:
            parts.append(
                f'<circle class="point" cx="{x_of(value):.1f}" cy="{y:.1f}" r="5" '
                f'fill="{PALETTE[0]}"/>'
            )
    return frame(title, "interval", layout, height, parts)
