"""The VectorIndex contract, run against every vector backend (exact and HNSW modes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kb.backends import VectorIndex, open_vector_index
from kb.config import Settings
from tests.postgres import GenerationsByPlace

DIMENSION = 16


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class VectorIndexContract:
    backend = ""
    hnsw_threshold = 30000
    quantise_threshold = 250000

    def open(self, directory: Path) -> VectorIndex:
        settings = Settings(
            vector_backend=self.backend,
            hnsw_threshold=self.hnsw_threshold,
            quantise_threshold=self.quantise_threshold,
        )
        return open_vector_index(directory, settings, DIMENSION)

    @pytest.fixture
    def vectors(self) -> np.ndarray:
        return unit_vectors(200, seed=1)

    @pytest.fixture
    def index(self, tmp_path: Path, vectors: np.ndarray) -> VectorIndex:
        index = self.open(tmp_path / "vectors")
        index.add([f"chunk-{n}" for n in range(len(vectors))], vectors)
        index.commit()
        return index

    def test_nearest_first_with_cosine_scores(self, index: VectorIndex, vectors) -> None:
        ranking = index.search(vectors[7], 5)
        assert ranking[0][0] == "chunk-7"
        assert ranking[0][1] == pytest.approx(1.0, abs=1e-4)
        scores = [score for _, score in ranking]
        assert scores == sorted(scores, reverse=True)

    def test_matches_brute_force(self, index: VectorIndex, vectors) -> None:
        query = unit_vectors(1, seed=99)[0]
        expected = np.argsort(-(vectors @ query))[:10]
        found = [int(chunk.split("-")[1]) for chunk, _ in index.search(query, 10)]
        assert len(set(found) & set(expected.tolist())) >= 9

    def test_removed_ids_never_come_back(self, index: VectorIndex, vectors) -> None:
        index.remove(["chunk-7", "chunk-8"])
        for chunk, _ in index.search(vectors[7], 50):
            assert chunk not in {"chunk-7", "chunk-8"}
        assert index.count() == 198

    def test_adding_an_existing_id_replaces_it(self, index: VectorIndex, vectors) -> None:
        index.add(["chunk-7"], vectors[9:10])
        ranking = index.search(vectors[9], 2)
        assert {chunk for chunk, _ in ranking} == {"chunk-7", "chunk-9"}
        assert index.count() == 200

    def test_survives_reopen_after_commit(self, index: VectorIndex, vectors, tmp_path) -> None:
        index.remove(["chunk-3"])
        index.commit()
        index.close()
        reopened = self.open(tmp_path / "vectors")
        assert reopened.count() == 199
        assert reopened.search(vectors[5], 1)[0][0] == "chunk-5"
        assert all(chunk != "chunk-3" for chunk, _ in reopened.search(vectors[3], 20))

    def test_gives_back_the_stored_vectors(self, index: VectorIndex, vectors) -> None:
        index.add(["chunk-7"], vectors[9:10])
        stored = index.vectors_of(["chunk-12", "chunk-7", "chunk-0"])
        assert stored.dtype == np.float32 and stored.shape == (3, DIMENSION)
        assert np.allclose(stored, vectors[[12, 9, 0]], atol=1e-6)
        assert index.vectors_of([]).shape == (0, DIMENSION)
        index.remove(["chunk-3"])
        with pytest.raises(KeyError, match="chunk-3"):
            index.vectors_of(["chunk-1", "chunk-3"])

    def test_limit_larger_than_index(self, index: VectorIndex, vectors) -> None:
        assert len(index.search(vectors[0], 10_000)) == 200

    def test_empty_index(self, tmp_path: Path) -> None:
        assert self.open(tmp_path / "empty").search(unit_vectors(1, 3)[0], 5) == []

    def test_wrong_dimension_is_refused(self, index: VectorIndex) -> None:
        with pytest.raises(ValueError, match="dimensions"):
            index.add(["odd"], np.ones((1, DIMENSION + 1), dtype=np.float32))


class FaissSearchThreads:
    """A FAISS search runs on one OpenMP thread and leaves the caller's thread count as set."""

    def test_search_keeps_the_callers_thread_count(self, index: VectorIndex, vectors) -> None:
        import faiss

        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(3)
        try:
            first = index.search(vectors[3], 20)
            assert faiss.omp_get_max_threads() == 3
            assert index.search(vectors[3], 20) == first
        finally:
            faiss.omp_set_num_threads(before)


class TestFaissExact(VectorIndexContract, FaissSearchThreads):
    backend = "faiss"


class TestFaissHnsw(VectorIndexContract, FaissSearchThreads):
    """Past the threshold the same contract holds on an HNSW graph with tombstones."""

    backend = "faiss"
    hnsw_threshold = 50

    def test_uses_a_graph(self, index: VectorIndex) -> None:
        assert index.kind == "hnsw"

    def test_rebuilds_when_tombstones_pile_up(self, index: VectorIndex, vectors, tmp_path) -> None:
        index.remove([f"chunk-{n}" for n in range(100)])
        index.commit()
        assert index.count() == 100
        assert index.search(vectors[150], 1)[0][0] == "chunk-150"
        assert (
            not (tmp_path / "vectors" / "alive.npy").exists()
            or np.load(tmp_path / "vectors" / "alive.npy").all()
        )


class TestFaissQuantisedHnsw(VectorIndexContract, FaissSearchThreads):
    """Past the second threshold the graph holds 8-bit scalars; scores stay exact cosines."""

    backend = "faiss"
    hnsw_threshold = 50
    quantise_threshold = 100

    def test_uses_a_quantised_graph(self, index: VectorIndex, tmp_path: Path) -> None:
        assert index.kind == "hnsw-sq8"
        assert self.open(tmp_path / "vectors").kind == "hnsw-sq8"

    def test_scores_are_exact_cosines(self, index: VectorIndex, vectors) -> None:
        query = unit_vectors(1, seed=5)[0]
        for chunk, score in index.search(query, 20):
            exact = float(vectors[int(chunk.split("-")[1])] @ query)
            assert score == pytest.approx(exact, abs=1e-5)

    def test_goes_back_to_floats_below_the_threshold(self, index: VectorIndex, vectors) -> None:
        index.remove([f"chunk-{n}" for n in range(120)])
        index.commit()
        assert index.kind == "hnsw"
        assert index.search(vectors[150], 1)[0][0] == "chunk-150"


class TestPostgresVectorIndex(VectorIndexContract):
    """pgvector's HNSW graph; each folder of the contract is one generation's tables."""

    @pytest.fixture(autouse=True)
    def _database(self, postgres_index_settings: Settings) -> Iterator[None]:
        self.places = GenerationsByPlace(postgres_index_settings, DIMENSION)
        yield
        self.places.close()

    def open(self, directory: Path) -> VectorIndex:
        return self.places.open(directory).vectors
