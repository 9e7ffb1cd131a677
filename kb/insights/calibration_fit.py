"""How well the portal's deflection probabilities matched what happened: the labels drawn from
its events, AUROC, expected calibration error, reliability bins, the precision/coverage of a
threshold, and what the figures allow a manager to say. Pure.

Two predictions are checked, each against the outcome the model is refitted on
(kb.insights.learning), so the readout judges the model by what it claims to predict:
- a shown answer's probability (what `show_threshold` is compared with): resolved when the
  requester said so in the session ("this solved it" or a helpful vote), unresolved when they
  voted it unhelpful or filed a ticket that counts against it (about the same problem);
- a session's query-level probability, computed from its top answer (what
  `confident_threshold` is compared with): the last one shown before its first ticket;
  resolved when the session's outcome (DESIGN.md) is a confirmed deflection, unresolved when
  it is not deflected.
Answers and sessions with neither are left out and counted. A potential deflection (a viewed
suggestion, no ticket) is one of them: whether the answer solved anything is unknown, and
a guess about it would decide the very numbers that judge the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kb.insights.metrics import (
    ReliabilityBin,
    ThresholdPoint,
    precision_coverage,
    ratio,
    reliability,
    wilson_interval,
)
from kb.insights.outcomes import OutcomeTimes, outcome
from kb.insights.wording import Fixed, Text
from kb.search.deflection import auroc, expected_calibration_error

# Suggestions are grouped in SQL to a thousandth of probability: every member of a group
# falls in the same tenth (a reliability bin) and on the same side of a threshold given to
# the thousandth, so bins and curves are exact; AUROC counts a group's members as ties.
GRID = 1000
# The thresholds each precision/coverage curve is drawn at, besides today's value.
CURVE_STEPS = tuple(step / 20 for step in range(20))
# Below these counts the readout concludes nothing. With fewer than 100 outcomes the ten bins
# hold under ten each on average, where one outcome moves a bin's observed share by more than
# ten points, so the calibration error is mostly noise; with fewer than 20 outcomes of either
# kind AUROC's standard error (Hanley and McNeil) is around 0.07 or more, too wide to tell a
# useful ranking from a mediocre one.
MINIMUM_OUTCOMES = 100
MINIMUM_EACH = 20


@dataclass(frozen=True)
class ScoreGroup:
    """Suggestions whose probability lies in [step, step + 1) / GRID, with one label (None:
    no outcome), how many, and the sum of their probabilities."""

    step: int
    label: int | None
    count: int
    total: float

    @property
    def mean(self) -> float:
        return self.total / self.count


@dataclass(frozen=True)
class SessionLabel:
    """A session's query-level probability and the label its outcome gives it."""

    probability: float
    label: int | None


def session_label(
    probability: float, times: OutcomeTimes, window: timedelta, now: datetime
) -> SessionLabel:
    """Label 1 for a confirmed deflection, 0 for not deflected, None for any other outcome.

    Only `opened`, `ticket` and `confirmed` of `times` can decide it: the outcome is "not
    deflected" or "confirmed" by them alone, before views or known issues are looked at."""
    found = outcome(times, window, now)
    return SessionLabel(probability, {"confirmed": 1, "not_deflected": 0}.get(found or ""))


@dataclass(frozen=True)
class Fit:
    """How well probabilities matched outcomes: AUROC (None without both kinds of outcome)
    and expected calibration error (None without any), the mean prediction and the observed
    share overall, the reliability bins, and the precision/coverage points of thresholds."""

    outcomes: int
    resolved: int
    unlabelled: int
    auroc: float | None
    calibration_error: float | None
    predicted: float | None
    observed: float | None
    bins: tuple[ReliabilityBin, ...]
    points: tuple[ThresholdPoint, ...]

    @property
    def unresolved(self) -> int:
        return self.outcomes - self.resolved

    @property
    def enough(self) -> bool:
        return (
            self.outcomes >= MINIMUM_OUTCOMES
            and min(self.resolved, self.unresolved) >= MINIMUM_EACH
        )


