"""Retrieval metrics over ranked ids and graded relevance judgements. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


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


def summarise(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float]:
    """Mean nDCG@10, Recall@10, Recall@100 and MRR@10 over the queries that have judgements."""
    judged = [query for query, grades in qrels.items() if any(g > 0 for g in grades.values())]
    if not judged:
        return {"queries": 0, "ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    totals = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for query in judged:
        ranked = runs.get(query, [])
        grades = qrels[query]
        totals["ndcg@10"] += ndcg_at(ranked, grades, 10)
        totals["recall@10"] += recall_at(ranked, grades, 10)
        totals["recall@100"] += recall_at(ranked, grades, 100)
        totals["mrr@10"] += reciprocal_rank_at(ranked, grades, 10)
    means = {name: value / len(judged) for name, value in totals.items()}
    return {"queries": len(judged), **means}
