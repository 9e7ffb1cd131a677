"""Retrieval metrics over ranked ids and graded judgements, with bootstrap intervals. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Normalised discounted cumulative gain at k, with gains equal to the judged grade."""
    gains = [relevant.get(item, 0) for item in ranked[:k]]
    dcg = sum(gain / math.log2(position + 2) for position, gain in enumerate(gains))
    ideal = sorted((grade for grade in relevant.values() if grade > 0), reverse=True)[:k]
    idcg = sum(gain / math.log2(position + 2) for position, gain in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {item for item, grade in relevant.items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def reciprocal_rank_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    for position, item in enumerate(ranked[:k]):
        if relevant.get(item, 0) > 0:
            return 1.0 / (position + 1)
    return 0.0


METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10")
RESAMPLES = 2000
CONFIDENCE = 0.95


def judged_queries(qrels: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The queries with at least one relevant judgement: the ones a metric averages over."""
    return [query for query, grades in qrels.items() if any(g > 0 for g in grades.values())]


def per_query(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, list[float]]:
    """Each metric's value for every judged query, in the order of `judged_queries`."""
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    for query in judged_queries(qrels):
        ranked = runs.get(query, [])
        grades = qrels[query]
        values["ndcg@10"].append(ndcg_at(ranked, grades, 10))
        values["recall@10"].append(recall_at(ranked, grades, 10))
        values["recall@100"].append(recall_at(ranked, grades, 100))
        values["mrr@10"].append(reciprocal_rank_at(ranked, grades, 10))
    return values


def summarise(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Mean nDCG@10, Recall@10, Recall@100 and MRR@10 over the queries that have judgements."""
    values = per_query(runs, qrels)
    count = len(values["ndcg@10"])
    if not count:
        return {"queries": 0, **{name: 0.0 for name in METRICS}}
    return {"queries": count, **{name: sum(values[name]) / count for name in METRICS}}


def bootstrap_interval(
    values: Sequence[float],
    *,
    seed: int,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values`, resampling queries.

    Seeded, so the same run prints the same interval. With one value or none there is
    nothing to resample and the interval is that value (or 0).
    """
    if len(values) < 2:
        only = float(values[0]) if values else 0.0
        return (only, only)
    sample = np.asarray(values, dtype=np.float64)
    generator = np.random.default_rng(seed)
    picks = generator.integers(0, len(sample), size=(resamples, len(sample)))
    means = sample[picks].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(low), float(high))


def intervals(
    runs: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    seed: int,
    resamples: int = RESAMPLES,
) -> dict[str, tuple[float, float]]:
    """A bootstrap 95% interval over queries for every metric `summarise` reports."""
    values = per_query(runs, qrels)
    return {
        name: bootstrap_interval(values[name], seed=seed, resamples=resamples) for name in METRICS
    }


# (estimates, labels) -> one figure, e.g. the area under the ROC curve.
Statistic = Callable[[Sequence[float], Sequence[int]], float]


def paired_interval(
    scores: Sequence[float],
    labels: Sequence[int],
    statistic: Statistic,
    *,
    seed: int,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` over (score, label) pairs, one per query,
    resampling queries.

    Resamples whose statistic is NaN (an AUROC of a sample holding one kind of label) are
    left out; with none left, or fewer than two pairs, the interval is the statistic itself.
    """
    if len(scores) != len(labels):
        raise ValueError("one label per score")
    whole = statistic(scores, labels)
    if len(scores) < 2:
        return (whole, whole)
    values, truth = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    picks = np.random.default_rng(seed).integers(0, len(values), size=(resamples, len(values)))
    sampled = [statistic(values[pick].tolist(), truth[pick].tolist()) for pick in picks]
    kept = [value for value in sampled if not math.isnan(value)]
    if not kept:
        return (whole, whole)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(kept, [tail, 1.0 - tail])
    return (float(low), float(high))
