"""A real `kb serve` for tests: a small indexed home, the server on a free port, raw clients."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def indexed_home(tmp_path: Path) -> Settings:
    articles = tmp_path / "articles"
    articles.mkdir()
    write(articles, "printer-offline", "Printer offline", "Restart the printer spooler.")
    settings = Settings(home=tmp_path / ".kb", articles_dir=articles, embedder="hashing")
    build_services(settings).index_files()
    return settings


@contextmanager
def running_server(
    settings: Settings, *arguments: str, environment: dict[str, str] | None = None
) -> Iterator[str]:
    """`kb serve` on a free port until the block ends; yields its base address."""
    port = free_port()
    variables = {**os.environ, "KB_EMBEDDER": "hashing", "KB_HOME": str(settings.home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--port", str(port), *arguments],
        env={**variables, **(environment or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None, "kb serve exited before answering"
                assert time.monotonic() < deadline, "kb serve did not start within 60 s"
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise


def stalled_upload(base: str, path: str = "/api/v1/suggest") -> socket.socket:
    """A client that sends its headers and 5 of the 100 bytes it announced, then waits (and
    asks for the connection to close after the answer, so answer_of can read to the end)."""
    port = int(base.rsplit(":", 1)[1])
    client = socket.create_connection(("127.0.0.1", port), timeout=60)
    client.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        'Content-Length: 100\r\nConnection: close\r\n\r\n{"sub'.encode()
    )
    return client


def answer_of(client: socket.socket) -> bytes:
    """Everything the server sends on `client` until it closes the connection."""
    parts = []
    while part := client.recv(65536):
        parts.append(part)
    return b"".join(parts)
