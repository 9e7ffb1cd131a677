"""What the benchmarks share in one run: sizes, the loaded model, the vector cache, corpora."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bench.config import Sizes, cache_dir, log
from bench.corpus import indexing_corpus
from bench.embedders import CachingEmbedder, PrecomputedEmbedder, VectorStore, load_model
from bench.homes import cached_home, content_digest, index_into
from bench.synthetic import BaseChunk, SyntheticCorpus, base_chunks, synthetic_corpus
from kb.config import Settings
from kb.indexer.embed import SentenceTransformerEmbedder


@dataclass
class Context:
    """Loads the model, opens the cache and builds corpora on first use, then reuses them."""

    sizes: Sizes
    chunk_words: int = Settings().chunk_words
    _corpora: dict[int, SyntheticCorpus] = field(default_factory=dict)

    @cached_property
    def model(self) -> SentenceTransformerEmbedder:
        log("loading the embedding model")
        return load_model()

    @cached_property
    def store(self) -> VectorStore:
        # int8 and exact document vectors differ a little, so each kind has its own cache.
        name = f"{self.model.name.replace('/', '_')}-{Settings().document_encoder}"
        return VectorStore(cache_dir() / f"vectors-{name}.sqlite", self.model.dimension)

    @cached_property
    def cached_embedder(self) -> CachingEmbedder:
        return CachingEmbedder(self.model, self.store)

    @cached_property
    def base(self) -> list[BaseChunk]:
        """The real chunks (with real vectors) synthetic corpora are recombined from."""
        documents = indexing_corpus(self.sizes.indexing_chunks, self.chunk_words)
        log(f"embedding (or reading from cache) {self.sizes.indexing_chunks} real chunks")
        return base_chunks(documents, self.cached_embedder, self.chunk_words)

    def synthetic(self, size: int) -> SyntheticCorpus:
        if size not in self._corpora:
            log(f"generating a synthetic corpus of {size} chunks")
            self._corpora[size] = synthetic_corpus(self.base, size, self.chunk_words)
        return self._corpora[size]

    def synthetic_home(self, size: int) -> Path:
        """The cached KB home of the synthetic corpus of `size` chunks."""

        def build(folder: Path) -> None:
            corpus = self.synthetic(size)
            embedder = PrecomputedEmbedder(
                self.model.name, corpus.vectors, corpus.rows, corpus.titles
            )
            index_into(folder, corpus.documents, embedder)

        # The synthetic documents are recombined from the real ones, so their content names it.
        real = content_digest(indexing_corpus(self.sizes.indexing_chunks, self.chunk_words))
        return cached_home(f"synthetic-{size}-base{self.sizes.indexing_chunks}-{real}", build)
