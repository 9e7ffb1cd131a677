"""Sizes, paths and the cache folder shared by every benchmark."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from kb.model import SEARCH_MODES

REPOSITORY = Path(__file__).resolve().parent.parent
ARTICLES_DIR = REPOSITORY / "articles"
TICKETS_FILE = REPOSITORY / "tickets" / "resolved-tickets.jsonl"
CACHE_VARIABLE = "KB_BENCH_CACHE"
DEFAULT_CACHE = "~/.cache/kb-bench"
# Bump when a generated corpus changes, so cached vectors stay valid but homes are rebuilt.
CORPUS_VERSION = "2"
# Results per query, as the search box asks for.
K = 10
MODES = SEARCH_MODES


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark runs; `--quick` picks the small set."""

    indexing_chunks: int
    incremental_chunks: int
    latency_chunks: tuple[int, ...]
    # Sizes only the latency and memory parts run at (a build of 1M chunks takes an hour or
    # more on two cores, and a copy into PostgreSQL or an update loop at that size longer).
    scale_chunks: tuple[int, ...]
    queries: int
    warmup_queries: int
    cold_start_runs: int


FULL = Sizes(
    indexing_chunks=3000,
    incremental_chunks=10_000,
    latency_chunks=(10_000, 100_000),
    scale_chunks=(1_000_000,),
    queries=200,
    warmup_queries=20,
    cold_start_runs=3,
)
QUICK = Sizes(
    indexing_chunks=500,
    incremental_chunks=2000,
    latency_chunks=(2000, 10_000),
    scale_chunks=(),
    queries=50,
    warmup_queries=10,
    cold_start_runs=3,
)


def searched_sizes(sizes: Sizes) -> tuple[int, ...]:
    """Every size the latency part measures, smallest first."""
    return tuple(sorted({*sizes.latency_chunks, *sizes.scale_chunks}))


def cache_dir() -> Path:
    """Where vectors and built KB homes are kept between runs (never inside the repository)."""
    folder = Path(os.environ.get(CACHE_VARIABLE, DEFAULT_CACHE)).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log(message: str) -> None:
    """Progress for the operator, on stderr so the table on stdout stays clean."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
