"""The managers' arithmetic, as tables of cases worked out by hand from DESIGN.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kb.events import ArticleView, Event, Search, TicketCreated, TrailView
from kb.insights.metrics import (
    ReliabilityBin,
    SearchOutcome,
    ThresholdPoint,
    failed_documents,
    failing_evidence,
    hours_saved,
    kcs_link_rate,
    precision_coverage,
    ratio,
    reliability,
    search_outcomes,
    self_service_score,
    trend_buckets,
    true_deflection,
    wilson_interval,
)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ratio(3, 4), 0.75),
        (ratio(0, 4), 0.0),
        (ratio(3, 0), None),
        # 12 deflected sessions at 15 minutes each are 3 hours.
        (hours_saved(12, 15.0), 3.0),
        (hours_saved(0, 15.0), 0.0),
        # 40 visits, 10 people filed tickets: 4 visits per requester.
        (self_service_score(40, 10), 4.0),
        (self_service_score(40, 0), None),
        # 3 of 4 resolved tickets link the article that solved them.
        (kcs_link_rate(3, 4), 0.75),
        (kcs_link_rate(0, 0), None),
    ],
)
def test_simple_rates(value: float | None, expected: float | None) -> None:
    assert value == expected


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I.
WILSON = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
    ((0, 0), (0.0, 1.0)),
]


@pytest.mark.parametrize(("counts", "bounds"), WILSON)
def test_wilson_interval(counts: tuple[int, int], bounds: tuple[float, float]) -> None:
    interval = wilson_interval(*counts)
    assert (round(interval.low, 4), round(interval.high, 4)) == bounds


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


# Newcombe (1998), "Interval estimation for the difference between independent proportions",
# Table II, method 10; (sessions, tickets) of the held-out group first.
NEWCOMBE = [
    pytest.param((70, 56), (80, 48), 0.2, (0.0524, 0.3339), True, id="56/70 - 48/80"),
    pytest.param((10, 9), (10, 3), 0.6, (0.1705, 0.8090), True, id="9/10 - 3/10"),
    pytest.param((56, 5), (29, 0), 5 / 56, (-0.0381, 0.1926), False, id="5/56 - 0/29"),
    pytest.param((10, 0), (20, 0), 0.0, (-0.1611, 0.2775), False, id="no tickets at all"),
]


@pytest.mark.parametrize(("held_out", "treated", "difference", "bounds", "conclusive"), NEWCOMBE)
def test_true_deflection_interval(
    held_out: tuple[int, int],
    treated: tuple[int, int],
    difference: float,
    bounds: tuple[float, float],
    conclusive: bool,
) -> None:
    found = true_deflection(held_out, treated)
    assert found.difference == pytest.approx(difference)
    assert found.low is not None and found.high is not None
    assert (round(found.low, 4), round(found.high, 4)) == bounds
    assert found.conclusive is conclusive
    assert found.held_out_rate == held_out[1] / held_out[0]


def test_true_deflection_without_held_out_sessions_concludes_nothing() -> None:
    found = true_deflection((0, 0), (50, 20))
    assert found.difference is None and found.treated_rate == 0.4 and not found.conclusive


def test_reliability_bins_by_hand() -> None:
    # 0.05 and 0.15 fall in the first two bins, 0.95 and 1.0 in the last.
    bins = reliability([0.05, 0.15, 0.12, 0.95, 1.0], [0, 1, 0, 1, 0], bins=10)
    assert len(bins) == 10
    assert bins[0] == ReliabilityBin(0.0, 0.1, 1, 0.05, 0.0)
    assert bins[1].count == 2 and bins[1].predicted == pytest.approx(0.135)
    assert bins[1].observed == 0.5
    assert bins[5] == ReliabilityBin(0.5, 0.6, 0, None, None)
    assert bins[9].count == 2 and bins[9].predicted == pytest.approx(0.975)
    assert bins[9].observed == 0.5


def test_precision_and_coverage_of_thresholds_by_hand() -> None:
    probabilities = [0.9, 0.8, 0.6, 0.4, 0.2]
    labels = [1, 1, 0, 1, 0]
    assert precision_coverage(probabilities, labels, [0.0, 0.5, 0.85, 0.95]) == [
        ThresholdPoint(0.0, 5, 1.0, 0.6),
        ThresholdPoint(0.5, 3, 0.6, 2 / 3),
        ThresholdPoint(0.85, 1, 0.2, 1.0),
        ThresholdPoint(0.95, 0, 0.0, None),
    ]


def search(minute: float, query: str, confident: bool = True) -> Event:
    return Search(session_id="s", at=at(minute), query=query, confident=confident)


def view(minute: float, source: str) -> Event:
    return ArticleView(session_id="s", at=at(minute), article_id="a", source=source)


SEARCHES = [
    pytest.param(
        [search(0, "vpn"), view(1, "search")],
        [(True, False)],
        id="opened a result: clicked",
    ),
    pytest.param([search(0, "vpn")], [(False, False)], id="no click"),
    pytest.param(
        [search(0, "vpn"), search(1, "vpn cert"), view(2, "search")],
        [(False, False), (True, False)],
        id="a click counts for the latest search only",
    ),
    pytest.param(
        [search(0, "vpn"), view(1, "suggestion"), view(2, "link")],
        [(False, False)],
        id="views not from the results are no click",
    ),
    pytest.param(
        [search(0, "vpn"), TicketCreated(session_id="s", at=at(5), ticket_id="INC-1")],
        [(False, True)],
        id="followed by a ticket",
    ),
    pytest.param(
        [
            TicketCreated(session_id="s", at=at(0), ticket_id="INC-1"),
            search(1, "vpn"),
            view(2, "search"),
        ],
        [(True, False)],
        id="a ticket before the search does not follow it",
    ),
]


@pytest.mark.parametrize(("events", "expected"), SEARCHES)
def test_search_clicks_and_tickets(events: list[Event], expected: list[tuple[bool, bool]]) -> None:
    found = search_outcomes(events)
    assert [(item.clicked, item.followed_by_ticket) for item in found] == expected


@pytest.mark.parametrize(
    ("confident", "ticket", "gap"),
    [(True, False, False), (False, False, True), (True, True, True), (False, True, True)],
)
def test_a_gap_is_no_confident_answer_or_a_ticket(confident: bool, ticket: bool, gap: bool) -> None:
    assert SearchOutcome("q", START, confident, False, ticket).gap is gap


def test_a_ticket_counts_against_articles_viewed_about_the_same_problem() -> None:
    viewed = [
        TrailView("vpn-setup", at(1), "search", "vpn certificate error"),
        TrailView("printer-jam", at(2), "search", "printer jams"),
        TrailView("vpn-setup", at(3), "link", "vpn certificate error"),
        TrailView("home-page", at(0), "link", None),
    ]
    similarity = {"vpn certificate error": 0.71, "printer jams": 0.08}
    assert failed_documents(viewed, similarity, 0.35) == ("vpn-setup",)
    assert failed_documents(viewed, similarity, 0.05) == ("vpn-setup", "printer-jam")
    assert failed_documents(viewed, similarity, 0.9) == ()


@pytest.mark.parametrize(
    ("counts", "flagged"),
    [
        # (helpful, unhelpful, resolved, failed)
        ((0, 0, 0, 4), False),  # four failures: not yet enough
        ((0, 1, 0, 4), True),  # five of five
        ((1, 2, 1, 3), True),  # five of seven = 71%
        ((2, 2, 2, 3), False),  # five of eleven = 45%
        ((2, 0, 0, 3), False),  # three failures only
    ],
)
def test_failing_articles(counts: tuple[int, int, int, int], flagged: bool) -> None:
    evidence = failing_evidence(*counts)
    assert (evidence is not None) is flagged
    if evidence is not None:
        helpful, unhelpful, resolved, failed = counts
        assert f"{failed} tickets" in evidence and f"{unhelpful} unhelpful" in evidence


def test_trend_is_daily_up_to_a_month_then_weekly() -> None:
    week = trend_buckets(date(2026, 11, 1), date(2026, 11, 7))
    assert week == [(date(2026, 11, day), date(2026, 11, day)) for day in range(1, 8)]
    quarter = trend_buckets(date(2026, 9, 1), date(2026, 11, 29))
    assert quarter[0] == (date(2026, 9, 1), date(2026, 9, 7))
    assert quarter[-1] == (date(2026, 11, 24), date(2026, 11, 29))
    assert sum((last - first).days + 1 for first, last in quarter) == 90
    with pytest.raises(ValueError):
        trend_buckets(date(2026, 11, 2), date(2026, 11, 1))

