"""The Embedder contract, run against every embedder kb ships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.backends import Embedder
from kb.indexer.embed import HashingEmbedder, SentenceTransformerEmbedder
from tests.helpers import embedder_beside


class EmbedderContract:
    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_rows_are_unit_length_float32(self, embedder: Embedder) -> None:
        vectors = embedder.embed(["reset my password", "printer is offline", ""])
        assert vectors.shape == (3, embedder.dimension)
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def test_empty_batch(self, embedder: Embedder) -> None:
        assert embedder.embed([]).shape == (0, embedder.dimension)

    def test_query_vector_matches_document_vector(self, embedder: Embedder) -> None:
        # A query lives in the documents' space: the same vector, or one a quantised query
        # encoder brings very close to it.
        text = "VPN says certificate validation failure"
        query = embedder.embed_query(text)
        assert query.shape == (embedder.dimension,)
        assert float(query @ embedder.embed([text])[0]) > 0.98

    def test_deterministic(self, embedder: Embedder) -> None:
        first = embedder.embed(["outlook keeps asking for my password"])
        second = embedder.embed(["outlook keeps asking for my password"])
        assert np.allclose(first, second, atol=1e-6)

    def test_related_text_is_closer_than_unrelated(self, embedder: Embedder) -> None:
        query = embedder.embed_query("printer paper jam on floor 3")
        related, unrelated = embedder.embed(
            ["the floor 3 printer has a paper jam", "how to enrol in multi-factor authentication"]
        )
        assert float(query @ related) > float(query @ unrelated)


class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashingEmbedder()


@pytest.mark.model
class TestSentenceTransformerEmbedder(EmbedderContract):
    """The default: documents and queries on ONNX Runtime from the model's export."""

    @pytest.fixture
    def embedder(self, real_embedder: SentenceTransformerEmbedder) -> Embedder:
        return real_embedder

    def test_knows_paraphrase(self, real_embedder: SentenceTransformerEmbedder) -> None:
        query = real_embedder.embed_query("I forgot my password")
        paraphrase, other = real_embedder.embed(
            ["how to reset a lost login credential", "the dock does not charge the laptop"]
        )
        assert float(query @ paraphrase) > float(query @ other) + 0.1


@pytest.mark.model
class TestInt8Documents(EmbedderContract):
    @pytest.fixture
    def embedder(self, exported_home: Path, tmp_path: Path) -> Embedder:
        return embedder_beside(exported_home, tmp_path, document_encoder="onnx-int8")


@pytest.mark.model
class TestPyTorchEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, pytorch_embedder: SentenceTransformerEmbedder) -> Embedder:
        return pytorch_embedder
