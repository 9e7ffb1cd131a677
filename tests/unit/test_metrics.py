"""Retrieval metrics on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from kb.evaluation.metrics import ndcg_at, recall_at, reciprocal_rank_at, summarise


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
