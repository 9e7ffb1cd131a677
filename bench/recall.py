"""Recall@10 of kb's vector index against exact search over the same stored vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

from bench.homes import vector_graph, vector_index_kind
from bench.report import Cell
from kb.backends import Vectors, open_generation_store
from kb.config import Settings
from kb.indexer.generations import Home
from kb.indexer.vectors import HNSW_SEARCH_DEPTH, QUANTISED_SEARCH_DEPTH

DEPTH = 10
# Stored vectors scored at a time by the exact search (a block of 100,000 x 384 floats).
ROW_BLOCK = 100_000
COLUMNS = ["chunks", "index", "kb recall@10", "graph alone recall@10"]
COLUMNS += ["graph MB", "vectors.npy MB"]
MEGABYTE = 1024 * 1024


def recall_row(home: Path, settings: Settings, queries: Vectors) -> list[Cell]:
    """kb's VectorIndex as searches use it (the first 10 of the `candidates` it is asked
    for) and its bare FAISS graph (asked for 10), each against the exact top 10 of the same
    queries over the vectors kb stored; the graph's and the vectors' file sizes.

    Without a graph (a flat index) the second recall and the graph's size are left empty.
    """
    folder = _vectors_folder(home)
    stored = np.load(folder / "vectors.npy", mmap_mode="r")
    ids = (folder / "ids.txt").read_text("utf-8").splitlines()
    alive = np.load(folder / "alive.npy")
    exact = [{ids[row] for row in rows} for rows in exact_neighbours(stored, alive, queries)]
    store = open_generation_store(replace(settings, home=home))
    current = store.current()
    if current is None:
        raise RuntimeError(f"{home} has no current generation")
    generation = store.open(current, int(stored.shape[1]))
    try:
        kb_found = [
            {chunk for chunk, _ in generation.vectors.search(query, settings.candidates)[:DEPTH]}
            for query in queries
        ]
    finally:
        generation.close()
    graph_path = vector_graph(home)
    graph_recall: Cell = None
    graph_megabytes: Cell = None
    if graph_path is not None:
        graph: Any = faiss.read_index(str(graph_path))
        quantised = vector_index_kind(home) == "hnsw-sq8"
        graph.hnsw.efSearch = QUANTISED_SEARCH_DEPTH if quantised else HNSW_SEARCH_DEPTH
        _, rows = graph.search(np.ascontiguousarray(queries, dtype=np.float32), DEPTH)
        found = [{ids[row] for row in found_rows if row >= 0} for found_rows in rows]
        graph_recall = _recall(found, exact)
        graph_megabytes = graph_path.stat().st_size / MEGABYTE
    return [
        len(ids),
        vector_index_kind(home),
        _recall(kb_found, exact),
        graph_recall,
        graph_megabytes,
        (folder / "vectors.npy").stat().st_size / MEGABYTE,
    ]


def exact_neighbours(
    stored: Vectors, alive: npt.NDArray[np.bool_], queries: Vectors
) -> list[list[int]]:
    """The rows of the DEPTH live vectors with the highest inner product, for each query."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    best_scores = np.full((len(queries), DEPTH), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), DEPTH), dtype=np.int64)
    for start in range(0, len(stored), ROW_BLOCK):
        block = np.asarray(stored[start : start + ROW_BLOCK], dtype=np.float32)
        scores = queries @ block.T
        scores[:, ~alive[start : start + ROW_BLOCK]] = -np.inf
        rows = np.broadcast_to(np.arange(start, start + len(block)), scores.shape)
        merged_scores = np.concatenate([best_scores, scores], axis=1)
        merged_rows = np.concatenate([best_rows, rows], axis=1)
        top = np.argpartition(-merged_scores, DEPTH - 1, axis=1)[:, :DEPTH]
        best_scores = np.take_along_axis(merged_scores, top, axis=1)
        best_rows = np.take_along_axis(merged_rows, top, axis=1)
    return [sorted(rows.tolist()) for rows in best_rows]


def _vectors_folder(home: Path) -> Path:
    current = Home(home).current()
    if current is None:
        raise RuntimeError(f"{home} has no current generation")
    return current / "vectors"


def _recall(found: Sequence[set[str]], exact: Sequence[set[str]]) -> float:
    """The share of the exact neighbours found, over all queries."""
    return sum(len(a & b) for a, b in zip(found, exact, strict=True)) / sum(len(b) for b in exact)
