"""`python -m bench [--quick] [--only NAME ...] [--json FILE]`: run and print the benchmarks."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PARTS = (
    "indexing",
    "updates",
    "latency",
    "memory",
    "cold_start",
    "portal",
    "events",
    "postgres",
    "hosts",
    "replica",
)


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    # Set before kb, torch or FAISS is imported: kb never downloads a model, and OpenMP
    # reads its thread count once, when the library loads (subprocesses inherit both).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if arguments.threads:
        os.environ["OMP_NUM_THREADS"] = str(arguments.threads)

    from bench import (
        cold_start,
        events,
        hosts,
        indexing,
        latency,
        memory,
        portal,
        postgres,
        replica,
        updates,
    )
    from bench.config import FULL, QUICK, log
    from bench.context import Context
    from bench.report import Table, render, write_json

    runners: dict[str, Callable[[Context], Table | list[Table]]] = {
        "indexing": indexing.run,
        "updates": updates.run,
        "latency": latency.run,
        "memory": memory.run,
        "cold_start": cold_start.run,
        "portal": portal.run,
        "events": events.run,
        "postgres": postgres.run,
        "hosts": hosts.run,
        "replica": replica.run,
    }
    sizes = QUICK if arguments.quick else FULL
    if arguments.sizes:
        sizes = replace(sizes, latency_chunks=tuple(sorted(arguments.sizes)), scale_chunks=())
    context = Context(sizes)
    environment = _environment(arguments.quick)
    print(_header(environment), flush=True)
    tables: list[Table] = []
    for name in PARTS:
        if arguments.only and name not in arguments.only:
            continue
        started = time.perf_counter()
        log(f"running {name}")
        result = runners[name](context)
        produced = result if isinstance(result, list) else [result]
        log(f"{name} took {time.perf_counter() - started:.0f} s")
        for table in produced:
            print("\n" + render(table), flush=True)
        tables.extend(produced)
    environment["load_average_after"] = os.getloadavg()
    print(f"\nload average at the end: {_load(environment['load_average_after'])}")
    if arguments.json:
        write_json(arguments.json, tables, environment)
        log(f"wrote {arguments.json}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark kb.")
    parser.add_argument("--quick", action="store_true", help="Small sizes, for a smoke check.")
    parser.add_argument(
        "--only",
        nargs="+",
        action="extend",
        choices=PARTS,
        metavar="NAME",
        help=f"Run only these parts: {', '.join(PARTS)}.",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="Also write results as JSON.")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        metavar="CHUNKS",
        help="KB sizes to measure instead of the run's own (e.g. --only latency --sizes "
        "1000000); the parts that run at every size use them too.",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="OpenMP threads for the model and FAISS (default: the libraries' own choice).",
    )
    return parser


def _environment(quick: bool) -> dict[str, Any]:
    from bench.config import cache_dir

    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "omp_threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "load_average_before": os.getloadavg(),
        "cache": str(cache_dir()),
    }


def _header(environment: dict[str, Any]) -> str:
    size = "quick" if environment["quick"] else "full"
    lines = [
        f"kb benchmarks ({size}) {environment['started']}: Python {environment['python']}, "
        f"{environment['cpus']} CPUs, OpenMP threads {environment['omp_threads']}, "
        f"load average {_load(environment['load_average_before'])}",
        f"cache: {environment['cache']}",
    ]
    if environment["load_average_before"][0] > (environment["cpus"] or 1):
        lines.append("the machine is busy: absolute times are inflated, compare the ratios")
    return "\n".join(lines)


def _load(average: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in average)


if __name__ == "__main__":
    sys.exit(main())
