"""Documents and queries on ONNX Runtime: the model's own vectors, PyTorch only to export."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kb.config import Settings
from kb.indexer import onnx_encoder, onnx_export
from kb.indexer.embed import SentenceTransformerEmbedder
from kb.services import Services
from tests.helpers import embedder_beside

pytestmark = pytest.mark.model

TEXTS = [
    "vpn certificate validation failure",
    "  La impresora no imprime desde ayer  ",
    # Past the 256 tokens the model reads: both must cut it at the same place.
    "Outlook prompts for the password. " * 80,
    "",
]
HEAVY = ("torch", "sentence_transformers", "transformers")


def test_exact_documents_and_queries_get_the_models_own_vectors(
    exported_home: Path, tmp_path: Path, pytorch_embedder: SentenceTransformerEmbedder
) -> None:
    exact = embedder_beside(exported_home, tmp_path, document_encoder="onnx", query_encoder="onnx")
    expected = pytorch_embedder.embed(TEXTS)
    assert np.allclose(exact.embed(TEXTS), expected, atol=1e-5)
    queried = np.stack([exact.embed_query(text) for text in TEXTS])
    assert np.allclose(queried, expected, atol=1e-5)


def test_int8_documents_stay_close_and_do_not_depend_on_their_neighbours(
    exported_home: Path, tmp_path: Path, pytorch_embedder: SentenceTransformerEmbedder
) -> None:
    embedder = embedder_beside(exported_home, tmp_path, document_encoder="onnx-int8")
    together = embedder.embed(TEXTS)
    cosines = np.sum(together * pytorch_embedder.embed(TEXTS), axis=1)
    assert np.all(cosines > 0.97) and not np.allclose(cosines, 1.0, atol=1e-4)
    alone = np.stack([embedder.embed([text])[0] for text in TEXTS])
    assert np.allclose(together, alone, atol=1e-6)


def test_quantised_queries_stay_close_to_the_model(
    real_embedder: SentenceTransformerEmbedder, pytorch_embedder: SentenceTransformerEmbedder
) -> None:
    texts = ["vpn certificate validation failure", "printer on floor 3 is offline"]
    queried = np.stack([real_embedder.embed_query(text) for text in texts])
    cosines = np.sum(queried * pytorch_embedder.embed(texts), axis=1)
    assert np.all(cosines > 0.98) and not np.allclose(cosines, 1.0, atol=1e-4)


def test_an_export_that_disagrees_here_is_not_used(
    exported_home: Path,
    tmp_path: Path,
    pytorch_embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(onnx_encoder, "AGREEMENT", 1.5)  # no export can agree this closely
    embedder = embedder_beside(exported_home, tmp_path, query_encoder="onnx")
    text = "outlook keeps asking for my password"
    assert np.allclose(embedder.embed_query(text), pytorch_embedder.embed([text])[0], atol=1e-6)
    assert "disagrees with the model" in caplog.text


def test_pytorch_settings_make_no_export(pytorch_embedder: SentenceTransformerEmbedder) -> None:
    pytorch_embedder.embed(["printer offline"])
    pytorch_embedder.embed_query("printer offline")
    assert not pytorch_embedder.models_folder.exists()


def test_an_export_that_fails_here_falls_back_to_pytorch(
    tmp_path: Path,
    pytorch_embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def disk_full(*arguments: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx_export, "_export_graph", disk_full)
    embedder = SentenceTransformerEmbedder(Settings(home=tmp_path))
    text = "the dock does not charge the laptop"
    assert np.allclose(embedder.embed([text]), pytorch_embedder.embed([text]), atol=1e-6)
    assert "No space left on device" in caplog.text
    assert not list(embedder.models_folder.glob("*/export.json"))
    assert not list(embedder.models_folder.glob(".building-*")), "a half export was left"


def test_a_bug_in_the_export_is_raised_not_hidden_behind_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*arguments: object) -> None:
        raise KeyError("no such key")  # as a mistake in kb would

    monkeypatch.setattr(onnx_export, "_export_graph", broken)
    with pytest.raises(KeyError):
        SentenceTransformerEmbedder(Settings(home=tmp_path)).embed(["printer offline"])


def test_with_the_export_in_place_embedding_never_imports_pytorch(
    exported_home: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    home = embedder_beside(exported_home, tmp_path).models_folder.parent
    answer = heavy_modules_after(
        f"""
        from pathlib import Path
        from kb.config import Settings
        from kb.indexer.embed import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(Settings(home=Path({str(home)!r})))
        answer = {{
            "documents": embedder.embed({TEXTS!r}).tolist(),
            "query": embedder.embed_query("printer offline").tolist(),
        }}
        """
    )
    assert answer["heavy"] == []
    assert np.allclose(answer["documents"], real_embedder.embed(TEXTS), atol=1e-6)
    assert np.allclose(answer["query"], real_embedder.embed_query("printer offline"), atol=1e-6)


@pytest.fixture
def exported_kb(writable_kb: Services, exported_home: Path) -> Services:
    """A private copy of the indexed sample KB whose home holds the model's export."""
    shutil.copytree(
        exported_home / "models", writable_kb.settings.home / "models", dirs_exist_ok=True
    )
    return writable_kb


def heavy_modules_after(code: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; it sets `answer`, returned with the heavy modules."""
    script = (
        "import json, sys\n"
        + textwrap.dedent(code)
        + "\nanswer['heavy'] = sorted({name.split('.')[0] for name in sys.modules} & "
        + f"{set(HEAVY)!r})\nprint(json.dumps(answer))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    answer: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer


def test_kb_search_never_imports_pytorch(exported_kb: Services) -> None:
    home = str(exported_kb.settings.home)
    answer = heavy_modules_after(
        f"""
        from kb.cli import cli
        try:
            cli(["search", "vpn certificate validation failure", "--json", "--home", {home!r}])
        except SystemExit as exit:
            assert not exit.code, exit.code
        answer = {{}}
        """
    )
    assert answer["heavy"] == []


def test_a_serving_worker_never_imports_pytorch(exported_kb: Services) -> None:
    settings = exported_kb.settings
    answer = heavy_modules_after(
        f"""
        from pathlib import Path
        from kb.config import Settings
        from kb.model import SearchQuery, Ticket
        from kb.web.server import build_worker_app

        settings = Settings(
            home=Path({str(settings.home)!r}),
            articles_dir=Path({str(settings.articles_dir)!r}),
            database_url={settings.database_url!r},
            secret_key="test-secret",
        )
        app = build_worker_app(settings, cpu_threads=1)
        suggested = app.test_client().post(
            "/api/v1/suggest",
            json={{"subject": "vpn certificate error", "description": "since this morning"}},
        )
        services = app.extensions["kb"]
        # The desk's path when a ticket is resolved: its note embedded and published at once.
        ticket = Ticket(
            id="INC-9001",
            subject="Badge reader at the loading dock rejects every badge",
            description="Nobody can get in through the loading dock door.",
            resolution="Re-seated the reader's network cable and re-synced its badge list.",
        )
        services.indexer.update([ticket.to_document()])
        found = services.searcher.search(SearchQuery("loading dock badge reader", k=3))
        answer = {{
            "status": suggested.status_code,
            "suggested": len(suggested.get_json()["hits"]),
            "found": [hit.document.id for hit in found.hits],
        }}
        """
    )
    assert answer["status"] == 200 and answer["suggested"] > 0
    assert answer["found"][0] == "ticket:INC-9001"
    assert answer["heavy"] == []
