"""`kb eval` and `kb calibrate`: index a BEIR corpus, run its queries, measure."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from kb.errors import KbError
from kb.evaluation.beir import load_answerable, load_corpus, load_qrels, load_queries, require
from kb.evaluation.metrics import Statistic, intervals, paired_interval, summarise
from kb.indexer.pipeline import IndexReport, Progress, Snapshot
from kb.insights.learning import rows_from_sessions
from kb.model import Filters, SearchQuery, SearchResult, WorkDone
from kb.search.deflection import (
    DeflectionModel,
    auroc,
    brier_score,
    expected_calibration_error,
    features,
    fit_logistic,
)
from kb.services import Services

# Any status and audience: a benchmark corpus has neither.
EVERYTHING = Filters(statuses=())
FOLDS = 5
# How well the top answer's deflection estimate tells whether that answer is relevant.
DEFLECTION_FIGURES: dict[str, Statistic] = {
    "deflection_auroc": auroc,
    "deflection_ece": expected_calibration_error,
}


@dataclass
class EvalOutcome:
    metrics: dict[str, float]
    # A bootstrap 95% interval over queries for each metric, so that a difference smaller
    # than the noise of the query sample is not read as progress.
    intervals: dict[str, tuple[float, float]]
    results: dict[str, SearchResult]
    index: IndexReport
    seconds: float
    mean_query_ms: float
    # Where the deflection model judged by `deflection_auroc` and `deflection_ece` was fitted.
    deflection_model: str = ""


def index_corpus(services: Services, folder: Path, progress: Progress | None = None) -> IndexReport:
    corpus = load_corpus(require(folder, "corpus.jsonl"))
    return services.indexer.index([Snapshot("article", corpus)], progress=progress)


def run_queries(
    services: Services,
    queries: Mapping[str, str],
    mode: str,
    k: int,
    progress: Progress | None = None,
) -> dict[str, SearchResult]:
    results = {}
    for number, (query_id, text) in enumerate(queries.items(), start=1):
        query = SearchQuery(text=text, k=k, mode=mode, filters=EVERYTHING)
        results[query_id] = services.searcher.search(query)
        if progress is not None:
            progress(WorkDone("queries", number, len(queries)))
    return results


def evaluate(
    services: Services,
    folder: Path,
    *,
    qrels_path: Path | None,
    mode: str,
    k: int,
    seed: int = 0,
    progress: Progress | None = None,
) -> EvalOutcome:
    """Index the folder's corpus into the services' home and score every query."""
    started = time.perf_counter()
    queries = load_queries(require(folder, "queries.jsonl"))
    qrels = load_qrels(qrels_path or require(folder, "qrels.tsv"))
    report = index_corpus(services, folder, progress)
    searched = time.perf_counter()
    results = run_queries(services, queries, mode, k, progress)
    search_seconds = time.perf_counter() - searched
    ranked = {query_id: [hit.id for hit in result.hits] for query_id, result in results.items()}
    asked = {q: g for q, g in qrels.items() if q in queries}
    # Deflection is judged on every query answered, judged or not: a query without a
    # relevant document is one whose top answer should not look confident.
    answered = [(q, result.hits[0]) for q, result in results.items() if result.hits]
    estimates = [hit.deflection for _, hit in answered]
    resolves = [int(qrels.get(q, {}).get(hit.id, 0) > 0) for q, hit in answered]
    deflection = {
        name: statistic(estimates, resolves) for name, statistic in DEFLECTION_FIGURES.items()
    }
    deflection_bounds = {
        name: paired_interval(estimates, resolves, statistic, seed=seed)
        for name, statistic in DEFLECTION_FIGURES.items()
    }
    return EvalOutcome(
        metrics={**summarise(ranked, asked), "answered": len(answered), **deflection},
        intervals={**intervals(ranked, asked, seed=seed), **deflection_bounds},
        deflection_model=services.searcher.deflection_model.fitted_on,
        results=results,
        index=report,
        seconds=time.perf_counter() - started,
        mean_query_ms=1000.0 * search_seconds / max(1, len(queries)),
    )


def write_run(results: Mapping[str, SearchResult], handle: IO[str]) -> None:
    """One JSON line per query: its hits, best first, with score and deflection."""
    for query_id, result in results.items():
        hits = [
            {"doc_id": hit.id, "score": round(hit.score, 6), "deflection": round(hit.deflection, 6)}
            for hit in result.hits
        ]
        handle.write(json.dumps({"query_id": query_id, "hits": hits}) + "\n")


@dataclass
class CalibrationOutcome:
    model: DeflectionModel
    metrics: dict[str, Any] = field(default_factory=dict)


def calibrate(
    services: Services,
    folder: Path,
    *,
    answerable_path: Path | None = None,
    shown: int = 3,
    progress: Progress | None = None,
) -> CalibrationOutcome:
    """Fit the deflection model on a labelled BEIR folder and measure it by cross-validation.

    A hit is labelled resolved when the qrels judge it relevant. The hit model learns from
    the top `shown` hits of every query; the query model learns whether any of them resolves.
    Reported figures come from held-out folds, never from the rows a model was fitted on.
    """
    queries = load_queries(require(folder, "queries.jsonl"))
    qrels = load_qrels(require(folder, "qrels.tsv"))
    answerable = load_answerable(answerable_path) if answerable_path else None
    index_corpus(services, folder, progress)
    results = run_queries(services, queries, "hybrid", shown, progress)
    query_ids = [query_id for query_id, result in results.items() if result.hits]
    if len(query_ids) < 2 * FOLDS:
        raise KbError(f"{folder}: too few queries with results to calibrate (need {2 * FOLDS})")

    hit_rows: list[tuple[int, list[float], int]] = []
    query_rows: list[tuple[list[float], int]] = []
    for number, query_id in enumerate(query_ids):
        grades = qrels.get(query_id, {})
        hits = results[query_id].hits
        for hit in hits:
            hit_rows.append((number, features(hit.evidence), int(grades.get(hit.id, 0) > 0)))
        any_resolves = int(any(grades.get(hit.id, 0) > 0 for hit in hits))
        query_rows.append((features(hits[0].evidence), any_resolves))

    fold_of = np.arange(len(query_ids)) % FOLDS
    np.random.default_rng(7).shuffle(fold_of)
    top_scores = [0.0] * len(query_ids)
    query_scores = [0.0] * len(query_ids)
    for fold in range(FOLDS):
        train_hits = [(x, y) for q, x, y in hit_rows if fold_of[q] != fold]
        train_queries = [row for q, row in enumerate(query_rows) if fold_of[q] != fold]
        hit_model = fit_logistic([x for x, _ in train_hits], [y for _, y in train_hits])
        query_model = fit_logistic([x for x, _ in train_queries], [y for _, y in train_queries])
        for q in map(int, np.flatnonzero(fold_of == fold)):
            top_scores[q] = hit_model.probability(query_rows[q][0])
            query_scores[q] = query_model.probability(query_rows[q][0])

    top_labels = [
        int(qrels.get(query_id, {}).get(results[query_id].hits[0].id, 0) > 0)
        for query_id in query_ids
    ]
    any_labels = [label for _, label in query_rows]
    metrics: dict[str, Any] = {
        "queries": len(query_ids),
        "hit_rows": len(hit_rows),
        "top_answer_resolves_rate": float(np.mean(top_labels)),
        "top_answer_auroc": auroc(top_scores, top_labels),
        "top_answer_ece": expected_calibration_error(top_scores, top_labels),
        "top_answer_brier": brier_score(top_scores, top_labels),
        "query_auroc": auroc(query_scores, any_labels),
        "query_ece": expected_calibration_error(query_scores, any_labels),
    }
    if answerable is not None:
        known = [
            (s, int(answerable[q]))
            for q, s in zip(query_ids, query_scores, strict=True)
            if q in answerable
        ]
        metrics["answerable_auroc"] = auroc([s for s, _ in known], [y for _, y in known])
    metrics["thresholds"] = _threshold_table(top_scores, top_labels)

    model = DeflectionModel(
        hit=fit_logistic([x for _, x, _ in hit_rows], [y for _, _, y in hit_rows]),
        query=fit_logistic([x for x, _ in query_rows], any_labels),
        embedder=services.embedder.name,
        shown=shown,
        fitted_on=str(folder),
        metrics=metrics,
    )
    return CalibrationOutcome(model=model, metrics=metrics)


def _threshold_table(scores: Sequence[float], labels: Sequence[int]) -> list[dict[str, float]]:
    """Precision and coverage of the top answer when only answers above a threshold are shown."""
    table = []
    s = np.asarray(scores)
    y = np.asarray(labels)
    for threshold in (0.3, 0.5, 0.7, 0.8, 0.9):
        shown = s >= threshold
        table.append(
            {
                "threshold": threshold,
                "coverage": float(shown.mean()),
                "precision": float(y[shown].mean()) if shown.any() else float("nan"),
            }
        )
    return table


MINIMUM_OUTCOMES = 30


def calibrate_from_events(services: Services) -> CalibrationOutcome:
    """Refit the deflection model from the portal's own outcomes.

    Needs at least MINIMUM_OUTCOMES labelled suggestions and as many sessions with a known
    outcome, each with both resolved and unresolved examples; otherwise says how many it has.
    """
    events = services.events
    sessions = [events.session(session) for session in events.sessions_with("suggestions_shown")]
    rows = rows_from_sessions(sessions)
    for name, found in (
        ("suggestions with an outcome", rows.hits),
        ("sessions with an outcome", rows.queries),
    ):
        classes = {label for _, label in found}
        if len(found) < MINIMUM_OUTCOMES or classes != {0, 1}:
            raise KbError(
                f"not enough outcomes to calibrate from events yet: {len(found)} {name} "
                f"(need {MINIMUM_OUTCOMES}, some resolved and some not); keep the current model"
            )
    hit_model = fit_logistic([x for x, _ in rows.hits], [y for _, y in rows.hits])
    query_model = fit_logistic([x for x, _ in rows.queries], [y for _, y in rows.queries])
    fitted = [hit_model.probability(x) for x, _ in rows.hits]
    labels = [y for _, y in rows.hits]
    metrics: dict[str, Any] = {
        "suggestions": len(rows.hits),
        "sessions": len(rows.queries),
        "resolved_rate": float(np.mean(labels)),
        # In-sample figures: the events are the organisation's whole record so far.
        "in_sample_auroc": auroc(fitted, labels),
        "in_sample_ece": expected_calibration_error(fitted, labels),
    }
    model = DeflectionModel(
        hit=hit_model,
        query=query_model,
        embedder=services.embedder.name,
        fitted_on="portal events",
        metrics=metrics,
    )
    return CalibrationOutcome(model=model, metrics=metrics)
