"""Query latency per mode at two corpus sizes, kb against the floor in the same run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bench import breakdown, recall
from bench.config import MODES, K, log, searched_sizes
from bench.context import Context
from bench.corpus import queries
from bench.embedders import QueryEncoder
from bench.floor import Floor
from bench.homes import vector_graph, vector_index_kind
from bench.report import Table
from bench.timing import paired_times_with_cpu
from kb.config import Settings
from kb.model import SearchQuery
from kb.search.searcher import Searcher

HYBRID_RATIO_TARGET = 2.0
LARGE_HYBRID_TARGET_MS = 50.0
LARGE_CORPUS = 100_000
MILLION = 1_000_000
MILLION_P50_TARGET_MS = 30.0
MILLION_P95_TARGET_MS = 60.0
RECALL_TARGET = 0.95
OWN_WORK_TARGET_MS = 2.0
COLUMNS = ["chunks", "faiss", "mode", "kb p50", "kb p95", "floor p50", "floor p95"]
COLUMNS += ["kb/floor p50", "kb-floor p50", "kb CPU p50", "floor CPU p50", "kb/floor CPU"]


def run(context: Context) -> list[Table]:
    """The latency, breakdown and vector recall tables, one row per size (and mode)."""
    latency = Table(
        "latency",
        f"Query latency, ms (k={K}, {context.sizes.queries} queries per mode)",
        list(COLUMNS),
    )
    parts = Table(
        "latency_breakdown",
        "Where the time goes, p50 ms (100 candidates from every ranker)",
        list(breakdown.COLUMNS),
    )
    recalls = Table(
        "vector_recall",
        f"Vector index recall@{recall.DEPTH} against exact search over the same vectors",
        list(recall.COLUMNS),
    )
    texts = queries(context.sizes.queries)
    for size in searched_sizes(context.sizes):
        _measure(context, size, texts, latency, parts)
        encoded = np.stack([context.model.embed_query(text) for text in texts])
        recalls.rows.append(recall.recall_row(context.synthetic_home(size), Settings(), encoded))
    latency.notes += [
        "every search encodes its query with the real model (kb's query cache is bypassed)",
        "floor: the same model + bare FAISS (flat, or HNSW M=32 efSearch=128) + bm25s, "
        f"top {K} each, no fusion; kb and the floor alternate query by query",
        "kb runs both rankers (100 candidates each) in every mode, so its keyword mode "
        "also pays for query encoding and the vector search",
        "CPU: the calling thread's CPU time (time.thread_time), which waiting for a busy core "
        "does not inflate; work on library threads (the floor's FAISS with OpenMP) not counted",
        f"targets: hybrid p50 at most {HYBRID_RATIO_TARGET:g}x the floor; "
        f"under {LARGE_HYBRID_TARGET_MS:g} ms at {LARGE_CORPUS:,} chunks; at {MILLION:,} "
        f"p50 at most {MILLION_P50_TARGET_MS:g} ms and p95 at most {MILLION_P95_TARGET_MS:g} ms",
        "faiss hnsw-sq8: kb's graph of 8-bit scalars, whose candidates kb scores again on the "
        "exact vectors; the floor searches the same graph file bare",
    ]
    recalls.notes += [
        "exact: inner product with every live stored vector (numpy); the query vectors as kb "
        "encodes them",
        "kb recall: the first 10 of the 100 candidates kb's VectorIndex gives a search (for "
        "hnsw-sq8 scored again on exact vectors); graph alone: the FAISS graph file asked for "
        f"10, bare, efSearch {recall.HNSW_SEARCH_DEPTH} (hnsw-sq8: "
        f"{recall.QUANTISED_SEARCH_DEPTH})",
        f"target: at least {RECALL_TARGET:g}",
    ]
    parts.notes += [
        "kb's keyword and vector indexes opened on the same home and called directly",
        "the synthetic corpus reuses the repository's sentences, so its vocabulary is small "
        "and posting lists are longer than in a real KB of that size",
        "rest of kb hybrid: kb hybrid p50 minus the three before it (catalog, fusion, "
        "snippets, deflection; approximate); the CPU column the same in CPU time: kb's own "
        f"work per query, target at most {OWN_WORK_TARGET_MS:g} ms",
    ]
    return [latency, parts, recalls]


def _measure(
    context: Context, size: int, texts: Sequence[str], latency: Table, parts: Table
) -> None:
    home = context.synthetic_home(size)
    corpus = context.synthetic(size)
    settings = Settings(home=home)
    kind = vector_index_kind(home)
    graph_name = f"{home.name}-floor" if kind == "hnsw" else None
    # A quantised graph is searched bare from kb's own file: building a second graph over a
    # million vectors would take longer than the rest of the run.
    graph_file = vector_graph(home) if kind == "hnsw-sq8" else None
    floor = Floor(corpus.texts, corpus.vectors, context.model, graph_name, graph_file)
    searcher = Searcher(settings, QueryEncoder(context.model))
    log(f"timing {len(texts)} queries x {len(MODES)} modes on {size} chunks ({kind})")
    for text in texts[: context.sizes.warmup_queries]:
        for mode in MODES:
            searcher.search(SearchQuery(text, k=K, mode=mode))
            floor.search(text, mode)
    hybrid_p50 = hybrid_cpu = 0.0
    for mode in MODES:
        kb_times, floor_times, kb_cpu, floor_cpu = paired_times_with_cpu(
            texts,
            lambda text: searcher.search(SearchQuery(text, k=K, mode=mode)),  # noqa: B023
            lambda text: floor.search(text, mode),  # noqa: B023
        )
        kb_p50, kb_p95 = np.percentile(kb_times, [50, 95])
        floor_p50, floor_p95 = np.percentile(floor_times, [50, 95])
        ratio, extra = kb_p50 / floor_p50, kb_p50 - floor_p50
        kb_cpu_p50, floor_cpu_p50 = float(np.median(kb_cpu)), float(np.median(floor_cpu))
        latency.rows.append(
            [size, kind, mode, kb_p50, kb_p95, floor_p50, floor_p95, ratio, extra]
            + [kb_cpu_p50, floor_cpu_p50, kb_cpu_p50 / floor_cpu_p50]
        )
        if mode == "hybrid":
            hybrid_p50, hybrid_cpu = float(kb_p50), kb_cpu_p50
    searcher.close()
    log(f"timing kb's rankers alone on {size} chunks")
    row = breakdown.breakdown_row(home, settings, floor, texts, hybrid_p50, hybrid_cpu)
    parts.rows.append([size, *row])
    parts.notes.append(f"{size:,} chunks: {floor.vocabulary:,} distinct terms in the corpus")
