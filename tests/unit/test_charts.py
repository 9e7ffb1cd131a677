"""Server-side SVG charts: well-formed, labelled, drawn from exactly the numbers given."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from kb.web.chart_parts import NARROW, WIDE, Layout
from kb.web.charts import (
    Series,
    bar_chart,
    column_chart,
    interval_chart,
    line_chart,
    reliability_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    # The markup is embedded in HTML without a namespace; parsing adds one to check it.
    return ElementTree.fromstring(
        svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def elements(svg: str, tag: str, css: str) -> list[ElementTree.Element]:
    return [e for e in parse(svg).iter(SVG + tag) if css in (e.get("class") or "").split()]


def texts(svg: str) -> list[str]:
    return [e.text or "" for e in parse(svg).iter(SVG + "text")]


def test_a_line_chart_is_a_labelled_image_with_one_point_per_value() -> None:
    svg = line_chart(
        "Deflection rate",
        ["11-01", "11-02", "11-03"],
        [Series("deflection", (0.5, 0.25, 1.0)), Series("confirmed", (0.25, 0.0, 0.5))],
        percent=True,
    )
    root = parse(svg)
    assert root.get("role") == "img" and "Deflection rate" in (root.get("aria-label") or "")
    assert "style" not in svg  # the Content-Security-Policy refuses inline style
    assert len(elements(svg, "circle", "point")) == 6
    assert len(elements(svg, "polyline", "series")) == 2
    assert {"0%", "50%", "100%", "deflection", "confirmed", "11-01", "11-03"} <= set(texts(svg))


def test_a_rate_of_one_reaches_the_top_and_zero_the_bottom() -> None:
    svg = line_chart("Rate", ["a", "b"], [Series("rate", (0.0, 1.0))], percent=True)
    bottom, top = (float(c.get("cy") or 0) for c in elements(svg, "circle", "point"))
    grid = sorted(float(line.get("y1") or 0) for line in parse(svg).iter(SVG + "line"))
    assert top == pytest.approx(grid[0]) and bottom == pytest.approx(grid[-1])


def test_missing_values_leave_a_gap_instead_of_a_zero() -> None:
    svg = line_chart(
        "Rate",
        ["1", "2", "3", "4", "5"],
        [Series("rate", (0.2, 0.4, None, 0.6, 0.8))],
        percent=True,
    )
    assert len(elements(svg, "polyline", "series")) == 2
    assert len(elements(svg, "circle", "point")) == 4


def test_counts_get_a_round_axis_above_the_largest_value() -> None:
    svg = line_chart("Tickets", ["a", "b"], [Series("tickets", (3.0, 173.0))], percent=False)
    assert "200" in texts(svg) and "173" not in texts(svg)


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (3.0, ["0", "1", "2", "3", "4"]),
        (25.0, ["0", "10", "20", "30", "40"]),
        (173.0, ["0", "50", "100", "150", "200"]),
    ],
)
def test_a_count_axis_is_ticked_in_whole_numbers(largest: float, ticks: list[str]) -> None:
    svg = column_chart("Tickets", ["a", "b"], [Series("tickets", (1.0, largest))], percent=False)
    assert [t for t in texts(svg) if t.replace(",", "").isdigit()][:5] == ticks


def test_numbers_are_written_as_the_page_asks() -> None:
    def spanish(value: float, percent: bool) -> str:
        return f"{value * 100:.0f} %" if percent else f"{value:,.0f}".replace(",", ".")

    columns = column_chart(
        "Tickets", ["a", "b"], [Series("tickets", (1200.0, 1500.0))], percent=False, write=spanish
    )
    assert {"0", "500", "1.000", "1.500", "2.000"} <= set(texts(columns))
    bars = bar_chart("Views", ["a"], [Series("views", (1234.0,))], percent=False, write=spanish)
    assert "1.234" in texts(bars)
    interval = interval_chart("Rates", ["held out"], [0.5], [0.4], [0.6], write=spanish)
    assert "0 %" in texts(interval) and "0%" not in texts(interval)


def test_a_threshold_axis_marks_todays_values() -> None:
    svg = line_chart(
        "Precision and coverage",
        ["0.1", "0.5", "0.9"],
        [Series("precision", (0.6, 0.8, 0.95)), Series("coverage", (1.0, 0.6, 0.2))],
        percent=True,
        positions=(0.1, 0.5, 0.9),
        marks={"show 0.3": 0.3, "confident 0.6": 0.6},
    )
    marks = elements(svg, "line", "mark")
    assert len(marks) == 2 and {"show 0.3", "confident 0.6"} <= set(texts(svg))


def x_ticks(svg: str) -> list[tuple[float, str]]:
    """The texts written under the plot (the x axis), left to right, with their x."""
    root = parse(svg)
    texts = [e for e in root.iter(SVG + "text") if e.get("text-anchor") == "middle"]
    return sorted((float(e.get("x") or 0), e.text or "") for e in texts)


@pytest.mark.parametrize("layout", [WIDE, NARROW], ids=["wide", "narrow"])
def test_a_threshold_axis_is_ticked_at_round_steps_however_many_points(layout: Layout) -> None:
    thresholds = [step / 20 for step in range(20)]  # 0, 0.05 … 0.95: twenty points
    svg = line_chart(
        "Precision and coverage",
        [f"{value:g}" for value in thresholds],
        [Series("precision", tuple(0.5 + value / 2 for value in thresholds))],
        percent=True,
        positions=thresholds,
        marks={"show_threshold": 0.3},
        layout=layout,
        tick_text=lambda value: f"{value:g}".replace(".", ","),
    )
    ticks = x_ticks(svg)
    steps = {WIDE: 10, NARROW: 4}[layout]
    assert [text for _x, text in ticks] == [
        f"{step / steps:g}".replace(".", ",") for step in range(steps + 1)
    ]
    # Four characters at 12 px take about 28 px: every label stands clear of the next.
    gaps = [right - left for (left, _a), (right, _b) in zip(ticks, ticks[1:], strict=False)]
    assert min(gaps) >= 40
    assert len(elements(svg, "circle", "point")) == 20


def test_a_mark_is_labelled_above_the_plot_on_the_side_with_room() -> None:
    svg = line_chart(
        "Precision",
        ["0.2", "0.9"],
        [Series("precision", (0.5, 0.9))],
        percent=True,
        positions=(0.2, 0.9),
        marks={"confident_threshold": 0.9},
    )
    (mark,) = elements(svg, "line", "mark")
    label = next(e for e in parse(svg).iter(SVG + "text") if e.text == "confident_threshold")
    # Near the right edge the name ends at the rule instead of running out of the image.
    assert label.get("text-anchor") == "end"
    top_of_plot = max(float(c.get("cy") or 0) for c in elements(svg, "circle", "point"))
    assert float(label.get("y") or 0) < float(mark.get("y2") or 0)
    assert float(label.get("y") or 0) < top_of_plot


def test_every_series_of_a_bar_chart_is_drawn_with_a_legend() -> None:
    svg = bar_chart(
        "Views and views from suggestions",
        ["VPN", "Printer"],
        [Series("Views", (40.0, 10.0)), Series("Views from suggestions", (20.0, None))],
        percent=False,
    )
    bars = elements(svg, "rect", "bar")
    # A bar per value given; the missing one draws nothing.
    assert [bar.findtext(SVG + "title") for bar in bars] == [
        "VPN, Views: 40",
        "VPN, Views from suggestions: 20",
        "Printer, Views: 10",
    ]
    widths = [float(bar.get("width") or 0) for bar in bars]
    assert widths[0] == pytest.approx(2 * widths[1]) == pytest.approx(4 * widths[2])
    assert len({bar.get("fill") for bar in bars}) == 2
    swatches = elements(svg, "rect", "swatch")
    assert [s.get("fill") for s in swatches] == [bars[0].get("fill"), bars[1].get("fill")]
    assert {"Views", "Views from suggestions"} <= set(texts(svg))


def test_a_single_series_needs_no_legend() -> None:
    svg = bar_chart("Top searches", ["vpn"], [Series("Searches", (3.0,))], percent=False)
    assert elements(svg, "rect", "swatch") == [] and "Searches" not in texts(svg)


def test_columns_of_two_series_stand_side_by_side() -> None:
    svg = column_chart(
        "Tickets",
        ["1 Nov", "2 Nov"],
        [Series("Filed", (2.0, 4.0)), Series("Resolved", (1.0, 3.0))],
        percent=False,
    )
    bars = elements(svg, "rect", "bar")
    assert len(bars) == 4 and len(elements(svg, "rect", "swatch")) == 2
    lefts = [float(bar.get("x") or 0) for bar in bars]
    # Filed and resolved of a day next to each other, the next day further right.
    assert lefts[0] < lefts[2] < lefts[1] < lefts[3]


def test_a_phone_drawing_is_narrow_and_writes_bar_labels_above_their_bars() -> None:
    svg = bar_chart(
        "Views",
        ["A long article title about shared mailboxes"],
        [Series("Views", (3.0,))],
        percent=False,
        layout=NARROW,
    )
    root = parse(svg)
    assert root.get("viewBox", "").split()[2] == str(NARROW.width)
    assert "chart-narrow" in (root.get("class") or "")
    label = next(e for e in root.iter(SVG + "text") if (e.text or "").startswith("A long"))
    (bar,) = elements(svg, "rect", "bar")
    assert float(label.get("y") or 0) < float(bar.get("y") or 0)
    assert label.get("x") == bar.get("x")


def test_the_reliability_key_is_the_one_given() -> None:
    svg = reliability_chart(
        "Fiabilidad", [0.5], [0.4], key=("x: predicha", "y: observada", "discontinua: perfecta")
    )
    assert {"x: predicha", "y: observada", "discontinua: perfecta"} <= set(texts(svg))
    assert "predicted" not in svg


def test_bars_are_as_long_as_their_share_of_the_axis() -> None:
    svg = bar_chart(
        "Top searches", ["vpn", "printer"], [Series("searches", (40.0, 10.0))], percent=False
    )
    long, short = (float(bar.get("width") or 0) for bar in elements(svg, "rect", "bar"))
    assert long == pytest.approx(4 * short)
    assert {"vpn", "printer", "40", "10"} <= set(texts(svg))


def test_columns_stand_as_tall_as_their_count_in_time_order() -> None:
    svg = column_chart(
        "Tickets", ["1 Nov", "2 Nov", "3 Nov"], [Series("tickets", (2.0, None, 4.0))], percent=False
    )
    bars = elements(svg, "rect", "bar")
    # The missing day draws nothing; the axis tops out at 4, so 4 fills it and 2 half of it.
    assert len(bars) == 2
    low, high = (float(bar.get("height") or 0) for bar in bars)
    assert high == pytest.approx(2 * low)
    assert float(bars[0].get("x") or 0) < float(bars[1].get("x") or 0)
    assert [bar.findtext(SVG + "title") for bar in bars] == ["1 Nov: 2", "3 Nov: 4"]
    assert {"1 Nov", "3 Nov", "4"} <= set(texts(svg))


def test_text_from_requesters_is_escaped() -> None:
    # Short enough to be written whole (a label past 26 characters is cut short).
    svg = bar_chart(
        "Searches", ["<script>alert(1)</script>"], [Series("searches", (1.0,))], percent=False
    )
    assert "<script>" not in svg and "<script>alert(1)</script>" in texts(svg)


def test_reliability_leaves_out_bins_without_outcomes_and_draws_the_diagonal() -> None:
    svg = reliability_chart("Reliability", [0.05, None, 0.9], [0.1, None, 0.8])
    assert len(elements(svg, "circle", "point")) == 2
    assert len(elements(svg, "line", "diagonal")) == 1


def test_an_interval_chart_draws_each_estimate_and_its_whisker() -> None:
    svg = interval_chart("True deflection", ["difference"], [0.08], [-0.02], [0.18])
    assert len(elements(svg, "line", "whisker")) == 1
    assert len(elements(svg, "circle", "point")) == 1
    assert "0%" in texts(svg)


def test_a_difference_is_drawn_around_zero_and_rates_from_zero_up() -> None:
    difference = interval_chart("True deflection", ["difference"], [0.2], [-0.1], [0.4])
    assert {"-40%", "-20%", "0%", "+20%", "+40%"} <= set(texts(difference))
    rates = interval_chart(
        "Ticket rates", ["held out", "shown"], [0.5, 0.45], [0.3, 0.32], [0.7, 0.6]
    )
    assert ["0%", "20%", "40%", "60%", "80%"] == [t for t in texts(rates) if t.endswith("%")]
    # Zero is the left edge, where the labels end.
    zero = min(float(line.get("x1") or 0) for line in parse(rates).iter(SVG + "line"))
    low = min(float(w.get("x1") or 0) for w in elements(rates, "line", "whisker"))
    assert zero < low


def test_an_interval_without_data_draws_no_estimate() -> None:
    svg = interval_chart("True deflection", ["difference"], [None], [None], [None])
    assert elements(svg, "circle", "point") == [] and elements(svg, "line", "whisker") == []


@pytest.mark.parametrize(
    "draw",
    [
        lambda: line_chart("x", ["a", "b"], [Series("s", (1.0,))], percent=False),
        lambda: bar_chart("x", ["a"], [Series("s", (1.0, 2.0))], percent=False),
        lambda: column_chart("x", ["a", "b"], [Series("s", (1.0,))], percent=False),
        lambda: reliability_chart("x", [0.1], []),
        lambda: interval_chart("x", ["a"], [0.1], [], [0.2]),
    ],
)
def test_numbers_that_do_not_match_their_labels_are_refused(draw: object) -> None:
    assert callable(draw)
    with pytest.raises(ValueError):
        draw()