def fit(
    probabilities: Sequence[float],
    labels: Sequence[int],
    thresholds: Sequence[float],
    unlabelled: int = 0,
) -> Fit:
    """The fit of one probability per outcome (label 1: resolved, 0: not)."""
    area = auroc(probabilities, labels) if probabilities else math.nan
    error = expected_calibration_error(probabilities, labels) if probabilities else math.nan
    return Fit(
        outcomes=len(labels),
        resolved=sum(labels),
        unlabelled=unlabelled,
        auroc=None if math.isnan(area) else area,
        calibration_error=None if math.isnan(error) else error,
        predicted=ratio(sum(probabilities), len(probabilities)),
        observed=ratio(sum(labels), len(labels)),
        bins=tuple(reliability(probabilities, labels)),
        points=tuple(precision_coverage(probabilities, labels, thresholds)),
    )


def suggestion_fit(groups: Sequence[ScoreGroup], thresholds: Sequence[float]) -> Fit:
    """The fit of grouped suggestions: each group counts as `count` suggestions at its mean."""
    probabilities: list[float] = []
    labels: list[int] = []
    for group in sorted(groups, key=lambda item: (item.step, item.label or 0)):
        if group.label is None:
            continue
        probabilities.extend([group.mean] * group.count)
        labels.extend([group.label] * group.count)
    unlabelled = sum(group.count for group in groups if group.label is None)
    return fit(probabilities, labels, thresholds, unlabelled)


def session_fit(sessions: Sequence[SessionLabel], thresholds: Sequence[float]) -> Fit:
    """The fit of sessions' query-level probabilities against their outcomes."""
    labelled = [item for item in sessions if item.label is not None]
    return fit(
        [item.probability for item in labelled],
        [int(item.label or 0) for item in labelled],
        thresholds,
        unlabelled=len(sessions) - len(labelled),
    )


def curve_thresholds(today: float) -> tuple[float, ...]:
    """Every twentieth from 0 to 0.95, and the threshold in force."""
    return tuple(sorted({*CURVE_STEPS, round(today, 6)}))


def verdict(found: Fit, subject: str) -> Text:
    """What the fit allows one to say, in plain words, about `subject`: "suggestions" (the
    outcomes: solved it or not) or "sessions" (confirmed deflections or not deflected)."""
    sessions = subject == "sessions"
    if not found.enough:
        counts = {
            "minimum": MINIMUM_OUTCOMES,
            "each": MINIMUM_EACH,
            "outcomes": found.outcomes,
            "resolved": found.resolved,
            "unresolved": found.unresolved,
        }
        if sessions:
            return Text(
                "Too few outcomes to conclude about sessions: AUROC and calibration error need "
                "at least %(minimum)s sessions with an outcome, %(each)s confirmed deflections "
                "and %(each)s not deflected (%(outcomes)s so far: %(resolved)s confirmed "
                "deflections, %(unresolved)s not deflected).",
                **counts,
            )
        return Text(
            "Too few outcomes to conclude about suggestions: AUROC and calibration error need "
            "at least %(minimum)s suggestions with an outcome, %(each)s that solved it and "
            "%(each)s that did not (%(outcomes)s so far: %(resolved)s that solved it, "
            "%(unresolved)s that did not).",
            **counts,
        )
    assert found.auroc is not None and found.calibration_error is not None
    assert found.predicted is not None and found.observed is not None
    interval = wilson_interval(found.resolved, found.outcomes)
    if found.predicted > interval.high:
        overall = Text("overconfident: it predicts more success than happened")
    elif found.predicted < interval.low:
        overall = Text("underconfident: it predicts less success than happened")
    else:
        overall = Text("within the 95%% interval of what happened")
    figures = {
        "outcomes": found.outcomes,
        "auroc": Fixed(found.auroc, 2),
        "error": _points(found.calibration_error),
        "predicted": _points(found.predicted),
        "observed": _points(found.observed),
        "overall": overall,
    }
    if sessions:
        return Text(
            "On %(outcomes)s sessions with an outcome: AUROC %(auroc)s (0.5 is a coin toss, 1 "
            "ranks every success above every failure); predictions miss the observed share by "
            "%(error)s points on average (calibration error); the mean prediction, "
            "%(predicted)s%%, against %(observed)s%% confirmed deflections, is %(overall)s.",
            **figures,
        )
    return Text(
        "On %(outcomes)s suggestions with an outcome: AUROC %(auroc)s (0.5 is a coin toss, 1 "
        "ranks every success above every failure); predictions miss the observed share by "
        "%(error)s points on average (calibration error); the mean prediction, "
        "%(predicted)s%%, against %(observed)s%% that solved it, is %(overall)s.",
        **figures,
    )


def _points(share: float) -> Fixed:
    """A share in points of a hundred, to one decimal."""
    return Fixed(share * 100, 1)
