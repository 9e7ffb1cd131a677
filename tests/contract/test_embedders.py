"""The Embedder contract, run against every embedder kb ships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.backends import Embedder
from kb.config import Settings
from kb.indexer import onnx_queries
from kb.indexer.embed import HashingEmbedder, SentenceTransformerEmbedder


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
def test_queries_use_an_onnx_export_that_gives_the_models_vectors(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(Settings(home=tmp_path, query_encoder="onnx"))
    texts = ["vpn certificate validation failure", "La impresora no imprime desde ayer"]
    queried = np.stack([embedder.embed_query(text) for text in texts])
    assert list((tmp_path / "models").glob("query-encoder-*.onnx")), "no export was made"
    # The same vectors as the model's own batch encoding, which the index is built with.
    assert np.allclose(queried, embedder.embed(texts), atol=1e-5)


@pytest.mark.model
def test_an_export_that_disagrees_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(onnx_queries, "AGREEMENT", 1.5)  # no export can agree this closely
    embedder = SentenceTransformerEmbedder(Settings(home=tmp_path, query_encoder="onnx"))
    text = "outlook keeps asking for my password"
    assert np.allclose(embedder.embed_query(text), embedder.embed([text])[0], atol=1e-6)
    assert "disagrees with the model" in caplog.text


@pytest.mark.model
def test_onnx_queries_can_be_turned_off(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(Settings(home=tmp_path, query_encoder="pytorch"))
    embedder.embed_query("printer offline")
    assert not (tmp_path / "models").exists()


@pytest.mark.model
def test_quantised_queries_stay_close_to_the_model(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(Settings(home=tmp_path, query_encoder="onnx-int8"))
    texts = ["vpn certificate validation failure", "printer on floor 3 is offline"]
    queried = np.stack([embedder.embed_query(text) for text in texts])
    assert list((tmp_path / "models").glob("query-encoder-*-int8-per-channel.onnx"))
    cosines = np.sum(queried * embedder.embed(texts), axis=1)
    assert np.all(cosines > 0.98) and not np.allclose(cosines, 1.0, atol=1e-4)


def test_an_export_that_fails_here_falls_back_to_pytorch(tmp_path: Path, monkeypatch, caplog):
    def disk_full(*arguments: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx_queries, "_exported", disk_full)
    assert onnx_queries.load_query_encoder(object(), "model", tmp_path) is None
    assert "No space left on device" in caplog.text


def test_a_bug_in_the_export_is_raised_not_hidden_behind_the_fallback(
    tmp_path: Path, monkeypatch
) -> None:
    def broken(*arguments: object) -> Path:
        return {}["no such key"]  # a KeyError, as a mistake in kb would raise

    monkeypatch.setattr(onnx_queries, "_exported", broken)
    with pytest.raises(KeyError):
        onnx_queries.load_query_encoder(object(), "model", tmp_path)
