"""Retrieval metrics on hand-computed cases."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from kb.evaluation.metrics import (
    Statistic,
    bootstrap_interval,
    intervals,
    ndcg_at,
    paired_interval,
    recall_at,
    reciprocal_rank_at,
    summarise,
)
from kb.search.deflection import auroc


def discount(position: int) -> float:
    """The nDCG discount of a one-based position."""
    return math.log2(position + 1)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], {"a": 1}, 10, 1.0),
        (["x", "a"], {"a": 1}, 10, (1 / discount(2)) / 1.0),
        (["x", "a"], {"a": 1}, 1, 0.0),
        # Graded: the better document second instead of first.
        (["b", "a"], {"a": 2, "b": 1}, 10, (1 + 2 / discount(2)) / (2 + 1 / discount(2))),
        # Two relevant, only one found, at position 3.
        (["x", "y", "a"], {"a": 1, "b": 1}, 10, (1 / discount(3)) / (1 + 1 / discount(2))),
        # The ideal ranking is cut at k as well.
        (["a"], {"a": 1, "b": 1, "c": 1}, 1, 1.0),
        # A zero grade is not relevant, and does not count for the ideal ranking.
        (["a", "b"], {"a": 1, "b": 0}, 10, 1.0),
        (["a"], {"a": 0}, 10, 0.0),
        ([], {"a": 1}, 10, 0.0),
        (["a"], {}, 10, 0.0),
    ],
)
def test_ndcg_at(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert ndcg_at(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], {"a": 1, "c": 1}, 10, 1.0),
        (["a", "b", "c"], {"a": 1, "c": 1}, 2, 0.5),
        (["x", "y"], {"a": 1, "b": 2, "c": 1, "d": 1}, 10, 0.0),
        (["a", "x"], {"a": 1, "b": 2, "c": 1, "d": 1}, 10, 0.25),
        (["a"], {"a": 0}, 10, 0.0),
        (["a"], {}, 10, 0.0),
    ],
)
def test_recall_at(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert recall_at(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b"], {"a": 1}, 10, 1.0),
        (["x", "y", "a", "b"], {"a": 1, "b": 2}, 10, 1 / 3),
        (["x", "y", "a"], {"a": 1}, 2, 0.0),
        (["x", "a"], {"x": 0, "a": 1}, 10, 0.5),
        ([], {"a": 1}, 10, 0.0),
    ],
)
def test_reciprocal_rank_at(
    ranked: list[str], relevant: dict[str, int], k: int, expected: float
) -> None:
    assert reciprocal_rank_at(ranked, relevant, k) == pytest.approx(expected)


def test_recall_at_100_sees_past_the_first_10() -> None:
    ranked = [f"x{number}" for number in range(20)] + ["a"]
    result = summarise({"q1": ranked}, {"q1": {"a": 1}})
    assert result["recall@10"] == 0.0
    assert result["recall@100"] == 1.0
    assert result["mrr@10"] == 0.0


def test_summarise_averages_over_judged_queries_only() -> None:
    runs = {
        "found-first": ["a", "b"],
        "found-second": ["x", "c"],
        "no-positive-judgement": ["z"],
        "not-judged": ["a"],
    }
    qrels = {
        "found-first": {"a": 1},
        "found-second": {"c": 1},
        "no-positive-judgement": {"z": 0},
    }
    result = summarise(runs, qrels)
    assert result["queries"] == 2
    assert result["mrr@10"] == pytest.approx((1.0 + 0.5) / 2)
    assert result["recall@10"] == pytest.approx(1.0)
    assert result["recall@100"] == pytest.approx(1.0)
    assert result["ndcg@10"] == pytest.approx((1.0 + 1 / discount(2)) / 2)


def test_summarise_counts_a_judged_query_without_a_run_as_a_miss() -> None:
    result = summarise({"q1": ["a"]}, {"q1": {"a": 1}, "q2": {"b": 1}})
    assert result["queries"] == 2
    assert result["mrr@10"] == pytest.approx(0.5)
    assert result["ndcg@10"] == pytest.approx(0.5)


def test_summarise_without_judged_queries_is_all_zero() -> None:
    result = summarise({"q1": ["a"]}, {"q1": {"a": 0}})
    assert result == {
        "queries": 0,
        "ndcg@10": 0.0,
        "recall@10": 0.0,
        "recall@100": 0.0,
        "mrr@10": 0.0,
    }


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], (0.0, 0.0)),
        ([0.7], (0.7, 0.7)),
        # Every resample of identical values has the same mean.
        ([0.5] * 40, (0.5, 0.5)),
    ],
)
def test_bootstrap_interval_without_spread(values: list[float], expected: tuple) -> None:
    assert bootstrap_interval(values, seed=0) == pytest.approx(expected)


@pytest.mark.parametrize("count", [20, 80, 320])
def test_bootstrap_interval_matches_the_normal_approximation(count: int) -> None:
    # Half hits, half misses: the mean's standard error is 0.5 / sqrt(n).
    values = [1.0, 0.0] * (count // 2)
    low, high = bootstrap_interval(values, seed=3)
    half_width = 1.96 * 0.5 / math.sqrt(count)
    assert low < 0.5 < high
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.15)


def test_bootstrap_interval_is_seeded() -> None:
    values = [(number * 37 % 101) / 101 for number in range(50)]
    assert bootstrap_interval(values, seed=1) == bootstrap_interval(values, seed=1)
    assert bootstrap_interval(values, seed=1) != bootstrap_interval(values, seed=2)


def test_intervals_cover_the_means_summarise_reports() -> None:
    runs = {f"q{number}": ["a", "b"] if number % 3 else ["x", "y", "b"] for number in range(30)}
    qrels = {query: {"b": 1} for query in runs} | {"unjudged": {"b": 0}}
    means = summarise(runs, qrels)
    bounds = intervals(runs, qrels, seed=0)
    assert set(bounds) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
    for name, (low, high) in bounds.items():
        assert low <= means[name] <= high
    assert bounds["recall@10"] == (1.0, 1.0)
    assert bounds["mrr@10"][0] < bounds["mrr@10"][1]


def _share_of_ones(scores: Sequence[float], labels: Sequence[int]) -> float:
    return sum(labels) / len(labels)


def _nan_unless_mixed(scores: Sequence[float], labels: Sequence[int]) -> float:
    return 1.0 if 0 < sum(labels) < len(labels) else math.nan


@pytest.mark.parametrize(
    ("scores", "labels", "statistic", "expected"),
    [
        # Nothing to resample: the statistic itself.
        ([0.7], [1], _share_of_ones, (1.0, 1.0)),
        # Every resample gives the same figure.
        ([0.2, 0.9, 0.4], [1, 1, 1], _share_of_ones, (1.0, 1.0)),
        # Resamples holding one kind of label are left out; the others all say 1.
        ([0.2, 0.9], [0, 1], _nan_unless_mixed, (1.0, 1.0)),
        # No resample has a figure: the whole sample's (NaN) stands.
        ([0.2, 0.9], [1, 1], _nan_unless_mixed, (math.nan, math.nan)),
    ],
)
def test_paired_interval_edges(
    scores: list[float], labels: list[int], statistic: Statistic, expected: tuple
) -> None:
    assert paired_interval(scores, labels, statistic, seed=0) == pytest.approx(
        expected, nan_ok=True
    )


@pytest.mark.parametrize("count", [40, 160])
def test_paired_interval_resamples_pairs_together(count: int) -> None:
    # Labels follow the scores exactly, so the AUROC of any resample with both kinds is 1;
    # the share of ones varies as bootstrap_interval's mean does.
    scores = [number / count for number in range(count)]
    labels = [int(number >= count // 2) for number in range(count)]
    assert paired_interval(scores, labels, auroc, seed=1) == (1.0, 1.0)
    share = paired_interval(scores, labels, _share_of_ones, seed=1)
    assert share == pytest.approx(bootstrap_interval([float(y) for y in labels], seed=1))


def test_paired_interval_wants_a_label_per_score() -> None:
    with pytest.raises(ValueError, match="one label per score"):
        paired_interval([0.1, 0.2], [1], _share_of_ones, seed=0)
