"""`python -m bench [--quick] [--only NAME ...] [--json FILE]`: run and print the benchmarks."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Set before sentence-transformers is imported anywhere: kb never downloads a model.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench import cold_start, indexing, latency, memory  # noqa: E402
from bench.config import FULL, QUICK, cache_dir, log  # noqa: E402
from bench.context import Context  # noqa: E402
from bench.report import Table, render, write_json  # noqa: E402

PARTS: dict[str, Callable[[Context], Table]] = {
    "indexing": indexing.run,
    "latency": latency.run,
    "memory": memory.run,
    "cold_start": cold_start.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmark kb.")
    parser.add_argument("--quick", action="store_true", help="Small sizes, for a smoke check.")
    parser.add_argument(
        "--only", nargs="+", action="extend", choices=list(PARTS), metavar="NAME",
        help=f"Run only these parts: {', '.join(PARTS)}.",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="Also write results as JSON.")
    arguments = parser.parse_args(argv)
    sizes = QUICK if arguments.quick else FULL
    names = [name for name in PARTS if not arguments.only or name in arguments.only]
    context = Context(sizes)
    environment = _environment(arguments.quick)
    print(_header(environment), flush=True)
    tables: list[Table] = []
    for name in names:
        started = time.perf_counter()
        log(f"running {name}")
        table = PARTS[name](context)
        log(f"{name} took {time.perf_counter() - started:.0f} s")
        tables.append(table)
        print("\n" + render(table), flush=True)
    environment["load_average_after"] = os.getloadavg()
    print(f"\nload average at the end: {_load(environment['load_average_after'])}")
    if arguments.json:
        write_json(arguments.json, tables, environment)
        log(f"wrote {arguments.json}")
    return 0


def _environment(quick: bool) -> dict[str, Any]:
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "cache": str(cache_dir()),
    }


def _header(environment: dict[str, Any]) -> str:
    size = "quick" if environment["quick"] else "full"
    return (
        f"kb benchmarks ({size}) {environment['started']}: Python {environment['python']}, "
        f"{environment['cpus']} CPUs, load average {_load(environment['load_average_before'])}\n"
        f"cache: {environment['cache']}"
    )


def _load(average: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in average)


if __name__ == "__main__":
    sys.exit(main())
