"""Deflection: the logistic fit, the measures of its quality, and the calibration file."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from kb.model import Evidence
from kb.search.deflection import (
    FEATURES,
    DeflectionModel,
    LogisticModel,
    auroc,
    brier_score,
    estimate,
    expected_calibration_error,
    features,
    fit_logistic,
    in_rank_order,
)


def synthetic(rows: int = 400, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Two features; the label depends on the first positively and the second negatively."""
    generator = np.random.default_rng(seed)
    x = generator.normal(size=(rows, 2))
    chance = 1.0 / (1.0 + np.exp(-(3.0 * x[:, 0] - 1.5 * x[:, 1] - 0.5)))
    y = (generator.random(rows) < chance).astype(int)
    return x, y


def test_fit_logistic_learns_the_direction_of_each_feature() -> None:
    x, y = synthetic()
    model = fit_logistic(x.tolist(), y.tolist())
    along_first = [model.probability([value, 0.0]) for value in (-2.0, -1.0, 0.0, 1.0, 2.0)]
    along_second = [model.probability([0.0, value]) for value in (-2.0, -1.0, 0.0, 1.0, 2.0)]
    assert along_first == sorted(along_first)
    assert along_second == sorted(along_second, reverse=True)
    assert along_first[-1] > 0.9
    assert along_first[0] < 0.1


def test_fit_logistic_separates_the_training_data() -> None:
    x, y = synthetic()
    model = fit_logistic(x.tolist(), y.tolist())
    predicted = [model.probability(row) for row in x.tolist()]
    assert auroc(predicted, y.tolist()) > 0.85


def test_fit_logistic_mean_prediction_matches_the_base_rate() -> None:
    x, y = synthetic()
    model = fit_logistic(x.tolist(), y.tolist())
    predicted = [model.probability(row) for row in x.tolist()]
    assert float(np.mean(predicted)) == pytest.approx(float(y.mean()), abs=1e-6)


