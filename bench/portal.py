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


def run(context: Context) -> list[Table]:
    quick = context.sizes.latency_chunks[0] < 10_000
    sample = documents_home("sample", real_documents(), context.cached_embedder)
    return [_budget(sample, 40 if quick else 200), _under_load(context, sample, quick)]


def _budget(home: Path, requests: int) -> Table:
    """One suggest request's CPU, split into encoding and the rest, on one thread in-process.

    What the load figures come to: two cores cannot serve more than 2 × 1000 / (ms per
    request) requests a second, and by Little's law N clients that never pause wait N /
    throughput on average, so the target needs at most 20 / 0.1 s = 200 requests a second.
    """
    from kb.config import load_settings
    from kb.indexer.embed import limit_cpu_threads
    from kb.services import build_services
    from kb.web import create_app

    limit_cpu_threads(1)
    table = Table(
        "suggest_budget",
        "One POST /api/v1/suggest in-process on one thread (sample KB, new text each time)",
        ["query encoder", "ms per request", "encoding ms", "rest ms", "ceiling req/s on 2 cores"],
    )
    bodies = suggest_payloads()
    with tempfile.TemporaryDirectory(prefix="kb-bench-budget-") as scratch:
        for encoder in ("onnx", "onnx-int8", "pytorch"):
            settings = load_settings(
                {
                    "home": home,
                    "query_encoder": encoder,
                    "database_url": f"sqlite:///{scratch}/{encoder}.sqlite3",
                    "secret_key": "bench",
                }
            )
            services = build_services(settings)
            client = create_app(services=services).test_client()
            texts = [
                (body, f"{body['description']} Ref {encoder}-{number}.")
                for number, body in enumerate(bodies * (1 + requests // len(bodies)))
            ][:requests]
            for body, description in texts[:5]:  # load and warm the encoder
                client.post("/api/v1/suggest", json={**body, "description": description + "w"})
            # Alternate a request and an encoding of as long a text, so that both meet the
            # same machine: this one is shared, and its speed drifts.
            requesting = encoding = 0.0
            for body, description in texts:
                started = time.perf_counter()
                response = client.post("/api/v1/suggest", json={**body, "description": description})
                between = time.perf_counter()
                services.embedder.embed_query(f"{body['subject']}. {description}x")
                requesting += between - started
                encoding += time.perf_counter() - between
                if response.status_code != 200:
                    raise RuntimeError(f"suggest answered {response.status_code}")
            per_request = requesting * 1000.0 / len(texts)
            encoding = encoding * 1000.0 / len(texts)
            services.close()
            table.rows.append(
                [encoder, per_request, encoding, per_request - encoding, 2000.0 / per_request]
            )
    table.notes.append(
        "p95 under 100 ms for 20 clients that never pause needs at least 200 requests/s "
        "(Little's law: mean wait = clients / throughput), before the load client's own CPU"
    )
    return table


def _under_load(context: Context, sample: Path, quick: bool) -> Table:
    largest = context.sizes.latency_chunks[-1]
    # The same sample KB with exact ONNX and PyTorch queries, in the same run: what the
    # default int8 queries buy.
    homes = [
        ("sample KB", sample, {}),
        ("sample KB, exact ONNX queries", sample, {"KB_QUERY_ENCODER": "onnx"}),
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
        payloads.write_text(json.dumps(suggest_payloads()), "utf-8")
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


def suggest_payloads() -> list[dict[str, str]]:
    bodies = []
    for line in TICKETS_FILE.read_text("utf-8").splitlines():
        record = json.loads(line)
        bodies.append({"subject": record["subject"], "description": record["description"]})
    return bodies


def _load(
    home: Path, payloads: Path, seconds: float, scratch: str, settings: dict[str, str]
) -> dict[str, float]:
    port = free_port()
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
        wait_until_up(base, server)
        # Warm both workers: a few requests each before timing.
        run_load_client(base, payloads, clients=4, seconds=3.0)
        return run_load_client(base, payloads, clients=CLIENTS, seconds=seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


def run_load_client(
    base: str | list[str], payloads: Path, clients: int, seconds: float
) -> dict[str, float]:
    """bench.load_client's figures for `clients` clients on one base URL or spread over several."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load_client",
            *([base] if isinstance(base, str) else base),
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


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
