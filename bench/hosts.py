"""Several `kb serve` hosts on one PostgreSQL under 20 concurrent suggest clients.

The sample KB is copied by `kb migrate` into a fresh schema of the server in
KB_BENCH_POSTGRES_URL (else KB_TEST_POSTGRES_URL); each host then starts from its own empty
home (only the model's ONNX export is linked in, a cache each host would otherwise make on its
first start) and the load client spreads its clients over the hosts, as a load balancer would.
The embedded sample KB served by one host is the baseline, in the same run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.config import cache_dir, log
from bench.context import Context
from bench.corpus import real_documents
from bench.homes import documents_home
from bench.portal import (
    CLIENTS,
    SECONDS,
    free_port,
    run_load_client,
    suggest_payloads,
    wait_until_up,
)
from bench.postgres import URL_VARIABLES, fresh_schema
from bench.report import Table
from kb.config import Settings
from kb.indexer.pg_database import dispose_engines
from kb.migration import migrate, target_settings

# (label, hosts, workers per host, on PostgreSQL)
LAYOUTS = (
    ("embedded, 1 host", 1, 2, False),
    ("PostgreSQL, 1 host", 1, 2, True),
    ("PostgreSQL, 2 hosts", 2, 1, True),
    ("PostgreSQL, 2 hosts", 2, 2, True),
)


def run(context: Context) -> list[Table]:
    table = Table(
        "hosts",
        f"POST /api/v1/suggest, {CLIENTS} concurrent clients spread over the hosts, sample KB",
        ["layout", "workers each", "requests", "errors", "req/s", "p50 ms", "p95 ms"],
    )
    url = next((os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), None)
    if url is None:
        table.notes.append(f"skipped: no PostgreSQL ({' or '.join(URL_VARIABLES)} unset)")
        return [table]
    quick = context.sizes.latency_chunks[0] < 10_000
    seconds = SECONDS["quick" if quick else "full"]
    sample = documents_home("sample", real_documents(), context.cached_embedder)
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kb-bench-hosts-")))
        payloads = scratch / "payloads.json"
        payloads.write_text(json.dumps(suggest_payloads()), "utf-8")
        schema = stack.enter_context(fresh_schema(url))
        target = target_settings(Settings(home=sample), schema)
        log("copying the sample KB into PostgreSQL (kb migrate)")
        migrate(Settings(home=sample), target)
        dispose_engines()
        shared = {
            "KB_DATABASE_URL": schema,
            "KB_INDEX_STORE": target.index_store,
            "KB_KEYWORD_BACKEND": target.keyword_backend,
            "KB_VECTOR_BACKEND": target.vector_backend,
        }
        embedded = {"KB_HOME": str(sample), "KB_DATABASE_URL": f"sqlite:///{scratch}/e.sqlite3"}
        for label, hosts, workers, on_postgres in LAYOUTS:
            log(f"{label}, {workers} worker(s) each: {CLIENTS} clients for {seconds:g} s")
            homes = [scratch / f"host-{len(table.rows)}-{number}" for number in range(hosts)]
            with _hosts(homes, workers, shared if on_postgres else embedded) as bases:
                # Warm every worker of every host before timing.
                run_load_client(bases, payloads, clients=4 * hosts, seconds=3.0)
                figures = run_load_client(bases, payloads, clients=CLIENTS, seconds=seconds)
            table.rows.append(
                [
                    label,
                    workers,
                    figures["requests"],
                    figures["errors"],
                    figures["requests_per_second"],
                    figures["p50_ms"],
                    figures["p95_ms"],
                ]
            )
    table.notes += [
        "hosts are kb serve processes on this machine (127.0.0.1), each with its own empty "
        "home; on PostgreSQL the store, the events and the index are all in one schema",
        "each request is a sample ticket's subject and description with a reference number "
        "appended, so every text is new and encoded, and records a suggestions_shown event",
    ]
    return [table]


@contextmanager
def _hosts(homes: list[Path], workers: int, settings: dict[str, str]) -> Iterator[list[str]]:
    """`kb serve` on each home with `settings`; yields their base URLs, stops them after."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
    environment.update(HF_HUB_OFFLINE="1", **settings)
    export = cache_dir() / "model" / "models"
    kb = str(Path(sys.executable).parent / "kb")
    servers: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for home in homes:
            if "KB_HOME" not in settings:
                home.mkdir()
                (home / "models").symlink_to(export, target_is_directory=True)
            port = free_port()
            server = subprocess.Popen(
                [kb, "serve", "--port", str(port), "--workers", str(workers)],
                env={"KB_HOME": str(home), **environment},
                cwd=home.parent,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append(server)
            bases.append(f"http://127.0.0.1:{port}")
            wait_until_up(bases[-1], server)
        yield bases
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(60)