def test_fit_logistic_handles_a_constant_feature() -> None:
    x, y = synthetic()
    with_constant = np.hstack([x, np.ones((len(x), 1))])
    model = fit_logistic(with_constant.tolist(), y.tolist())
    assert model.scale[2] == 1.0
    assert all(math.isfinite(weight) for weight in model.weights)
    assert model.probability([2.0, 0.0, 1.0]) > model.probability([-2.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("rows", "labels", "message"),
    [
        ([[0.1], [0.2], [0.3]], [1, 1, 1], "labels are all the same"),
        ([[0.1], [0.2]], [0, 0], "labels are all the same"),
        ([[0.1], [0.2]], [0, 1, 1], "one row of features per label"),
        ([], [], "one row of features per label"),
    ],
)
def test_fit_logistic_rejects_unusable_data(
    rows: list[list[float]], labels: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fit_logistic(rows, labels)


@pytest.mark.parametrize(
    ("scores", "labels", "expected"),
    [
        ([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1.0),
        ([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 0.0),
        ([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], 0.5),
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),
        # A tie between a positive and a negative counts half: (1 + 0.5) / 2.
        ([0.2, 0.5, 0.5], [0, 0, 1], 0.75),
    ],
)
def test_auroc_known_values(scores: list[float], labels: list[int], expected: float) -> None:
    assert auroc(scores, labels) == pytest.approx(expected)


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_auroc_is_undefined_with_one_class(labels: list[int]) -> None:
    assert math.isnan(auroc([0.5] * len(labels), labels))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auroc_matches_a_pairwise_count(seed: int) -> None:
    generator = np.random.default_rng(seed)
    # Few distinct scores, so there are many ties.
    scores = generator.integers(0, 6, size=60).astype(float).tolist()
    labels = generator.integers(0, 2, size=60).tolist()
    positives = [score for score, label in zip(scores, labels, strict=True) if label]
    negatives = [score for score, label in zip(scores, labels, strict=True) if not label]
    wins = sum(
        1.0 if positive > negative else 0.5 if positive == negative else 0.0
        for positive, negative in itertools.product(positives, negatives)
    )
    assert auroc(scores, labels) == pytest.approx(wins / (len(positives) * len(negatives)))


@pytest.mark.parametrize(
    ("probabilities", "labels", "expected"),
    [
        # Each bin's observed rate equals its predicted probability.
        ([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75], [1, 0, 0, 0, 1, 1, 1, 0], 0.0),
        ([0.0, 1.0], [0, 1], 0.0),
        # Bin 0.1-0.2: observed 0.5 vs 0.15, half the data; bin 0.8-0.9: 1.0 vs 0.85, half.
        ([0.15, 0.15, 0.85, 0.85], [0, 1, 1, 1], 0.5 * 0.35 + 0.5 * 0.15),
        # Always sure and always wrong.
        ([0.95, 0.95, 0.05], [0, 0, 1], (2 / 3) * 0.95 + (1 / 3) * 0.95),
    ],
)
def test_expected_calibration_error(
    probabilities: list[float], labels: list[int], expected: float
) -> None:
    assert expected_calibration_error(probabilities, labels) == pytest.approx(expected)


def test_expected_calibration_error_of_nothing_is_undefined() -> None:
    assert math.isnan(expected_calibration_error([], []))


def test_brier_score() -> None:
    assert brier_score([1.0, 0.0, 0.5], [1, 0, 1]) == pytest.approx(0.25 / 3)


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (Evidence(0.8, 0.1, 1.0, 0, 1, 0, 0.6), [0.8, 0.1, 1.0, 1.0, 0.5, 1.0, 0.6]),
        # Without a title vector the chunk's cosine stands in for the title's.
        (Evidence(0.3, -0.2, 0.0, None, None, 3), [0.3, -0.2, 0.0, 0.0, 0.0, 0.25, 0.3]),
    ],
)
def test_features_follow_the_feature_order(evidence: Evidence, expected: list[float]) -> None:
    assert features(evidence) == pytest.approx(expected)
    assert len(features(evidence)) == len(FEATURES)


def test_logistic_probability_is_stable_for_extreme_inputs() -> None:
    model = LogisticModel(mean=(0.0,), scale=(1.0,), weights=(1.0,), bias=0.0)
    assert model.probability([0.0]) == 0.5
    assert model.probability([1000.0]) == pytest.approx(1.0)
    assert model.probability([-1000.0]) == pytest.approx(0.0)


def deflection_model() -> DeflectionModel:
    width = len(FEATURES)
    return DeflectionModel(
        hit=LogisticModel(
            mean=tuple(0.1 * number for number in range(width)),
            scale=(1.0,) * width,
            weights=(0.5, -0.25, 1.0, 0.0, 2.0, -1.0, 0.75),
            bias=-0.3,
        ),
        query=LogisticModel(
            mean=(0.0,) * width, scale=(2.0,) * width, weights=(1.0,) * width, bias=0.7
        ),
        embedder="hashing",
        shown=5,
        fitted_on="stackfaq-dev",
        metrics={"auroc": 0.91, "ece": 0.03},
    )


def test_deflection_model_round_trips_through_json() -> None:
    model = deflection_model()
    restored = DeflectionModel.from_json(model.to_json())
    assert restored == model
    evidence = Evidence(0.7, 0.2, 0.5, 0, 2, 0, 0.4)
    assert restored.hit_probability(evidence) == model.hit_probability(evidence)
    assert restored.query_probability(evidence) == model.query_probability(evidence)


def test_query_probability_without_a_top_answer_is_zero() -> None:
    assert deflection_model().query_probability(None) == 0.0


@pytest.mark.parametrize(
    "change",
    [
        {"features": list(reversed(FEATURES))},
        {"features": list(FEATURES[:-1])},
        {"format": 1},
    ],
)
def test_from_json_rejects_files_from_another_version(change: dict[str, object]) -> None:
    data = json.loads(deflection_model().to_json())
    data.update(change)
    with pytest.raises(ValueError, match="another version of kb"):
        DeflectionModel.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("probability", "expected"),
    [
        (1.0, 0.99),
        (0.9999, 0.99),
        (0.99, 0.99),
        (0.5, 0.5),
        (0.01, 0.01),
        (1e-9, 0.01),
        (0.0, 0.01),
    ],
)
def test_an_estimate_is_never_certain(probability: float, expected: float) -> None:
    assert estimate(probability) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("probabilities", "expected"),
    [
        # Already falling: unchanged.
        ([0.9, 0.7, 0.7, 0.2], [0.9, 0.7, 0.7, 0.2]),
        # The report in issue 12 ("printer offline": 57%, 72%, 51%, 32%): the first two pool.
        ([0.57, 0.72, 0.51, 0.32], [0.645, 0.645, 0.51, 0.32]),
        # A late riser pools with as many earlier answers as it must.
        ([0.6, 0.5, 0.4, 0.9], [0.6, 0.6, 0.6, 0.6]),
        ([0.8, 0.3, 0.5, 0.1], [0.8, 0.4, 0.4, 0.1]),
        ([0.2, 0.4, 0.6], [0.4, 0.4, 0.4]),
        ([0.99], [0.99]),
        ([], []),
    ],
)
def test_estimates_are_put_in_rank_order(
    probabilities: list[float], expected: list[float]
) -> None:
    assert in_rank_order(probabilities) == pytest.approx(expected)
