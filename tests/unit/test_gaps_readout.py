"""Content gaps from gap rows and vectors worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pytest

from kb.insights.gaps import (
    EXAMPLES,
    DismissedGap,
    GapRow,
    GapSummary,
    gap_texts,
    gaps_readout,
    group_gaps,
)
from kb.insights.readout import Filters, Period

PERIOD = Period(date(2026, 11, 16), date(2026, 11, 22))


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 9, tzinfo=UTC)


def row(
    text: str,
    session: str,
    *,
    lost: bool = True,
    ticketed: bool = False,
    occurrences: int = 1,
    searches: int = 1,
    day: int = 17,
    language: str | None = "en",
    category: str | None = None,
) -> GapRow:
    return GapRow(
        text, session, language, category, occurrences, searches, lost, ticketed, at(day), at(day)
    )


def unit(degrees: float) -> list[float]:
    """A unit vector in the plane at this angle: the cosine of two is that of their angle."""
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def vectors(*degrees: float) -> np.ndarray:
    return np.array([unit(angle) for angle in degrees], dtype=np.float32)


ROWS = [
    # "vpn drops" in two spellings over three sessions: s1 lost it twice, s2 filed a ticket,
    # s3 was helped after it.
    row("VPN drops", "s1", occurrences=3, searches=3, category="network"),
    row("vpn  drops", "s2", ticketed=True, searches=0, day=18, category="network"),
    row("vpn drops", "s3", lost=False, day=16, language="es"),
    # A paraphrase, lost by s4.
    row("vpn keeps dropping", "s4", category="network"),
    # Something else: two sessions, neither lost.
    row("printer jam", "s5", lost=False),
    row("printer jam", "s6", lost=False),
]


def test_spellings_are_one_text_with_every_session() -> None:
    vpn, paraphrase, printer = gap_texts(ROWS)
    assert vpn.text == "VPN drops"  # three occurrences against two of "vpn drops"
    assert (vpn.occurrences, vpn.searches) == (5, 4)
    assert (vpn.sessions, vpn.lost, vpn.ticketed) == (
        {"s1", "s2", "s3"},
        {"s1", "s2"},
        {"s2"},
    )
    assert (vpn.first, vpn.last) == (at(16), at(18))
    assert vpn.languages == {"en": 4, "es": 1} and vpn.categories == {"network": 4}
    assert (paraphrase.text, printer.text) == ("vpn keeps dropping", "printer jam")


def test_texts_close_in_meaning_are_one_gap_ranked_by_sessions_lost() -> None:
    texts = gap_texts(ROWS)
    # vpn texts 20 degrees apart (cosine distance 0.06); printer at 90 (distance 1).
    gaps = group_gaps(texts, vectors(0, 20, 90), vectors())
    vpn, printer = gaps
    assert (vpn.text, vpn.texts) == ("VPN drops", 2)
    assert vpn.examples == ("VPN drops", "vpn keeps dropping")
    assert (vpn.sessions, vpn.lost, vpn.ticketed, vpn.occurrences) == (4, 3, 1, 6)
    assert (vpn.searches, vpn.requests) == (5, 1)
    assert vpn.categories == ("network",) and vpn.languages == ("en", "es")
    assert (printer.text, printer.sessions, printer.lost, printer.examples) == (
        "printer jam",
        2,
        0,
        ("printer jam",),
    )


@pytest.mark.parametrize(
    ("degrees", "groups"),
    [
        # Cosine distance 1 - cos(angle): 50 degrees is 0.357, 60 degrees 0.5 (> 0.45).
        ((0, 50, 180), 2),
        ((0, 60, 120), 3),
    ],
)
def test_the_distance_threshold_decides_what_is_one_gap(
    degrees: tuple[float, ...], groups: int
) -> None:
    assert len(group_gaps(gap_texts(ROWS), vectors(*degrees), vectors())) == groups


def test_a_gap_close_to_a_dismissed_one_is_left_out() -> None:
    texts = gap_texts(ROWS)
    # A dismissed text 10 degrees from the paraphrase (distance 0.015) removes its whole gap;
    # it is 60 degrees from the printer (distance 0.5), which stays.
    [printer] = group_gaps(texts, vectors(0, 20, 90), vectors(30))
    assert printer.text == "printer jam"
    # 60 degrees from every text (distance 0.5): nothing is left out.
    assert len(group_gaps(texts, vectors(0, 20, 90), vectors(150))) == 2


def test_a_gap_shows_at_most_a_few_examples() -> None:
    rows = [row(f"text {n}", f"s{n}") for n in range(EXAMPLES + 3)]
    angles = [n * 2.0 for n in range(len(rows))]
    [gap] = group_gaps(gap_texts(rows), vectors(*angles), vectors())
    assert len(gap.examples) == EXAMPLES and gap.texts == len(rows)


def test_group_gaps_needs_a_vector_per_text() -> None:
    with pytest.raises(ValueError, match="one vector per text"):
        group_gaps(gap_texts(ROWS), vectors(0), vectors())


def summary(*degrees: float) -> GapSummary:
    return GapSummary(tuple(group_gaps(gap_texts(ROWS), vectors(*degrees), vectors())))


def test_readout_numbers_and_rows() -> None:
    dismissed = [DismissedGap(1, "wifi slow", "boss@example.com", at(15))]
    readout = gaps_readout(PERIOD, Filters(), summary(0, 20, 90), GapSummary(()), dismissed)
    found = {number.key: (number.value, number.previous) for number in readout.numbers}
    assert found == {
        "gaps": (2, 0),
        "sessions_lost": (3, 0),
        "gap_sessions": (6, 0),
        "ticketed": (1, 0),
    }
    first, second = readout.table("gaps").rows
    assert (first["gap"], first["lost"]) == ("VPN drops", 3)
    assert first["examples"] == ("VPN drops", "vpn keeps dropping")
    assert second["gap"] == "printer jam"
    [item] = readout.table("dismissed").rows
    assert (item["id"], item["gap"]) == (1, "wifi slow")
    assert readout.notes == ()


def test_an_empty_period_says_what_will_appear() -> None:
    readout = gaps_readout(PERIOD, Filters(), GapSummary(()), GapSummary(()), [])
    assert readout.number("gaps").value == 0
    assert "No content gaps in this period" in str(readout.notes[0])
    assert all(not table.rows and table.empty for table in readout.tables)


def test_texts_past_the_limit_are_named() -> None:
    readout = gaps_readout(PERIOD, Filters(), GapSummary((), left_out=12), GapSummary(()), [], str)
    assert "12 texts that cost fewer sessions were not grouped" in str(readout.notes[0])
