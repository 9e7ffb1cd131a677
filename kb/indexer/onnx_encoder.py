"""Sentence vectors on ONNX Runtime from an export of the model: no PyTorch at run time.

The export (kb/indexer/onnx_export.py) is made once per KB home with PyTorch and kept under
models/: the transformer's graph, an int8 copy, the tokenizer, and the model's own vectors
of a few probe sentences. A process opening it first checks that ONNX Runtime gives those
vectors back on this machine, so searching, serving and indexing need onnxruntime and
tokenizers alone.

Each text runs on its own: with no batch there is no padding, and int8 activations are
scaled for that text alone, so a text's vector never depends on the texts beside it. Texts
are spread over threads (ONNX Runtime releases the GIL), each run on one intra-op thread. On
the project's 2-core machine, one run for 360 chunks: int8 42.6 chunks/s one text per run,
26.9 in length-sorted batches of 4,096 tokens; exact 33.8 one text per run, 29.8 batched;
PyTorch 7.4.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.backends import Vectors

log = logging.getLogger(__name__)

# Bump when the export's files or their meaning change: an older export is then made again.
EXPORT_FORMAT = 2
EXPORT_FILE = "export.json"
GRAPH_FILE = "model.onnx"
QUANTIZED_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PROBES = (
    "my vpn says certificate validation failure",
    "¿Cómo restablezco mi contraseña?",
    "printer on floor 3 shows offline after the update, jobs stay in the queue",
    # Longer than the model reads, so the probes also check where texts are cut; tried only
    # when the export is new, as a text this long costs a cold start 70 ms.
    " ".join(["Outlook asks for the password again after every restart of the laptop."] * 40),
)
QUICK_PROBES = 3
# Cosine an export must reach against the model on every probe to be used; the int8 copy may
# differ (over the sample tickets: mean 0.995, least 0.990).
AGREEMENT = 0.9999
QUANTIZED_AGREEMENT = 0.98


@dataclass(frozen=True)
class Export:
    """One verified export of a model in a KB home's models/ folder."""

    folder: Path
    dimension: int
    max_length: int
    probes: tuple[str, ...]
    probe_vectors: Vectors  # the model's own vectors of the probes, made with PyTorch

    def graph(self, quantized: bool) -> Path:
        return self.folder / (QUANTIZED_FILE if quantized else GRAPH_FILE)


def export_folder(model_path: str, models: Path) -> Path:
    """Where the export of the model at `model_path` lives under `models`."""
    return models / f"{Path(model_path).name or 'model'}-{fingerprint(model_path)}"


def fingerprint(model_path: str) -> str:
    """Changes with the model's files (path, size, time) and the export format."""
    parts = [model_path, f"format {EXPORT_FORMAT}"]
    root = Path(model_path)
    if root.is_dir():
        for weights in sorted(root.rglob("*")):
            if weights.suffix in {".safetensors", ".bin", ".json", ".txt"} and weights.is_file():
                status = weights.stat()
                parts.append(f"{weights.name}:{status.st_size}:{status.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def find_export(model_path: str, models: Path) -> Export | None:
    """The finished export of the model in `models`, or None when there is none yet."""
    folder = export_folder(model_path, models)
    try:
        data = json.loads((folder / EXPORT_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    if data.get("format") != EXPORT_FORMAT:
        return None
    return Export(
        folder=folder,
        dimension=int(data["dimension"]),
        max_length=int(data["max_length"]),
        probes=tuple(data["probes"]),
        probe_vectors=np.asarray(data["probe_vectors"], dtype=np.float32),
    )


class OnnxEncoder:
    """Mean-pooled, normalised sentence vectors from an exported transformer."""

    def __init__(self, session: Any, tokenizer: Any, threads: int) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._threads = max(1, threads)
        self._inputs = [item.name for item in session.get_inputs() if item.name in INPUTS]

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One normalised float32 row per text; texts run in parallel, longest first."""
        encodings = self._tokenizer.encode_batch([text.strip() for text in texts])
        if len(encodings) <= 1 or self._threads == 1:
            rows = [self._run(encoding) for encoding in encodings]
        else:
            order = sorted(range(len(encodings)), key=lambda row: -len(encodings[row].ids))
            with ThreadPoolExecutor(self._threads) as pool:
                vectors = pool.map(lambda row: self._run(encodings[row]), order)
                done = dict(zip(order, vectors, strict=True))
            rows = [done[row] for row in range(len(encodings))]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.ascontiguousarray(np.stack(rows), dtype=np.float32)

    def _run(self, encoding: Any) -> Vectors:
        ids = np.asarray(encoding.ids, dtype=np.int64)[None, :]
        columns = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.asarray(encoding.type_ids, dtype=np.int64)[None, :],
        }
        hidden = self._session.run(None, {name: columns[name] for name in self._inputs})[0]
        # One text, no padding: the mean over its tokens is the model's mean pooling.
        pooled = hidden[0].astype(np.float32).mean(axis=0)
        vector: Vectors = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return vector


def open_encoder(
    export: Export, quantized: bool, threads: int, *, every_probe: bool = False
) -> OnnxEncoder | None:
    """An encoder on `export` (its int8 copy when `quantized`) that gives the model's vectors.

    None, with the reason logged, when ONNX Runtime on this machine does not reproduce the
    vectors the model gave for the probes when the export was made (the short probes only,
    unless `every_probe`).
    """
    import onnxruntime
    from tokenizers import Tokenizer

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(export.graph(quantized)), options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(export.folder / TOKENIZER_FILE))
    tokenizer.enable_truncation(export.max_length)
    tokenizer.no_padding()
    encoder = OnnxEncoder(session, tokenizer, threads)
    tried = len(export.probes) if every_probe else QUICK_PROBES
    vectors = encoder.encode(export.probes[:tried])
    agreement = float(np.min(np.sum(vectors * export.probe_vectors[:tried], axis=1)))
    if agreement < (QUANTIZED_AGREEMENT if quantized else AGREEMENT):
        log.warning(
            "the ONNX export in %s disagrees with the model (cosine %.5f); using PyTorch",
            export.folder,
            agreement,
        )
        return None
    return encoder


def export_failures() -> tuple[type[BaseException], ...]:
    """What exporting, quantising or opening the graph raises when it cannot be done here.

    The exporter raises RuntimeError (OnnxExporterError) and ValueError, a missing `onnx`
    ImportError, the disk OSError, ONNX's checker ValidationError, and ONNX Runtime its own
    classes, which derive from Exception alone. Anything else (TypeError, KeyError, …) is a
    bug in kb and is raised, not hidden behind the PyTorch fallback.
    """
    failures: list[type[BaseException]] = [OSError, RuntimeError, ValueError, ImportError]
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as runtime
    except ImportError:
        return tuple(failures)
    for name in (
        "Fail",
        "InvalidArgument",
        "InvalidGraph",
        "InvalidProtobuf",
        "NoSuchFile",
        "NoModel",
        "NotImplemented",
        "RuntimeException",
        "EPFail",
    ):
        found = getattr(runtime, name, None)
        if isinstance(found, type) and issubclass(found, BaseException):
            failures.append(found)
    return tuple(failures)
