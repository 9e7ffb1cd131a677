"""`python -m bench.fusion_variants FOLDER:KEYWORD_RUN:SEMANTIC_RUN ...`: fusion rules offline.

Each argument names a BEIR folder and two `kb eval --run` files of it, one in keyword mode
and one in semantic mode (k 100). Every fusion rule is applied to the same two rankings per
query and scored by nDCG@10 with a bootstrap 95% interval, so that one rule can be compared
on every set with nothing else changing. Reads the files; writes nothing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from bench.report import mean_with_interval
from kb.evaluation.beir import load_qrels
from kb.evaluation.metrics import judged_queries, ndcg_at

Scores = dict[str, float]
Rule = Callable[[Scores, Scores], Scores]


def _run(path: Path) -> dict[str, Scores]:
    runs = {}
    for line in path.read_text("utf-8").splitlines():
        record = json.loads(line)
        runs[record["query_id"]] = {hit["doc_id"]: hit["score"] for hit in record["hits"]}
    return runs


def _theoretical_minimum(scores: Scores, minimum: float) -> Scores:
    if not scores:
        return {}
    top = max(scores.values())
    span = max(top - minimum, 1e-9)
    return {item: (score - minimum) / span for item, score in scores.items()}


def _min_max(scores: Scores) -> Scores:
    if not scores:
        return {}
    return _theoretical_minimum(scores, min(scores.values()))


def _combined(weight: float, keyword: Scores, semantic: Scores) -> Scores:
    """`weight` of the normalised semantic score and the rest of the keyword one."""
    return {
        item: weight * semantic.get(item, 0.0) + (1 - weight) * keyword.get(item, 0.0)
        for item in keyword.keys() | semantic.keys()
    }


def convex(weight: float, keyword_min: float = 0.0, semantic_min: float = 0.0) -> Rule:
    def rule(keyword: Scores, semantic: Scores) -> Scores:
        k = _theoretical_minimum(keyword, keyword_min)
        s = _theoretical_minimum(semantic, semantic_min)
        return _combined(weight, k, s)

    return rule


def min_max(weight: float) -> Rule:
    def rule(keyword: Scores, semantic: Scores) -> Scores:
        return _combined(weight, _min_max(keyword), _min_max(semantic))

    return rule


def z_scores(weight: float, missing: float = -3.0) -> Rule:
    """Each ranking as standard scores over its candidates; an id a ranker did not return
    counts `missing` standard deviations there."""

    def standard(scores: Scores) -> Scores:
        if not scores:
            return {}
        values = list(scores.values())
        mean = sum(values) / len(values)
        spread = (sum((value - mean) ** 2 for value in values) / len(values)) ** 0.5 or 1.0
        return {item: (score - mean) / spread for item, score in scores.items()}

    def rule(keyword: Scores, semantic: Scores) -> Scores:
        k, s = standard(keyword), standard(semantic)
        return {
            item: weight * s.get(item, missing) + (1 - weight) * k.get(item, missing)
            for item in k.keys() | s.keys()
        }

    return rule


def gap_weighted(base: float) -> Rule:
    """Per query, each ranker's weight grows with its lead: the share of its best normalised
    score by which the best beats the runner-up (`base` weighs the semantic lead)."""

    def lead(scores: Scores) -> float:
        ordered = sorted(scores.values(), reverse=True)
        return (ordered[0] - ordered[1]) / ordered[0] if len(ordered) > 1 and ordered[0] else 0.0

    def rule(keyword: Scores, semantic: Scores) -> Scores:
        k, s = _theoretical_minimum(keyword, 0.0), _theoretical_minimum(semantic, 0.0)
        keyword_lead, semantic_lead = (1 - base) * lead(k), base * lead(s)
        total = keyword_lead + semantic_lead
        return _combined(semantic_lead / total if total else base, k, s)

    return rule


def rrf(k: int = 60) -> Rule:
    def rule(keyword: Scores, semantic: Scores) -> Scores:
        fused: Scores = {}
        for scores in (keyword, semantic):
            for rank, item in enumerate(sorted(scores, key=lambda i: -scores[i]), start=1):
                fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
        return fused

    return rule


RULES: dict[str, Rule] = {
    "min-max 0.85 (before 2026-12-04)": min_max(0.85),
    "min-max 0.75": min_max(0.75),
    "rrf k=60": rrf(60),
    **{
        f"convex TM 0.0 semantic {w}": convex(w)
        for w in (0.5, 0.6, 0.7, 0.72, 0.74, 0.75, 0.8)
    },
    **{f"convex TM cosine -1 semantic {w}": convex(w, semantic_min=-1.0) for w in (0.85, 0.88)},
    **{f"z-scores semantic {w}": z_scores(w) for w in (0.6, 0.7)},
    **{f"lead-weighted, base {w}": gap_weighted(w) for w in (0.7, 0.8)},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sets", nargs="+")
    arguments = parser.parse_args(argv)
    loaded = []
    for argument in arguments.sets:
        folder, keyword_path, semantic_path = argument.split(":")
        qrels = load_qrels(Path(folder) / "qrels.tsv")
        runs = (_run(Path(keyword_path)), _run(Path(semantic_path)))
        loaded.append((Path(folder).name, qrels, *runs))
    for name, rule in RULES.items():
        cells = []
        for set_name, qrels, keyword, semantic in loaded:
            asked = {q: g for q, g in qrels.items() if q in keyword}
            values = []
            for query in judged_queries(asked):
                fused = rule(keyword.get(query, {}), semantic.get(query, {}))
                ranked = sorted(fused, key=lambda item: (-fused[item], item))
                values.append(ndcg_at(ranked, asked[query], 10))
            cells.append(mean_with_interval(set_name, values))
        print(f"{name:<32} " + "   ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
