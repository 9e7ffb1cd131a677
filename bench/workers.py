"""kb serve's worker against gunicorn's sync worker: /api/v1/suggest at 20 clients, in turns.

`python -m bench.workers [--rounds 5] [--seconds 10] [--clients 20]` starts both servers on
the sample KB, two workers each, the same app (kb.web.server.build_worker_app), each with
its own scratch SQLite database, and loads them in turn (kb, sync, kb, sync ...), so that
both meet the same shared machine; it prints each round and the medians of the ratios
kb / sync. Issue 10 asks kb's p95 to stay within 1.10x of the sync worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.config import log
from bench.portal import free_port, run_load_client, suggest_payloads, wait_until_up
from bench.report import Table, render

WORKERS = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="Load runs of each server.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each run.")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--home", type=Path, help="KB home (default: the bench's sample KB).")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="KB",
        help="Also load the `kb` executable of another checkout (e.g. /work/main/.venv/bin/kb).",
    )
    parser.add_argument("--serve-sync", type=int, metavar="PORT", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if arguments.serve_sync:
        _serve_sync(arguments.serve_sync)
        return 0
    home = arguments.home or _sample_home()
    kinds = {"kb": Path(sys.executable).parent / "kb", "sync": None}
    if arguments.before:
        kinds = {"kb": kinds["kb"], "before": arguments.before, "sync": None}
    print(render(compare(home, kinds, arguments.rounds, arguments.seconds, arguments.clients)))
    return 0


def compare(
    home: Path, kinds: dict[str, Path | None], rounds: int, seconds: float, clients: int
) -> Table:
    """The servers up at once (a `kb` executable each, None for gunicorn's sync worker),
    loaded in turn; one row per server and round, and the medians of the ratios to sync."""
    table = Table(
        "workers",
        f"POST /api/v1/suggest, {clients} clients, {WORKERS} workers: kb serve's worker "
        "against gunicorn's sync worker, in turns",
        ["round", "server", "requests", "errors", "req/s", "p50 ms", "p95 ms"],
    )
    ratios: dict[str, dict[str, list[float]]] = {
        name: {"req/s": [], "p50": [], "p95": []} for name in kinds if name != "sync"
    }
    with tempfile.TemporaryDirectory(prefix="kb-bench-workers-") as scratch:
        payloads = Path(scratch) / "payloads.json"
        payloads.write_text(json.dumps(suggest_payloads()), "utf-8")
        servers = {name: _start(home, scratch, name, kb) for name, kb in kinds.items()}
        try:
            for base, process in servers.values():
                wait_until_up(base, process)
                run_load_client(base, payloads, clients=4, seconds=3.0)
            load = f"{os.getloadavg()[0]:.1f}"
            for number in range(1, rounds + 1):
                figures = {}
                for name, (base, _) in servers.items():
                    log(f"round {number}: loading {name} for {seconds} s")
                    row = run_load_client(base, payloads, clients=clients, seconds=seconds)
                    figures[name] = row
                    table.rows.append(
                        [number, name, row["requests"], row["errors"], row["requests_per_second"]]
                        + [row["p50_ms"], row["p95_ms"]]
                    )
                sync = figures["sync"]
                for name, kept in ratios.items():
                    kept["req/s"].append(
                        figures[name]["requests_per_second"] / sync["requests_per_second"]
                    )
                    kept["p50"].append(figures[name]["p50_ms"] / sync["p50_ms"])
                    kept["p95"].append(figures[name]["p95_ms"] / sync["p95_ms"])
        finally:
            for _, process in servers.values():
                process.send_signal(signal.SIGTERM)
            for _, process in servers.values():
                process.wait(60)
    for name, kept in ratios.items():
        summary = ", ".join(
            f"{figure} {statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"
            for figure, values in kept.items()
        )
        table.notes.append(f"{name} / sync, median (range) over {rounds} rounds: {summary}")
    for name in kinds:
        p95 = [float(row[6] or 0) for row in table.rows if row[1] == name]
        table.notes.append(f"{name}: median p95 {statistics.median(p95):.1f} ms")
    table.notes.append(f"load average {load} at the start, {os.getloadavg()[0]:.1f} at the end")
    table.notes.append("target (issue 10): p95 ratio at most 1.10; (issue 15) kb p95 ≤ 60 ms")
    return table


def _sample_home() -> Path:
    from bench.config import QUICK
    from bench.context import Context
    from bench.corpus import real_documents
    from bench.homes import documents_home

    return documents_home("sample", real_documents(), Context(QUICK).cached_embedder)


def _start(
    home: Path, scratch: str, name: str, kb: Path | None
) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
    environment.update(
        HF_HUB_OFFLINE="1",
        KB_HOME=str(home),
        KB_DATABASE_URL=f"sqlite:///{scratch}/{name}.sqlite3",
    )
    if kb is None:
        command = [sys.executable, "-m", "bench.workers", "--serve-sync", str(port)]
    else:
        command = [str(kb), "serve", "--port", str(port), "--workers", str(WORKERS)]
    process = subprocess.Popen(
        command,
        env=environment,
        # The bench's own checkout for the sync server; a scratch folder for `kb`, whose
        # installation decides which checkout it runs.
        cwd=Path(__file__).resolve().parent.parent if kb is None else scratch,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"http://127.0.0.1:{port}", process


def _serve_sync(port: int) -> None:
    """The same app as kb serve on gunicorn's sync worker (kb serve before issue 10)."""
    from kb.config import load_settings
    from kb.services import build_services
    from kb.web.server import PortalServer

    settings = load_settings({})
    starting = build_services(settings)
    try:
        starting.upgrade_database()
    finally:
        starting.close()
    PortalServer(
        settings,
        {
            "bind": f"127.0.0.1:{port}",
            "workers": WORKERS,
            "worker_class": "sync",
            "timeout": 120,
            "accesslog": "-",
            "errorlog": "-",
        },
    ).run()


if __name__ == "__main__":
    sys.exit(main())
