"""Embedders the benchmarks plug into kb: timed, cached, precomputed, and query-only."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.config import cache_dir
from kb.backends import Vectors
from kb.config import Settings
from kb.indexer.embed import SentenceTransformerEmbedder

LOOKUP_BATCH = 900


def text_key(text: str) -> str:
    """The cache key of a text: its SHA-256, so the cache never holds the text itself."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_model(document_encoder: str | None = None) -> SentenceTransformerEmbedder:
    """kb's real embedder with default settings (or documents on `document_encoder`), loaded
    and warmed up; the model's ONNX export is kept in the cache, not in the repository."""
    settings = Settings(home=cache_dir() / "model")
    if document_encoder is not None:
        settings = replace(settings, document_encoder=document_encoder)
    model = SentenceTransformerEmbedder(settings)
    model.embed(["warm up the model before anything is timed"])
    model.embed_query("warm up the query encoder too")
    return model


class VectorStore:
    """Vectors of texts in a SQLite file, keyed by text hash; it outlives the run."""

    def __init__(self, path: Path, dimension: int) -> None:
        self._dimension = dimension
        self._connection = sqlite3.connect(path)
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )

    def get(self, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = list(keys[start : start + LOOKUP_BATCH])
            marks = ",".join("?" * len(batch))
            rows = self._connection.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32).reshape(self._dimension)
        return found

    def put(self, vectors: Mapping[str, Vectors]) -> None:
        self._connection.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
            [(key, np.asarray(vector, np.float32).tobytes()) for key, vector in vectors.items()],
        )
        self._connection.commit()

    def close(self) -> None:
        self._connection.close()


class RecordingEmbedder:
    """The real model, timed; it remembers what it embedded so the cache can keep it later."""

    def __init__(self, model: SentenceTransformerEmbedder) -> None:
        self.name = model.name
        self.dimension = model.dimension
        self.seconds = 0.0
        self.recorded: dict[str, Vectors] = {}
        self._model = model

    def embed(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        vectors = self._model.embed(texts)
        self.seconds += time.perf_counter() - started
        for text, vector in zip(texts, vectors, strict=True):
            self.recorded[text_key(text)] = vector
        return vectors

    def embed_query(self, text: str) -> Vectors:
        return self._model.embed_query(text)


class CachingEmbedder:
    """The real model behind a VectorStore: a text is embedded once, on any run."""

    def __init__(self, model: SentenceTransformerEmbedder, store: VectorStore) -> None:
        self.name = model.name
        self.dimension = model.dimension
        self.misses = 0
        self._model = model
        self._store = store

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [text_key(text) for text in texts]
        found = self._store.get(keys)
        missing = [index for index, key in enumerate(keys) if key not in found]
        if missing:
            fresh = self._model.embed([texts[index] for index in missing])
            computed = {keys[index]: fresh[row] for row, index in enumerate(missing)}
            self._store.put(computed)
            found.update(computed)
            self.misses += len(missing)
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def embed_query(self, text: str) -> Vectors:
        return self._model.embed_query(text)


class PrecomputedEmbedder:
    """Hands kb the vectors a corpus generator prepared, looked up by text; runs no model.

    `vectors` and `rows` hold the chunks' vectors; `others` any further text's, by text key
    (documents' titles).
    """

    def __init__(
        self,
        name: str,
        vectors: Vectors,
        rows: Mapping[str, int],
        others: Mapping[str, Vectors],
    ) -> None:
        self.name = name
        self.dimension = int(vectors.shape[1])
        self._vectors = vectors
        self._rows = rows
        self._others = others

    def embed(self, texts: Sequence[str]) -> Vectors:
        found = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for number, text in enumerate(texts):
            key = text_key(text)
            row = self._rows.get(key)
            if row is not None:
                found[number] = self._vectors[row]
            elif key in self._others:
                found[number] = self._others[key]
            else:
                raise KeyError("a text kb asked to embed was not prepared by the generator")
        return found

    def embed_query(self, text: str) -> Vectors:
        raise NotImplementedError("precomputed vectors cover the corpus only, not queries")


class QueryEncoder:
    """The real model encoding every query afresh: kb's query-vector cache is bypassed."""

    def __init__(self, model: SentenceTransformerEmbedder) -> None:
        self.name = model.name
        self.dimension = model.dimension
        self._model = model

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._model.embed(texts)

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._model.embed([text])[0]
        return vector
