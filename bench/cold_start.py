"""Cold start: `kb search` and `kb --help` as fresh processes, wall time."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.config import log
from bench.context import Context
from bench.corpus import real_documents
from bench.homes import documents_home
from bench.report import Table


def run(context: Context) -> Table:
    home = documents_home("sample", real_documents(), context.cached_embedder)
    kb = str(Path(sys.executable).parent / "kb")
    commands = [
        [kb, "search", "vpn", "--home", str(home)],
        [kb, "--help"],
    ]
    table = Table(
        "cold_start",
        f"Cold start (fresh process, median of {context.sizes.cold_start_runs})",
        ["command", "median s", "runs s"],
    )
    for command in commands:
        runs = [_wall_time(command) for _ in range(context.sizes.cold_start_runs)]
        shown = " ".join(command[1:]).replace(str(home), "<sample home>")
        table.rows.append([f"kb {shown}", statistics.median(runs), _list(runs)])
    table.notes.append("the sample home indexes the repository's articles/ and tickets/")
    return table


def _wall_time(command: Sequence[str]) -> float:
    # No KB_* variables and an empty working folder, so no kb.toml changes what runs.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KB_")}
    environment["HF_HUB_OFFLINE"] = "1"
    log(f"running {' '.join(command[:2])} ...")
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as folder:
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=folder, env=environment, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-2000:]}")
    return seconds


def _list(values: Sequence[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)
