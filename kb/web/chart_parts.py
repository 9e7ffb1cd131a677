"""What every SVG chart is built from: its layout, plot area, axes, legend and frame. Pure.

A chart is drawn twice, once per Layout: the SVG scales to its container's width, so text
drawn for a 720 px column would shrink to 7 px on a 390 px phone. The page's stylesheet shows
the wide drawing on a wide screen and the narrow one on a phone, each with text near 12 px.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2f6fe0", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c")
GRID = "#dfe3ea"
INK = "#3b4457"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 28, 40
LEGEND_ROW = 18
# How a chart writes a number: (value, whether it is a share) -> text.
NumberText = Callable[[float, bool], str]
# Room for a labelled mark (a threshold's vertical rule) between the legend and the plot.
MARK_ROW = 16


@dataclass(frozen=True)
class Layout:
    """A drawing's width (its viewBox) and what fits in it."""

    name: str
    width: int
    # The most labels written along a horizontal axis.
    x_labels: int
    # Room for a bar's label on its left (0: written above it), and the characters it is
    # cut to.
    label_width: int
    label_characters: int
    legend_columns: int
    # Steps between the ticks of a threshold axis from 0 to 1.
    threshold_steps: int


# Wide enough for a readable axis at 1280 px (the figure is at most 720 px wide); the narrow
# one near a phone's 340 px column, so its text is drawn close to its own size.
WIDE = Layout("wide", 560, 8, 190, 26, 2, 10)
NARROW = Layout("narrow", 340, 4, 0, 46, 1, 4)
LAYOUTS = (WIDE, NARROW)


@dataclass(frozen=True)
class Plot:
    left: float
    top: float
    right: float
    bottom: float

    def x(self, share: float) -> float:
        return self.left + (self.right - self.left) * share

    def y(self, share: float) -> float:
        return self.bottom - (self.bottom - self.top) * share


def frame(title: str, kind: str, layout: Layout, height: float, parts: Sequence[str]) -> str:
    """The SVG: an image named by its title (the figure's caption says the table beside it
    holds the same numbers), marked with its kind and layout for the stylesheet."""
    return (
        f'<svg class="chart chart-{kind} chart-{layout.name}" data-chart="{kind}" '
        f'viewBox="0 0 {layout.width} {height:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def legend_rows(names: Sequence[str], layout: Layout) -> int:
    """How many rows the legend of these series takes (none for a single series)."""
    if len(names) < 2:
        return 0
    return math.ceil(len(names) / layout.legend_columns)


def legend(names: Sequence[str], layout: Layout, left: float = LEFT) -> str:
    """A swatch and a name per series, in rows across the top; nothing for a single series."""
    if len(names) < 2:
        return ""
    column_width = (layout.width - left - RIGHT) / layout.legend_columns
    characters = max(8, int((column_width - 24) / 6.4))
    entries = []
    for number, name in enumerate(names):
        x = left + (number % layout.legend_columns) * column_width
        y = 14 + LEGEND_ROW * (number // layout.legend_columns)
        entries.append(
            f'<rect class="swatch" x="{x:.1f}" y="{y - 9}" width="14" height="8" '
            f'fill="{PALETTE[number % len(PALETTE)]}"/>'
            f'<text x="{x + 20:.1f}" y="{y - 1}" fill="{INK}">{escape(shorten(name, characters))}'
            "</text>"
        )
    return "".join(entries)


def y_axis(plot: Plot, ceiling: float, percent: bool, write: NumberText) -> str:
    lines = []
    for step in range(5):
        share = step / 4
        y = plot.y(share)
        lines.append(
            f'<line x1="{plot.left}" y1="{y:.1f}" x2="{plot.right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{plot.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(write(ceiling * share, percent))}</text>"
        )
    return "".join(lines)


def x_labels(
    plot: Plot,
    labels: Sequence[str],
    x_of: Callable[[int], float],
    layout: Layout,
) -> str:
    """At most layout.x_labels of the labels, evenly picked; the last one always, and the
    one before it left out when it would stand too close."""
    count = len(labels)
    every = max(1, math.ceil(count / layout.x_labels))
    shown = []
    for index, label in enumerate(labels):
        if index % every and index != count - 1:
            continue
        if index != count - 1 and count - 1 - index < every:
            continue
        shown.append(
            f'<text x="{x_of(index):.1f}" y="{plot.bottom + 18}" text-anchor="middle" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    return "".join(shown)


def scale_ticks(
    plot: Plot, steps: int, tick_text: Callable[[float], str], *, grid: bool = False
) -> str:
    """Ticks at every 1/steps of a 0-to-1 axis, written by `tick_text`."""
    parts = []
    for step in range(steps + 1):
        share = step / steps
        x = plot.x(share)
        if grid:
            parts.append(
                f'<line x1="{x:.1f}" y1="{plot.top}" x2="{x:.1f}" y2="{plot.bottom}" '
                f'stroke="{GRID}"/>'
            )
        parts.append(
            f'<text x="{x:.1f}" y="{plot.bottom + 18}" text-anchor="middle" fill="{INK}">'
            f"{escape(tick_text(share))}</text>"
        )
    return "".join(parts)


def runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The unbroken stretches of known values, so a line has a gap where data is missing."""
    found: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            if current:
                found.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        found.append(current)
    return found


def nice_ceiling(value: float) -> float:
    """The top of a count axis at or above `value`, four grid steps of a whole 1, 2, 2.5 or
    5 × 10^k each (4 at least), so every tick is a whole number: 25 tops out at 40 (steps of
    10), not at 25 (steps of 6.25)."""
    if value <= 4:
        return 4.0
    step = value / 4
    power = 10 ** math.floor(math.log10(step))
    for factor in (1, 2, 2.5, 5, 10):
        whole = factor * power
        if whole >= step and float(whole).is_integer():
            return float(4 * whole)
    return float(40 * power)


def english_number(value: float, percent: bool) -> str:
    """A chart's number as English writes it: 1,250, 2.5, 40%. A page passes its own
    language's writer to each chart instead."""
    if percent:
        return f"{value * 100:.0f}%"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def number_text(value: float, percent: bool, write: NumberText, *, signed: bool = False) -> str:
    """`value` by `write`, with a plus sign before a positive one when `signed`."""
    sign = "+" if signed and value > 0 else ""
    return escape(sign + write(value, percent))


def plain_number(value: float) -> str:
    """A tick on a 0-to-1 axis: 0, 0.25, 1."""
    return f"{value:g}"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
