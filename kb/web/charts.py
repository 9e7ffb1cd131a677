"""Charts drawn on the server as SVG: trends, ranked bars, a reliability diagram, intervals. Pure.

No JavaScript and nothing inline that the Content-Security-Policy refuses: colours are SVG
presentation attributes, sizes come from the viewBox (the image scales to its container's
width), and every chart is labelled as an image whose numbers the table beside it holds.
A value of None (no data for that point) leaves a gap rather than a made-up zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

# Wide enough for a readable axis at 1280 px, narrow enough that text stays legible when
# the image shrinks to a 390 px phone.
WIDTH = 560
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 28, 40
PALETTE = ("#2f6fe0", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c")
GRID = "#dfe3ea"
INK = "#3b4457"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Series:
    """One line or set of bars: a name for the legend and a value per x position."""

    label: str
    values: tuple[float | None, ...]


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool,
    positions: Sequence[float] | None = None,
    marks: Mapping[str, float] | None = None,
) -> str:
    """Lines over `labels`, evenly spaced, or at `positions` in [0, 1] (a threshold axis,
    where `marks` draws a labelled vertical rule at each named position)."""
    height = 240
    top = TOP + 18 * math.ceil(len(series) / 2)
    plot = _Plot(LEFT, top, WIDTH - RIGHT, height - BOTTOM)
    values = [v for s in series for v in s.values if v is not None]
    ceiling = 1.0 if percent else _nice_ceiling(max(values, default=0.0))
    count = len(labels)
    if positions is not None and len(positions) != count:
        raise ValueError("give one position per label")

    def x_of(index: int) -> float:
        if positions is not None:
            return plot.x(positions[index])
        return plot.x(index / (count - 1) if count > 1 else 0.5)

    parts = [_y_axis(plot, ceiling, percent)]
    parts.append(_x_labels(plot, labels, x_of, numeric=positions is not None))
    for name, where in (marks or {}).items():
        x = plot.x(where)
        parts.append(
            f'<line class="mark" x1="{x:.1f}" y1="{plot.top}" x2="{x:.1f}" y2="{plot.bottom}" '
            f'stroke="{INK}" stroke-dasharray="4 3"/>'
            f'<text x="{x + 3:.1f}" y="{plot.top + 11}" fill="{INK}">{escape(name)}</text>'
        )
    for number, line in enumerate(series):
        if len(line.values) != count:
            raise ValueError(f"series {line.label!r} needs one value per label")
        colour = PALETTE[number % len(PALETTE)]
        for run in _runs(line.values):
            points = " ".join(
                f"{x_of(i):.1f},{plot.y(value / ceiling if ceiling else 0):.1f}" for i, value in run
            )
            if len(run) > 1:
                parts.append(
                    f'<polyline class="series" points="{points}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
            for i, value in run:
                parts.append(
                    f'<circle class="point" cx="{x_of(i):.1f}" '
                    f'cy="{plot.y(value / ceiling if ceiling else 0):.1f}" r="2.5" '
                    f'fill="{colour}"/>'
                )
    parts.append(_legend([s.label for s in series]))
    return _svg(title, "line", height, parts)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, percent: bool) -> str:
    """Horizontal bars, one per label, in the order given (a ranking reads top-down)."""
    if len(labels) != len(values):
        raise ValueError("give one value per label")
    row = 22
    label_width = 190
    height = TOP + row * len(labels) + 10
    left, right = label_width + 8, WIDTH - 56
    ceiling = 1.0 if percent else _nice_ceiling(max(values, default=0.0))
    parts = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + index * row
        width = (right - left) * (value / ceiling if ceiling else 0)
        parts.append(
            f'<text x="{label_width}" y="{y + 15}" text-anchor="end" fill="{INK}">'
            f"{escape(_shorten(label, 26))}</text>"
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{max(width, 0):.1f}" '
            f'height="{row - 6}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + width + 4:.1f}" y="{y + 15}" fill="{INK}">'
            f"{_format(value, percent)}</text>"
        )
    return _svg(title, "bar", height, parts)


def reliability_chart(
    title: str, predicted: Sequence[float | None], observed: Sequence[float | None]
) -> str:
    """Observed share against mean predicted probability per bin; the diagonal is perfect
    calibration. Bins without outcomes (None) are left out."""
    if len(predicted) != len(observed):
        raise ValueError("give one observed share per predicted probability")
    height = 300
    plot = _Plot(LEFT, TOP, LEFT + height - TOP - BOTTOM, height - BOTTOM)
    parts = [_y_axis(plot, 1.0, True)]
    ticks = [f"{tick / 4:.2f}" for tick in range(5)]
    parts.append(_x_labels(plot, ticks, lambda i: plot.x(i / 4), numeric=True))
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
    parts.append(
        f'<text x="{plot.right + 12}" y="{plot.top + 14}" fill="{INK}">'
        "x: predicted deflection</text>"
        f'<text x="{plot.right + 12}" y="{plot.top + 32}" fill="{INK}">y: observed share</text>'
        f'<text x="{plot.right + 12}" y="{plot.top + 50}" fill="{INK}">'
        "dashed: perfectly calibrated</text>"
    )
    return _svg(title, "reliability", height, parts)


def interval_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
) -> str:
    """Estimates (shares) with their 95% interval as whiskers. A difference that can fall
    below zero is drawn around a zero line, signed; shares that cannot (rates) from 0 up."""
    if not len(labels) == len(values) == len(lows) == len(highs):
        raise ValueError("give a value, a low and a high per label")
    row = 34
    label_width = 150
    height = TOP + row * len(labels) + BOTTOM
    known = [v for v in (*values, *lows, *highs) if v is not None]
    reach = max((abs(v) for v in known), default=0.0)
    reach = max(0.05, math.ceil(reach * 20) / 20)
    signed = any(v < 0 for v in known)
    if not signed:  # a whole number of fifths, so each quarter is a round share
        reach = max(0.2, math.ceil(reach * 5 - 1e-9) / 5)
    start = -reach if signed else 0.0
    plot = _Plot(label_width + 10, TOP, WIDTH - RIGHT - 20, TOP + row * len(labels))

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
            f"{_format(tick, True, signed=signed)}</text>"
        )
    for index, label in enumerate(labels):
        y = plot.top + index * row + row / 2
        parts.append(
            f'<text x="{label_width}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(_shorten(label, 24))}</text>"
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
    return _svg(title, "interval", height, parts)


def column_chart(
    title: str, labels: Sequence[str], values: Sequence[float | None], *, percent: bool
) -> str:
    """Upright bars over `labels` in time order (a count per day or week); None leaves a gap."""
    if len(labels) != len(values):
        raise ValueError("give one value per label")
    height = 220
    plot = _Plot(LEFT, TOP, WIDTH - RIGHT, height - BOTTOM)
    known = [value for value in values if value is not None and math.isfinite(value)]
    ceiling = 1.0 if percent else _nice_ceiling(max(known, default=0.0))
    count = len(labels)
    slot = (plot.right - plot.left) / max(count, 1)
    width = max(slot * 0.7, 1.0)

    def x_of(index: int) -> float:
        return plot.left + slot * (index + 0.5)

    parts = [_y_axis(plot, ceiling, percent), _x_labels(plot, labels, x_of, numeric=False)]
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            continue
        top = plot.y(value / ceiling if ceiling else 0)
        parts.append(
            f'<rect class="bar" x="{x_of(index) - width / 2:.1f}" y="{top:.1f}" '
            f'width="{width:.1f}" height="{plot.bottom - top:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(labels[index])}: {_format(value, percent)}</title></rect>"
        )
    return _svg(title, "column", height, parts)


@dataclass(frozen=True)
class _Plot:
    left: float
    top: float
    right: float
    bottom: float

    def x(self, share: float) -> float:
        return self.left + (self.right - self.left) * share

    def y(self, share: float) -> float:
        return self.bottom - (self.bottom - self.top) * share


def _svg(title: str, kind: str, height: int, parts: Sequence[str]) -> str:
    label = escape(f"{title} (chart; the table beside it holds the same numbers)")
    return (
        f'<svg class="chart chart-{kind}" data-chart="{kind}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{label}" {FONT}>'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _y_axis(plot: _Plot, ceiling: float, percent: bool) -> str:
    lines = []
    for step in range(5):
        share = step / 4
        y = plot.y(share)
        lines.append(
            f'<line x1="{plot.left}" y1="{y:.1f}" x2="{plot.right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{plot.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{_format(ceiling * share, percent)}</text>"
        )
    return "".join(lines)


def _x_labels(
    plot: _Plot, labels: Sequence[str], x_of: Callable[[int], float], *, numeric: bool
) -> str:
    count = len(labels)
    every = max(1, math.ceil(count / MAX_X_LABELS))
    shown = []
    for index, label in enumerate(labels):
        if index % every and index != count - 1:
            continue
        if not numeric and index != count - 1 and count - 1 - index < every:
            continue  # keep the last label clear of its neighbour
        shown.append(
            f'<text x="{x_of(index):.1f}" y="{plot.bottom + 18}" text-anchor="middle" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    return "".join(shown)


def _legend(names: Sequence[str]) -> str:
    if len(names) < 2:
        return ""
    entries = []
    for number, name in enumerate(names):
        x = LEFT + (number % 2) * 240
        y = 14 + 18 * (number // 2)
        entries.append(
            f'<rect x="{x}" y="{y - 9}" width="14" height="4" fill="{PALETTE[number % 5]}"/>'
            f'<text x="{x + 20}" y="{y - 3}" fill="{INK}">{escape(name)}</text>'
        )
    return "".join(entries)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The unbroken stretches of known values, so a line has a gap where data is missing."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `value` (4 at least, for 4 grid steps)."""
    if value <= 4:
        return 4.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= value:
            return float(factor * power)
    return float(10 * power)


def _format(value: float, percent: bool, *, signed: bool = False) -> str:
    sign = "+" if signed and value > 0 else ""
    if percent:
        return f"{sign}{value * 100:.0f}%"
    if value == int(value):
        return f"{sign}{int(value):,}"
    return f"{sign}{value:,.1f}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
