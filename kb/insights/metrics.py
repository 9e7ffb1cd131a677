"""The managers' numbers as arithmetic over events and counts, as DESIGN.md defines them. Pure.

SQL in the report modules counts; everything a number means is decided here, and tested as
tables of cases worked out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kb.events import ArticleView, Event, Search, TicketCreated, TrailView

# The two-sided 95% normal quantile.
Z_95 = 1.959963984540054
# An article is flagged as failing once this many sessions went wrong with it, and at
# least this share of all the sessions that said anything about it.
FAILING_MINIMUM = 5
FAILING_SHARE = 0.6


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (shown as "no data")."""
    return part / whole if whole else None


def hours_saved(deflected_sessions: int, minutes_per_ticket: float) -> float:
    """Agent hours saved = deflected sessions × minutes_per_ticket / 60 (an assumption)."""
    return deflected_sessions * minutes_per_ticket / 60.0


def self_service_score(help_centre_users: int, ticket_requesters: int) -> float | None:
    """Distinct help-centre users (visits) / distinct ticket requesters (Zendesk's score)."""
    return ratio(help_centre_users, ticket_requesters)


def kcs_link_rate(linked: int, resolved: int) -> float | None:
    """Resolved tickets with a linked article / resolved tickets."""
    return ratio(linked, resolved)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval:
    """Wilson's score interval for a proportion; (0, 1) when there are no trials."""
    if trials <= 0:
        return Interval(0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and the number of trials")
    p = successes / trials
    squared = z * z
    centre = (p + squared / (2 * trials)) / (1 + squared / trials)
    half = z / (1 + squared / trials) * math.sqrt(p * (1 - p) / trials + squared / (4 * trials**2))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class TrueDeflection:
    """Ticket rates of held-out and treated sessions and their difference with a 95% interval.

    `difference` = held-out rate − treated rate: the share of sessions that suggestions kept
    from filing a ticket. `conclusive` is False while the interval spans zero (or either
    group is empty): too few sessions to conclude.
    """

    held_out_sessions: int
    held_out_tickets: int
    treated_sessions: int
    treated_tickets: int
    held_out_rate: float | None
    treated_rate: float | None
    difference: float | None
    low: float | None
    high: float | None

    @property
    def conclusive(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def true_deflection(
    held_out: tuple[int, int], treated: tuple[int, int], z: float = Z_95
) -> TrueDeflection:
    """From (sessions, sessions with a ticket) of each group: Newcombe's hybrid score interval
    for a difference of two proportions (his method 10), built from both Wilson intervals."""
    (n1, x1), (n2, x2) = held_out, treated
    p1, p2 = ratio(x1, n1), ratio(x2, n2)
    if p1 is None or p2 is None:
        return TrueDeflection(n1, x1, n2, x2, p1, p2, None, None, None)
    first, second = wilson_interval(x1, n1, z), wilson_interval(x2, n2, z)
    difference = p1 - p2
    below = math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    above = math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return TrueDeflection(
        n1, x1, n2, x2, p1, p2, difference, difference - below, difference + above
    )


@dataclass(frozen=True)
class ReliabilityBin:
    """One bar of a reliability diagram: predictions in [low, high) and what happened."""

    low: float
    high: float
    count: int
    predicted: float | None  # the mean prediction in the bin
    observed: float | None  # the share that resolved


def reliability(
    probabilities: Sequence[float], labels: Sequence[int], bins: int = 10
) -> list[ReliabilityBin]:
    """Equal-width bins of predicted probability (1.0 falls in the last), as
    kb.search.deflection.expected_calibration_error bins them."""
    if len(probabilities) != len(labels):
        raise ValueError("need one label per probability")
    members: list[list[int]] = [[] for _ in range(bins)]
    for position, probability in enumerate(probabilities):
        members[min(int(probability * bins), bins - 1)].append(position)
    found = []
    for index, inside in enumerate(members):
        predicted = ratio(sum(probabilities[i] for i in inside), len(inside))
        observed = ratio(sum(labels[i] for i in inside), len(inside))
        found.append(
            ReliabilityBin(index / bins, (index + 1) / bins, len(inside), predicted, observed)
        )
    return found


@dataclass(frozen=True)
class ThresholdPoint:
    """What a threshold would keep: the share of outcomes at or above it, and how many of
    those resolved."""

    threshold: float
    kept: int
    coverage: float | None
    precision: float | None


def precision_coverage(
    probabilities: Sequence[float], labels: Sequence[int], thresholds: Sequence[float]
) -> list[ThresholdPoint]:
    if len(probabilities) != len(labels):
        raise ValueError("need one label per probability")
    points = []
    for threshold in thresholds:
        kept = [
            label
            for probability, label in zip(probabilities, labels, strict=True)
            if probability >= threshold
        ]
        points.append(
            ThresholdPoint(
                threshold, len(kept), ratio(len(kept), len(labels)), ratio(sum(kept), len(kept))
            )
        )
    return points


@dataclass(frozen=True)
class SearchOutcome:
    """One search, as the searches report reads it."""

    query: str
    at: datetime
    confident: bool
    clicked: bool
    followed_by_ticket: bool

    @property
    def gap(self) -> bool:
        """A content gap: no confident answer, or a ticket followed (DESIGN.md)."""
        return not self.confident or self.followed_by_ticket


def search_outcomes(events: Sequence[Event]) -> list[SearchOutcome]:
    """The searches of one session (events oldest first).

    A search is clicked when a document is opened from its results (a view from search)
    before the session's next search; it is followed by a ticket when the session files one
    at or after it.
    """
    outcomes = []
    for position, event in enumerate(events):
        if not isinstance(event, Search):
            continue
        clicked = False
        for later in events[position + 1 :]:
            if isinstance(later, Search):
                break
            if isinstance(later, ArticleView) and later.source == "search":
                clicked = True
                break
        ticket = any(isinstance(later, TicketCreated) for later in events[position + 1 :])
        outcomes.append(SearchOutcome(event.query, event.at, event.confident, clicked, ticket))
    return outcomes


def failed_documents(
    viewed: Sequence[TrailView], similarity: Mapping[str, float], threshold: float
) -> tuple[str, ...]:
    """The viewed documents a new ticket counts against: those viewed after a search or request
    whose text is about the same problem as the ticket (`similarity`: the engine's cosine of
    each text with the ticket's). A view with no text before it counts against nothing."""
    failed = [
        view.id
        for view in viewed
        if view.query is not None and similarity.get(view.query, -1.0) >= threshold
    ]
    return tuple(dict.fromkeys(failed))


def failing_evidence(
    helpful: int,
    unhelpful: int,
    resolved: int,
    failed: int,
    minimum: int = FAILING_MINIMUM,
    share: float = FAILING_SHARE,
) -> str | None:
    """Why an article should be reviewed, or None while its record does not say so.

    It fails often when tickets filed about the same problem after reading it and unhelpful
    votes number at least `minimum`, and make up at least `share` of all its outcomes.
    """
    bad = failed + unhelpful
    good = helpful + resolved
    if bad < minimum or bad < share * (bad + good):
        return None
    return (
        f"failed {bad} of {bad + good} times in the portal: {failed} tickets filed about the "
        f"same problem after reading it and {unhelpful} unhelpful votes, against {helpful} "
        f'helpful votes and {resolved} "this solved it"'
    )


def trend_buckets(since: date, until: date) -> list[tuple[date, date]]:
    """Days from `since` to `until` (both included) in steps of a day, or of a week past a
    month; each step as (first day, last day), the last one cut at `until`."""
    if until < since:
        raise ValueError("the period ends before it starts")
    step = 1 if (until - since).days < 31 else 7
    buckets = []
    first = since
    while first <= until:
        last = min(first + timedelta(days=step - 1), until)
        buckets.append((first, last))
        first = last + timedelta(days=1)
    return buckets
