"""The overview's numbers from hand-counted outcomes: rates, score, links, hours saved, trend."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from kb.insights.overview import (
    Figures,
    PortalActivity,
    figures,
    overview_readout,
    trend,
)
from kb.insights.readout import Filters, Period

WINDOW = timedelta(hours=24)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


# Sessions by outcome (as kb.insights.session_rollups.outcome_tallies counts them; None: never shown
# suggestions): two confirmed (one with a ticket after its window), one each of the others.
TALLY: Counter[str | None] = Counter(
    {
        "confirmed": 2,
        "potential": 1,
        "not_deflected": 1,
        None: 1,
        "pending": 1,
        "known_issue": 1,
        "no_signal": 1,
    }
)
# The same sessions by the day they started: all but "no signal" and "pending" on the 20th.
ON_THE_20TH: Counter[str | None] = TALLY - Counter({"no_signal": 1, "pending": 1})
ON_THE_21ST: Counter[str | None] = Counter({"no_signal": 1})
ACTIVITY = PortalActivity(tickets=5, visitors=18, requesters=4, resolved=8, linked=6)


def test_figures_count_sessions_and_leave_pending_ones_out_of_the_rates() -> None:
    found = figures(TALLY, ACTIVITY)
    assert (found.help_sessions, found.shown) == (8, 7)
    rates = found.rates
    assert (rates.confirmed, rates.potential, rates.known_issue) == (2, 1, 1)
    assert (rates.not_deflected, rates.no_signal, rates.pending, rates.sessions) == (1, 1, 1, 6)
    assert found.deflection_rate == pytest.approx(4 / 6)
    assert found.confirmed_rate == pytest.approx(2 / 6)


def test_with_no_sessions_the_rates_are_no_data_not_zero() -> None:
    found = figures(Counter(), PortalActivity())
    assert (found.help_sessions, found.shown) == (0, 0)
    assert found.deflection_rate is None and found.confirmed_rate is None


PERIOD = Period(date(2026, 11, 20), date(2026, 11, 30))


def readout(minutes: float = 15.0, previous: Figures | None = None) -> dict[str, dict[str, object]]:
    current = figures(TALLY, ACTIVITY)
    before = previous or figures(Counter(), PortalActivity())
    built = overview_readout(
        PERIOD,
        Filters(),
        current,
        before,
        [],
        minutes_per_ticket=minutes,
        window=WINDOW,
        generated=NOW,
    )
    return {number["key"]: number for number in built.to_json()["numbers"]}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("help_sessions", 8),
        ("shown_suggestions", 7),
        ("deflection_rate", round(4 / 6, 6)),
        ("confirmed_rate", round(2 / 6, 6)),
        ("tickets", 5),
        # 18 distinct portal visits / 4 distinct requesters.
        ("self_service_score", 4.5),
        # 6 of 8 resolved tickets link an article.
        ("kcs_link_rate", 0.75),
        # 4 deflected sessions × 15 minutes / 60.
        ("hours_saved", 1.0),
    ],
)
def test_overview_numbers(key: str, value: float) -> None:
    assert readout()[key]["value"] == value


def test_hours_saved_follow_the_minutes_per_ticket_setting_and_say_so() -> None:
    hours = readout(minutes=45)["hours_saved"]
    assert hours["value"] == 3.0
    assert "4 deflected sessions × 45 minutes per ticket" in str(hours["note"])
    assert "minutes_per_ticket" in str(hours["note"])


def test_each_number_is_compared_with_the_previous_period() -> None:
    earlier: Counter[str | None] = Counter({"confirmed": 1, "not_deflected": 1})
    previous = figures(earlier, PortalActivity(tickets=7, visitors=6, requesters=3))
    numbers = readout(previous=previous)
    assert numbers["help_sessions"]["previous"] == 2
    assert numbers["help_sessions"]["change"] == 6
    assert numbers["deflection_rate"]["previous"] == 0.5
    assert numbers["deflection_rate"]["change"] == round(4 / 6 - 0.5, 6)
    assert numbers["tickets"]["change"] == -2
    assert numbers["self_service_score"]["previous"] == 2.0
    # No ticket was resolved before: no rate to compare with.
    assert numbers["kcs_link_rate"]["previous"] is None
    assert numbers["kcs_link_rate"]["change"] is None
    assert numbers["hours_saved"]["previous"] == 0.25


def test_the_trend_has_a_point_per_bucket_from_its_outcomes() -> None:
    buckets = [(date(2026, 11, 20), date(2026, 11, 20)), (date(2026, 11, 21), date(2026, 11, 21))]
    points = trend(buckets, [ON_THE_20TH, ON_THE_21ST], [3, 1])
    first, second = points
    # On the 20th: confirmed twice, potential, known issue, not deflected (never shown: none).
    assert (first.rates.sessions, first.rates.deflected, first.tickets) == (5, 4, 3)
    assert (second.rates.sessions, second.rates.deflected, second.tickets) == (1, 0, 1)
    with pytest.raises(ValueError, match="one outcome tally and one ticket count per bucket"):
        trend(buckets, [ON_THE_20TH, ON_THE_21ST], [1])
    with pytest.raises(ValueError, match="one outcome tally and one ticket count per bucket"):
        trend(buckets, [ON_THE_20TH], [3, 1])


def test_the_trend_table_holds_the_charts_numbers_and_empty_days_have_no_rate() -> None:
    points = trend(
        [(date(2026, 11, 19), date(2026, 11, 19)), (date(2026, 11, 20), date(2026, 11, 20))],
        [Counter(), ON_THE_20TH],
        [0, 3],
    )
    current = figures(TALLY, ACTIVITY)
    built = overview_readout(
        PERIOD,
        Filters(),
        current,
        current,
        points,
        minutes_per_ticket=15,
        window=WINDOW,
        generated=NOW,
    )
    table = built.table("trend")
    assert [row["deflection_rate"] for row in table.rows] == [None, 0.8]
    assert [row["tickets"] for row in table.rows] == [0, 3]
    for chart in built.charts:
        assert chart.table == "trend"
        assert set(chart.series) <= {column.key for column in table.columns}
    outcomes = {row["outcome"]: row["sessions"] for row in built.table("outcomes").rows}
    assert sum(outcomes.values()) == 7


def test_an_empty_period_says_what_will_appear() -> None:
    empty = figures(Counter(), PortalActivity())
    built = overview_readout(
        PERIOD, Filters(), empty, empty, [], minutes_per_ticket=15, window=WINDOW, generated=NOW
    )
    assert built.notes and "No help sessions" in str(built.notes[0])
    assert built.table("outcomes").rows == ()
