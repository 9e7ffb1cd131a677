"""`kb serve` as a real server process: it answers, and picks up a new index without a restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kb.config import Settings
from kb.services import build_services


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def write(folder: Path, article_id: str, title: str, body: str) -> None:
    (folder / f"{article_id}.md").write_text(f"---\ntitle: {title}\n---\n{body}\n")


# One thread: gunicorn's sync workers; more: threaded workers. Both must behave the same.
@pytest.mark.parametrize("threads", ["1", "4"])
def test_serve_answers_and_follows_new_generations(tmp_path: Path, threads: str) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    write(articles, "printer-offline", "Printer offline", "Restart the printer spooler.")
    settings = Settings(home=tmp_path / ".kb", articles_dir=articles, embedder="hashing")
    indexer = build_services(settings)
    indexer.index_files()

    port = free_port()
    environment = {**os.environ, "KB_EMBEDDER": "hashing", "KB_HOME": str(settings.home)}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "kb.cli", "serve", "--port", str(port)),
            *("--workers", "2", "--threads", threads),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(base + "/", timeout=2).read().decode()
                break
            except OSError:
                assert server.poll() is None, "kb serve exited before answering"
                assert time.monotonic() < deadline, "kb serve did not start within 60 s"
                time.sleep(0.2)
        assert "How can we help?" in page
        first = fetch_json(base + "/api/v1/search?q=printer+spooler")
        assert [hit["id"] for hit in first["hits"]] == ["printer-offline"]

        write(
            articles,
            "spooler-service",
            "Spooler service stopped",
            "The print spooler service stopped; start it again.",
        )
        indexer.index_files()
        # Either worker may answer a request: every answer must come from the new generation.
        for _ in range(6):
            second = fetch_json(base + "/api/v1/search?q=spooler+service+stopped")
            assert second["hits"][0]["id"] == "spooler-service"
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def test_serve_refuses_to_start_without_an_index(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kb.cli", "serve", "--home", str(tmp_path / "empty")],
        env={**os.environ, "KB_EMBEDDER": "hashing"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "run `kb index" in result.stderr
