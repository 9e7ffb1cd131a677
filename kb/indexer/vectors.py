"""Vector index on FAISS: exact inner product while small, an HNSW graph past a threshold.

Vectors are normalised, so inner product equals cosine. HNSW cannot delete, so removed rows
become tombstones that searches skip, and the graph is rebuilt when they pile up. Past a
second threshold the graph holds 8-bit scalars instead of floats (1M vectors of 384
dimensions: 0.4 GB instead of 1.5 GB), and the candidates it finds are scored again on the
exact vectors, which a reader maps from disk instead of loading.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.backends import Ranking, Vectors
from kb.config import Settings
from kb.errors import DependencyMissingError, IndexMismatchError

HNSW_NEIGHBOURS = 32
HNSW_BUILD_DEPTH = 80
HNSW_SEARCH_DEPTH = 128
# The graph of 8-bit scalars searches deeper: over the bench's 1M-chunk home, the first 10 of
# 100 candidates scored again on exact vectors held 0.9175 of the exact top 10 at efSearch
# 128, 0.9495 at 512, 0.9625 at 768 (1.6 ms of CPU a search) and 0.9635 at 1024 (2.1 ms).
QUANTISED_SEARCH_DEPTH = 768
# Rebuild the graph once this share of its rows are tombstones.
TOMBSTONE_REBUILD_RATIO = 0.2
GRAPH_FILE = "hnsw.faiss"


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise DependencyMissingError("faiss-cpu", "semantic search") from None
    return faiss


class FaissVectorIndex:
    """Rows of (chunk id, vector) in `directory`: vectors.npy, ids.txt, alive.npy, hnsw.faiss."""

    def __init__(self, directory: Path, settings: Settings, dimension: int) -> None:
        self._directory = directory
        self._dimension = dimension
        self._threshold = settings.hnsw_threshold
        self._quantise_threshold = settings.quantise_threshold
        directory.mkdir(parents=True, exist_ok=True)
        vectors_path = directory / "vectors.npy"
        # Batches added since the vectors were last joined into one array (joining at every
        # batch copied all earlier vectors again: quadratic in the size of a full build).
        self._pending: list[Vectors] = []
        if vectors_path.exists():
            # Mapped, not read: a graph answers searches without them, and a flat index
            # copies them once. _save replaces the file instead of writing into it.
            self._vectors: Vectors = np.load(vectors_path, mmap_mode="r")
            self._ids: list[str] = (directory / "ids.txt").read_text("utf-8").splitlines()
            self._alive = np.load(directory / "alive.npy")
            if self._vectors.shape[1] != dimension:
                raise IndexMismatchError(
                    f"{directory}: vectors have {self._vectors.shape[1]} dimensions but the "
                    f"embedding model gives {dimension}; run `kb index --rebuild`"
                )
        else:
            self._vectors = np.zeros((0, dimension), dtype=np.float32)
            self._ids = []
            self._alive = np.zeros(0, dtype=bool)
        self._rows = {chunk_id: row for row, chunk_id in enumerate(self._ids) if self._alive[row]}
        graph_path = directory / GRAPH_FILE
        self._graph: Any = _faiss().read_index(str(graph_path)) if graph_path.exists() else None
        self._quantised = self._graph is not None and _is_quantised(self._graph)
        self._flat: Any = None
        self._selector: Any = None
        self._dirty = False
        if self._graph is None:
            self._build_flat()

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids but {len(vectors)} vectors")
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        if vectors.shape[1] != self._dimension:
            raise ValueError(f"vectors have {vectors.shape[1]} dimensions, not {self._dimension}")
        self.remove([chunk_id for chunk_id in ids if chunk_id in self._rows])
        start = len(self._ids)
        self._pending.append(vectors)
        self._ids.extend(ids)
        self._alive = np.concatenate([self._alive, np.ones(len(ids), dtype=bool)])
        for offset, chunk_id in enumerate(ids):
            self._rows[chunk_id] = start + offset
        if self._graph is not None:
            self._graph.add(vectors)
        self._dirty = True
        self._selector = None

    def remove(self, ids: Sequence[str]) -> None:
        for chunk_id in ids:
            row = self._rows.pop(chunk_id, None)
            if row is not None:
                self._alive[row] = False
                self._dirty = True
        self._selector = None

    def commit(self) -> None:
        alive = int(self._alive.sum())
        dead = len(self._ids) - alive
        wants_graph = alive > self._threshold
        if (
            not wants_graph
            or (self._graph is None)
            or self._quantised != (alive > self._quantise_threshold)
            or dead > TOMBSTONE_REBUILD_RATIO * len(self._ids)
        ):
            self._compact()
            if wants_graph:
                self._build_graph()
            else:
                self._graph = None
        if self._graph is None:
            self._build_flat()
        self._save()
        self._dirty = False

    def search(self, vector: Vectors, limit: int) -> Ranking:
        if limit < 1 or not self._rows:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        limit = min(limit, len(self._rows))
        faiss = _faiss()
        # One query is a few hundred microseconds of work: split over OpenMP threads it waits
        # for them instead (10k flat: 0.38 ms on one thread, 1.43 ms on two, 22 ms when the
        # cores are busy). The thread count is the calling thread's own, and is put back.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, rows, ids = self._nearest(faiss, query, limit)
        finally:
            faiss.omp_set_num_threads(threads)
        if self._quantised:
            scores, rows = self._rescored(query, rows)
        return [
            (ids[row], float(score))
            for score, row in zip(scores[0], rows[0], strict=True)
            if row >= 0
        ]

    def _nearest(self, faiss: Any, query: Vectors, limit: int) -> tuple[Any, Any, list[str]]:
        if self._graph is None:
            if self._flat is None or self._dirty:
                self._build_flat()
            scores, rows = self._flat.search(query, limit)
            return scores, rows, self._flat_ids
        if self._selector is None and not self._alive.all():
            dead = np.flatnonzero(~self._alive).astype(np.int64)
            self._selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(dead))
        depth = QUANTISED_SEARCH_DEPTH if self._quantised else HNSW_SEARCH_DEPTH
        parameters = faiss.SearchParametersHNSW(efSearch=max(depth, limit), sel=self._selector)
        scores, rows = self._graph.search(query, limit, params=parameters)
        return scores, rows, self._ids

    def _rescored(self, query: Vectors, rows: Any) -> tuple[Any, Any]:
        """The graph's candidates by their exact cosine: 8-bit scalars rank them nearly so."""
        found = rows[0][rows[0] >= 0]
        exact = self._stored()[np.sort(found)] @ query[0]
        order = np.argsort(-exact, kind="stable")
        return exact[order].reshape(1, -1), np.sort(found)[order].reshape(1, -1)

    def vectors_of(self, ids: Sequence[str]) -> Vectors:
        try:
            rows = [self._rows[chunk_id] for chunk_id in ids]
        except KeyError as error:
            raise KeyError(f"the vector index holds no chunk {error.args[0]!r}") from None
        return np.array(self._stored()[rows], dtype=np.float32).reshape(len(rows), self._dimension)

    def count(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        self._graph = None
        self._flat = None

    @property
    def kind(self) -> str:
        """`flat`, `hnsw` or `hnsw-sq8` (8-bit scalars): which FAISS index serves searches."""
        if self._graph is None:
            return "flat"
        return "hnsw-sq8" if self._quantised else "hnsw"

    def _stored(self) -> Vectors:
        """Every row's vector, the batches added since the last call joined on."""
        if self._pending:
            self._vectors = np.concatenate([self._vectors, *self._pending])
            self._pending = []
        return self._vectors

    def _compact(self) -> None:
        if self._alive.all():
            return
        keep = np.flatnonzero(self._alive)
        self._vectors = np.ascontiguousarray(self._stored()[keep])
        self._ids = [self._ids[row] for row in keep]
        self._alive = np.ones(len(self._ids), dtype=bool)
        self._rows = {chunk_id: row for row, chunk_id in enumerate(self._ids)}
        self._graph = None
        self._selector = None

    def _build_flat(self) -> None:
        faiss = _faiss()
        keep = np.flatnonzero(self._alive)
        self._flat = faiss.IndexFlatIP(self._dimension)
        if len(keep):
            self._flat.add(np.ascontiguousarray(self._stored()[keep]))
        self._flat_ids = [self._ids[row] for row in keep]
        self._dirty = False

    def _build_graph(self) -> None:
        faiss = _faiss()
        vectors = self._stored()
        self._quantised = len(vectors) > self._quantise_threshold
        if self._quantised:
            graph = faiss.IndexHNSWSQ(
                self._dimension,
                faiss.ScalarQuantizer.QT_8bit,
                HNSW_NEIGHBOURS,
                faiss.METRIC_INNER_PRODUCT,
            )
            # The quantiser learns each dimension's range; a sample bounds it well enough.
            graph.train(np.ascontiguousarray(vectors[:: max(1, len(vectors) // 100_000)]))
        else:
            graph = faiss.IndexHNSWFlat(
                self._dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT
            )
        graph.hnsw.efConstruction = HNSW_BUILD_DEPTH
        graph.add(np.ascontiguousarray(vectors))
        self._graph = graph
        self._flat = None

    def _save(self) -> None:
        # Each file is written beside its old self and renamed over it: a reader (or this
        # index) may still map the old vectors.npy, whose pages must not change under it.
        folder = self._directory
        _replace(folder / "vectors.npy", lambda path: np.save(path, self._stored()))
        _replace(folder / "alive.npy", lambda path: np.save(path, self._alive))
        ids = "".join(f"{chunk_id}\n" for chunk_id in self._ids)
        _replace(folder / "ids.txt", lambda path: path.write_text(ids, "utf-8"))
        graph_path = folder / GRAPH_FILE
        if self._graph is not None:
            _replace(graph_path, lambda path: _faiss().write_index(self._graph, str(path)))
        else:
            graph_path.unlink(missing_ok=True)


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write `path` through `write(temporary)` and rename the result over it."""
    temporary = path.with_name(f".{path.name}.writing{path.suffix}")
    write(temporary)
    os.replace(temporary, path)


def _is_quantised(graph: Any) -> bool:
    """Whether a graph read from disk stores its vectors as scalar-quantised codes."""
    storage = _faiss().downcast_index(graph.storage)
    return type(storage).__name__ == "IndexScalarQuantizer"
