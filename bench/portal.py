"""Portal under load: /api/v1/suggest throughput and latency with `kb serve`, 2 workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.config import TICKETS_FILE, log
from bench.context import Context
from bench.corpus import real_documents
from bench.homes import documents_home
from bench.report import Table

CLIENTS = 20
WORKERS = 2
SECONDS = {"quick": 8.0, "full": 20.0}


def run(context: Context) -> Table:
    quick = context.sizes.latency_chunks[0] < 10_000
    sample = documents_home("sample", real_documents(), context.cached_embedder)
    largest = context.sizes.latency_chunks[-1]
    # The same sample KB with queries on PyTorch, in the same run: what ONNX Runtime buys.
    homes = [
        ("sample KB", sample, {}),
        ("sample KB, int8 ONNX queries", sample, {"KB_QUERY_ENCODER": "onnx-int8"}),
        ("sample KB, PyTorch queries", sample, {"KB_QUERY_ENCODER": "pytorch"}),
        (f"{largest:,} chunks", context.synthetic_home(largest), {}),
    ]
    table = Table(
        "portal",
        f"POST /api/v1/suggest, {CLIENTS} concurrent clients from a second process, "
        f"kb serve with {WORKERS} workers",
        ["knowledge base", "requests", "errors", "req/s", "p50 ms", "p95 ms"],
    )
    with tempfile.TemporaryDirectory(prefix="kb-bench-load-") as scratch:
        payloads = Path(scratch) / "payloads.json"
        payloads.write_text(json.dumps(_payloads()), "utf-8")
        for label, home, settings in homes:
            log(f"serving {label} and loading it for {SECONDS['quick' if quick else 'full']} s")
            figures = _load(
                home, payloads, SECONDS["quick" if quick else "full"], scratch, settings
            )
            table.rows.append(
                [
                    label,
                    figures["requests"],
                    figures["errors"],
                    figures["requests_per_second"],
                    figures["p50_ms"],
                    figures["p95_ms"],
                ]
            )
    table.notes.append(
        "each request is a subject and description from the sample tickets with a reference "
        "number appended, so every text is new and encoded: the query-vector cache never helps"
    )
    table.notes.append("every request also records a suggestions_shown event in SQLite (WAL)")
    table.notes.append("target: p95 under 100 ms at 20 clients on the sample KB")
    return table


def _payloads() -> list[dict[str, str]]:
    bodies = []
    for line in TICKETS_FILE.read_text("utf-8").splitlines():
        record = json.loads(line)
        bodies.append({"subject": record["subject"], "description": record["description"]})
    return bodies


def _load(
    home: Path, payloads: Path, seconds: float, scratch: str, settings: dict[str, str]
) -> dict[str, float]:
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
    environment.update(
        HF_HUB_OFFLINE="1",
        KB_HOME=str(home),
        KB_DATABASE_URL=f"sqlite:///{scratch}/load-{port}.sqlite3",
    )
    environment.update(settings)
    kb = str(Path(sys.executable).parent / "kb")
    server = subprocess.Popen(
        [kb, "serve", "--port", str(port), "--workers", str(WORKERS)],
        env=environment,
        cwd=scratch,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        # Warm both workers: a few requests each before timing.
        _client(base, payloads, clients=4, seconds=3.0)
        return _client(base, payloads, clients=CLIENTS, seconds=seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


def _client(base: str, payloads: Path, clients: int, seconds: float) -> dict[str, float]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load_client",
            base,
            "--clients",
            str(clients),
            "--seconds",
            str(seconds),
            "--payloads",
            str(payloads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(completed.stdout)
    return figures


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("kb serve exited before answering")
        try:
            urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("kb serve did not answer within 180 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
