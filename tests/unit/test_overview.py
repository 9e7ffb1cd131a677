"""The overview's numbers from hand-made sessions: outcomes, rates, score, links, hours saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kb.insights.outcomes import OutcomeTimes
from kb.insights.overview import (
    Figures,
    PortalActivity,
    StartedSession,
    figures,
    overview_readout,
    trend,
)
from kb.insights.readout import Filters, Period

WINDOW = timedelta(hours=24)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def started(at: datetime, **times: datetime | None) -> StartedSession:
    return StartedSession(at, OutcomeTimes(**times))  # type: ignore[arg-type]


# Each session with the outcome worked out by hand from DESIGN.md's definitions.
SESSIONS = {
    "confirmed": started(DAY, opened=DAY, confirmed=DAY + 5 * MINUTE),
    "potential": started(DAY, opened=DAY, viewed=DAY + 10 * MINUTE),
    "not deflected": started(DAY, opened=DAY, viewed=DAY + MINUTE, ticket=DAY + 120 * MINUTE),
    "never shown": started(DAY, opened=None),
    "pending": started(NOW - 60 * MINUTE, opened=NOW - 60 * MINUTE, viewed=NOW - 50 * MINUTE),
    "known issue": started(DAY, opened=DAY, joined=DAY + 3 * MINUTE),
    "no signal": started(DAY + timedelta(days=1), opened=DAY + timedelta(days=1)),
    # The ticket 30 hours later falls outside the 24-hour window: still confirmed.
    "confirmed, late ticket": started(
        DAY, opened=DAY, confirmed=DAY + MINUTE, ticket=DAY + timedelta(hours=30)
    ),
}
ACTIVITY = PortalActivity(tickets=5, visitors=18, requesters=4, resolved=8, linked=6)


def test_figures_count_sessions_and_leave_pending_ones_out_of_the_rates() -> None:
    found = figures(list(SESSIONS.values()), ACTIVITY, WINDOW, NOW)
    assert (found.help_sessions, found.shown) == (8, 7)
    rates = found.rates
    assert (rates.confirmed, rates.potential, rates.known_issue) == (2, 1, 1)
    assert (rates.not_deflected, rates.no_signal, rates.pending, rates.sessions) == (1, 1, 1, 6)
    assert found.deflection_rate == pytest.approx(4 / 6)
    assert found.confirmed_rate == pytest.approx(2 / 6)


def test_with_no_sessions_the_rates_are_no_data_not_zero() -> None:
    found = figures([], PortalActivity(), WINDOW, NOW)
    assert (found.help_sessions, found.shown) == (0, 0)
    assert found.deflection_rate is None and found.confirmed_rate is None


PERIOD = Period(date(2026, 11, 20), date(2026, 11, 30))


def readout(minutes: float = 15.0, previous: Figures | None = None) -> dict[str, dict[str, object]]:
    current = figures(list(SESSIONS.values()), ACTIVITY, WINDOW, NOW)
    before = previous or figures([], PortalActivity(), WINDOW, NOW)
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
    earlier = [
        started(DAY, opened=DAY, confirmed=DAY + MINUTE),
        started(DAY, opened=DAY, ticket=DAY + MINUTE),
    ]
    previous = figures(earlier, PortalActivity(tickets=7, visitors=6, requesters=3), WINDOW, NOW)
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


def test_the_trend_puts_sessions_in_the_day_they_started() -> None:
    buckets = [(date(2026, 11, 20), date(2026, 11, 20)), (date(2026, 11, 21), date(2026, 11, 21))]
    points = trend(buckets, list(SESSIONS.values()), [3, 1], WINDOW, NOW)
    first, second = points
    # On the 20th: confirmed twice, potential, known issue, not deflected (never shown: none).
    assert (first.rates.sessions, first.rates.deflected, first.tickets) == (5, 4, 3)
    assert (second.rates.sessions, second.rates.deflected, second.tickets) == (1, 0, 1)
    with pytest.raises(ValueError, match="one ticket count per bucket"):
        trend(buckets, [], [1], WINDOW, NOW)


def test_the_trend_table_holds_the_charts_numbers_and_empty_days_have_no_rate() -> None:
    points = trend(
        [(date(2026, 11, 19), date(2026, 11, 19)), (date(2026, 11, 20), date(2026, 11, 20))],
        list(SESSIONS.values()),
        [0, 3],
        WINDOW,
        NOW,
    )
    current = figures(list(SESSIONS.values()), ACTIVITY, WINDOW, NOW)
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
    empty = figures([], PortalActivity(), WINDOW, NOW)
    built = overview_readout(
        PERIOD, Filters(), empty, empty, [], minutes_per_ticket=15, window=WINDOW, generated=NOW
    )
    assert built.notes and "No help sessions" in built.notes[0]
    assert built.table("outcomes").rows == ()
