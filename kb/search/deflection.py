"""Deflection scoring: a calibrated probability that an answer resolves the query. Pure.

Evidence about a hit (its cosine, its title's cosine, its keyword score, how far it leads
the runner-up, whether the two rankers agree) goes through a logistic model fitted on
labelled queries by `kb calibrate`. Also here: the measures that say whether the model can
be trusted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.model import Evidence

FEATURES = (
    "semantic",
    "semantic_lead",
    "keyword_share",
    "semantic_reciprocal_rank",
    "keyword_reciprocal_rank",
    "reciprocal_rank",
    "title_semantic",
)
MODEL_FORMAT = 2


def features(evidence: Evidence) -> list[float]:
    """The model's inputs, in FEATURES order."""
    return [
        evidence.semantic,
        evidence.semantic_lead,
        evidence.keyword_share,
        _reciprocal(evidence.semantic_rank),
        _reciprocal(evidence.keyword_rank),
        _reciprocal(evidence.rank),
        evidence.semantic if evidence.title_semantic is None else evidence.title_semantic,
    ]


def _reciprocal(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (1.0 + rank)


@dataclass(frozen=True)
class LogisticModel:
    """Standardised features → weights → sigmoid."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(
            weight * (value - mean) / scale
            for weight, value, mean, scale in zip(
                self.weights, features, self.mean, self.scale, strict=True
            )
        )
        return _sigmoid(z)


# An estimate is never certain: shown as a percentage, 100% (or 0%) would read as a promise.
CERTAINTY_MARGIN = 0.01


def estimate(probability: float) -> float:
    """A model's probability kept within [CERTAINTY_MARGIN, 1 - CERTAINTY_MARGIN]."""
    return min(1.0 - CERTAINTY_MARGIN, max(CERTAINTY_MARGIN, probability))


def in_rank_order(probabilities: Sequence[float]) -> list[float]:
    """The closest non-increasing sequence to answers' probabilities listed best first.

    Answers are shown in ranking order with their percentages, and a fourth answer shown as
    likelier than the first reads as a bug. Where a later answer's estimate exceeds an earlier
    one's, the run of them is replaced by its mean (pool-adjacent-violators: the least-squares
    fit among non-increasing sequences), so the order stays the ranking's and the estimates
    move no more than they must. Means of estimates stay within the estimates' bounds.
    """
    runs: list[tuple[float, int]] = []  # (sum, count) of each pooled run, in order
    for probability in probabilities:
        total, count = probability, 1
        while runs and runs[-1][0] / runs[-1][1] < total / count:
            earlier_total, earlier_count = runs.pop()
            total, count = total + earlier_total, count + earlier_count
        runs.append((total, count))
    return [total / count for total, count in runs for _ in range(count)]


@dataclass(frozen=True)
class DeflectionModel:
    """Two logistic models over the same evidence, and where they came from.

    `hit`: the probability that this answer resolves the query.
    `query`: the probability that at least one of the answers shown resolves it, from the
    evidence of the top answer.
    """

    hit: LogisticModel
    query: LogisticModel
    embedder: str
    shown: int = 3
    features: tuple[str, ...] = FEATURES
    fitted_on: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    format: int = MODEL_FORMAT

    def hit_probability(self, evidence: Evidence) -> float:
        return estimate(self.hit.probability(features(evidence)))

    def query_probability(self, top: Evidence | None) -> float:
        return 0.0 if top is None else estimate(self.query.probability(features(top)))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> DeflectionModel:
        data = json.loads(text)
        if data.get("format") != MODEL_FORMAT or tuple(data.get("features", ())) != FEATURES:
            raise ValueError("calibration file was written by another version of kb")
        return cls(
            hit=_logistic(data["hit"]),
            query=_logistic(data["query"]),
            embedder=data["embedder"],
            shown=int(data["shown"]),
            features=tuple(data["features"]),
            fitted_on=data.get("fitted_on", ""),
            metrics=data.get("metrics", {}),
        )


def _logistic(data: dict[str, Any]) -> LogisticModel:
    return LogisticModel(
        mean=tuple(data["mean"]),
        scale=tuple(data["scale"]),
        weights=tuple(data["weights"]),
        bias=float(data["bias"]),
    )


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    exponential = math.exp(z)
    return exponential / (1.0 + exponential)


FloatArray = npt.NDArray[np.float64]


def fit_logistic(
    features: Sequence[Sequence[float]], labels: Sequence[int], l2: float = 1e-2
) -> LogisticModel:
    """Fit by Newton's method (iteratively reweighted least squares) with a small L2 penalty.

    Maximum likelihood on a proper scoring rule is what keeps the output calibrated.
    """
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(y) or len(y) == 0:
        raise ValueError("need one row of features per label")
    if y.min() == y.max():
        raise ValueError("labels are all the same: need both resolved and unresolved examples")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    beta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2 * len(y)
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (p - y) + penalty @ beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return LogisticModel(
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in beta[1:]),
        bias=float(beta[0]),
    )


def auroc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve: the chance a positive outscores a negative (ties count half)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    position = 0
    while position < len(s):
        end = position
        while end + 1 < len(s) and sorted_scores[end + 1] == sorted_scores[position]:
            end += 1
        ranks[order[position : end + 1]] = (position + end) / 2.0 + 1.0
        position = end + 1
    rank_sum = float(ranks[y].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def expected_calibration_error(
    probabilities: Sequence[float], labels: Sequence[int], bins: int = 10
) -> float:
    """Mean |observed rate − predicted probability| over equal-width bins, weighted by size."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if len(p) == 0:
        return float("nan")
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for index in range(bins):
        members = which == index
        if members.any():
            error += members.sum() / len(p) * abs(float(y[members].mean() - p[members].mean()))
    return float(error)


def brier_score(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    return float(np.mean((p - y) ** 2))


def with_track_record(probability: float, successes: int, failures: int, strength: float) -> float:
    """Blend the engine's probability with what the answer actually did.

    The engine's estimate counts as `strength` pseudo-outcomes (a Beta prior centred on it),
    so a new answer keeps its estimate and a long record outweighs it. Successes: helpful
    votes and "this solved it"; failures: unhelpful votes and tickets filed after viewing it.
    """
    trials = strength + successes + failures
    if trials <= 0:
        return probability
    return (probability * strength + successes) / trials
