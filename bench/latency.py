"""Query latency per mode at two corpus sizes, kb against the floor in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from bench.config import MODES, K, log
from bench.context import Context
from bench.corpus import queries
from bench.embedders import QueryEncoder
from bench.floor import Floor
from bench.homes import vector_index_kind
from bench.report import Table
from kb.config import Settings
from kb.model import SearchQuery
from kb.search.searcher import Searcher

HYBRID_RATIO_TARGET = 2.0
LARGE_HYBRID_TARGET_MS = 50.0
LARGE_CORPUS = 100_000
COLUMNS = ["chunks", "faiss", "mode", "kb p50", "kb p95", "floor p50", "floor p95"]
COLUMNS += ["kb/floor p50", "kb-floor p50"]


def run(context: Context) -> Table:
    table = Table(
        "latency",
        f"Query latency (k={K}, {context.sizes.queries} queries per mode)",
        list(COLUMNS),
    )
    texts = queries(context.sizes.queries)
    for size in context.sizes.latency_chunks:
        _measure(context, size, texts, table)
    table.notes += [
        "milliseconds; every search encodes its query with the real model (no query cache)",
        "floor: the same model + bare FAISS (flat, or HNSW M=32 efSearch=128) + bm25s, "
        f"top {K} each, no fusion; kb and floor alternate query by query",
        "kb runs both rankers (100 candidates each) in every mode, so its keyword mode "
        "also pays for query encoding and the vector search",
        f"targets: hybrid p50 at most {HYBRID_RATIO_TARGET:g}x the floor; "
        f"under {LARGE_HYBRID_TARGET_MS:g} ms at {LARGE_CORPUS:,} chunks",
    ]
    return table


def _measure(context: Context, size: int, texts: Sequence[str], table: Table) -> None:
    home = context.synthetic_home(size)
    corpus = context.synthetic(size)
    settings = Settings(home=home)
    kind = vector_index_kind(home)
    graph_name = f"{home.name}-floor" if kind == "hnsw" else None
    floor = Floor(corpus.texts, corpus.vectors, context.model, graph_name)
    searcher = Searcher(settings, QueryEncoder(context.model))

    def kb_search(text: str, mode: str) -> None:
        searcher.search(SearchQuery(text, k=K, mode=mode))

    log(f"timing {len(texts)} queries x {len(MODES)} modes on {size} chunks ({kind})")
    for text in texts[: context.sizes.warmup_queries]:
        for mode in MODES:
            kb_search(text, mode)
            floor.search(text, mode)
    encode = _times(texts, floor.encode)
    for mode in MODES:
        kb_times, floor_times = _paired_times(texts, mode, kb_search, floor.search)
        kb_p50, kb_p95 = np.percentile(kb_times, [50, 95])
        floor_p50, floor_p95 = np.percentile(floor_times, [50, 95])
        ratio, extra = kb_p50 / floor_p50, kb_p50 - floor_p50
        table.rows.append([size, kind, mode, kb_p50, kb_p95, floor_p50, floor_p95, ratio, extra])
    searcher.close()
    table.notes.append(f"{size:,} chunks: query encoding alone p50 {np.median(encode):.1f} ms")


def _paired_times(
    texts: Sequence[str],
    mode: str,
    first: Callable[[str, str], None],
    second: Callable[[str, str], None],
) -> tuple[list[float], list[float]]:
    """Milliseconds of both systems on each query, alternating which one goes first."""
    timings: tuple[list[float], list[float]] = ([], [])
    for number, text in enumerate(texts):
        order = ((0, first), (1, second)) if number % 2 == 0 else ((1, second), (0, first))
        for slot, search in order:
            started = time.perf_counter()
            search(text, mode)
            timings[slot].append((time.perf_counter() - started) * 1000.0)
    return timings


def _times(texts: Sequence[str], call: Callable[[str], object]) -> list[float]:
    timings = []
    for text in texts:
        started = time.perf_counter()
        call(text)
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings
