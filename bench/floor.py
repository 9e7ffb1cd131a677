"""The floor: the least work any hybrid search must do, with bare FAISS and bm25s."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bm25s
import faiss
from bm25s.tokenization import Tokenizer

from bench.config import K, cache_dir, log
from kb.backends import Vectors
from kb.indexer.embed import SentenceTransformerEmbedder
from kb.indexer.vectors import QUANTISED_SEARCH_DEPTH

GRAPH_NEIGHBOURS = 32
GRAPH_BUILD_DEPTH = 80
GRAPH_SEARCH_DEPTH = 128


class Floor:
    """Encode the query, search one FAISS index, search one BM25 index; nothing else.

    The same model, vectors and texts as the kb home; no fusion, no documents, no snippets.
    The vector index is a flat one, an HNSW graph of floats built here and kept in the cache
    under `graph_name`, or the graph file kb wrote (`graph_file`: its quantised graph,
    searched bare at kb's depth, without kb's scoring again on exact vectors).
    """

    def __init__(
        self,
        texts: Sequence[str],
        vectors: Vectors,
        model: SentenceTransformerEmbedder,
        graph_name: str | None,
        graph_file: Path | None = None,
    ) -> None:
        self._model = model
        self.dimension = int(vectors.shape[1])
        if graph_file is not None:
            graph: Any = faiss.read_index(str(graph_file))
            graph.hnsw.efSearch = QUANTISED_SEARCH_DEPTH
            self._vectors = graph
        else:
            self._vectors = _graph(vectors, graph_name) if graph_name else _flat(vectors)
        self._tokenizer = Tokenizer(stopwords="en")
        tokens = self._tokenizer.tokenize(list(texts), return_as="ids", show_progress=False)
        self._keyword = bm25s.BM25()
        self._keyword.index(tokens, show_progress=False)

    @property
    def vocabulary(self) -> int:
        """Distinct terms (after stop words) across the texts."""
        return len(self._tokenizer.get_vocab_dict()) - 1

    def search(self, text: str, mode: str) -> None:
        if mode in ("hybrid", "semantic"):
            self.semantic(text)
        if mode in ("hybrid", "keyword"):
            self.keyword(text)

    def encode(self, text: str) -> Vectors:
        vectors: Vectors = self._model.embed([text])
        return vectors

    def semantic(self, text: str, depth: int = K) -> Any:
        return self.nearest(self.encode(text), depth)

    def nearest(self, vectors: Vectors, depth: int = K) -> Any:
        """The bare FAISS search for an already encoded query, on one OpenMP thread as kb's
        (one query is faster on one thread than split over busy cores)."""
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._vectors.search(vectors, depth)
        finally:
            faiss.omp_set_num_threads(threads)

    def keyword(self, text: str, depth: int = K) -> Any:
        tokens = self._tokenizer.tokenize(
            [text], update_vocab=False, return_as="ids", show_progress=False
        )
        return self._keyword.retrieve(tokens, k=depth, show_progress=False)


def _flat(vectors: Vectors) -> Any:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


def _graph(vectors: Vectors, name: str) -> Any:
    """An HNSW graph over `vectors` with kb's parameters, kept in the cache under `name`."""
    path = cache_dir() / "floor" / f"{name}.faiss"
    index: Any
    if path.exists():
        index = faiss.read_index(str(path))
    else:
        log(f"building the floor's HNSW graph over {len(vectors)} vectors")
        index = faiss.IndexHNSWFlat(vectors.shape[1], GRAPH_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = GRAPH_BUILD_DEPTH
        index.add(vectors)
        Path(path.parent).mkdir(parents=True, exist_ok=True)
        faiss.write_index(index, str(path))
    index.hnsw.efSearch = GRAPH_SEARCH_DEPTH
    return index
