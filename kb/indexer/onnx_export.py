"""The one-time export of the embedding model to ONNX, the only step that needs PyTorch.

Written into a hidden folder beside the others under models/ and renamed into place under
the folder's lock, so two processes never make it at once and a crash leaves no half export:
the transformer's graph, its int8 copy (weights quantised per output channel, after the
pre-processing ONNX Runtime advises), the fast tokenizer, and export.json with the model's
own vectors of the probe sentences, against which every process checks ONNX Runtime.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from kb.indexer.onnx_encoder import (
    EXPORT_FILE,
    EXPORT_FORMAT,
    GRAPH_FILE,
    INPUTS,
    PROBES,
    QUANTIZED_FILE,
    TOKENIZER_FILE,
    Export,
    export_failures,
    export_folder,
    find_export,
)

LOCK_FILE = "export.lock"
# Files of earlier kb versions, which kept one export per PyTorch version beside the lock.
EARLIER_EXPORTS = "query-encoder-*.onnx"


def make_export(load_model: Callable[[], Any], model_path: str, models: Path) -> Export:
    """The export of the model at `model_path`, made once; `load_model()` gives it as a
    SentenceTransformer, and is called only when no other process has made the export."""
    found = find_export(model_path, models)
    if found is not None:
        return found
    models.mkdir(parents=True, exist_ok=True)
    with open(models / LOCK_FILE, "a+", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            found = find_export(model_path, models)
            if found is not None:
                return found
            target = export_folder(model_path, models)
            scratch = models / f".building-{target.name}-{os.getpid()}"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            try:
                _write(load_model(), model_path, scratch)
                shutil.rmtree(target, ignore_errors=True)
                os.rename(scratch, target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            for earlier in models.glob(EARLIER_EXPORTS):
                earlier.unlink(missing_ok=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    made = find_export(model_path, models)
    if made is None:
        raise RuntimeError(f"the export in {models} was written but cannot be read back")
    return made


def failures() -> tuple[type[BaseException], ...]:
    """What an export raises when it cannot be made here (see export_failures), and ONNX's
    checker's ValidationError."""
    try:
        from onnx.checker import ValidationError
    except ImportError:
        return export_failures()
    return (*export_failures(), ValidationError)


def _write(model: Any, model_path: str, folder: Path) -> None:
    tokenizer = getattr(model.tokenizer, "backend_tokenizer", None)
    if tokenizer is None:
        raise ValueError(f"{model_path} has no fast tokenizer, which ONNX encoding needs")
    _export_graph(model, folder / GRAPH_FILE)
    _quantize(folder / GRAPH_FILE, folder / QUANTIZED_FILE)
    tokenizer.save(str(folder / TOKENIZER_FILE))
    vectors = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    description = {
        "format": EXPORT_FORMAT,
        "model": model_path,
        "exported_with": f"torch {metadata.version('torch')}",
        "dimension": int(vectors.shape[1]),
        "max_length": int(model.max_seq_length),
        "probes": list(PROBES),
        "probe_vectors": [[float(value) for value in row] for row in vectors],
    }
    (folder / EXPORT_FILE).write_text(json.dumps(description), "utf-8")


def _export_graph(model: Any, target: Path) -> None:
    import torch

    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            named = dict(zip(INPUTS, tensors, strict=False))
            return transformer(**named).last_hidden_state  # type: ignore[no-any-return]

    sample = model.tokenizer(["an example sentence"], return_tensors="pt")
    names = [name for name in INPUTS if name in sample]
    dynamic = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    # The tracer warns about the model's shape checks; the probes then prove the exported
    # graph right at every length they try.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[name] for name in names),
            str(target),
            input_names=names,
            output_names=["hidden"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )


def _quantize(exported: Path, target: Path) -> None:
    """An int8 copy: weights get one scale per output channel, not one per tensor.

    On the sample tickets query vectors then stay within a cosine of 0.99 of the model's
    (0.92 with one scale per tensor), at the same speed.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = target.with_suffix(".prepared.onnx")
    try:
        # The symbolic pass cannot follow the exported attention's shape checks; ONNX's own
        # shape inference can.
        quant_pre_process(exported, prepared, skip_symbolic_shape=True)
        quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        prepared.unlink(missing_ok=True)
