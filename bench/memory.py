"""Memory: peak RSS of a fresh process that loads the largest KB home and searches it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.config import REPOSITORY, log
from bench.context import Context
from bench.report import Table


def run(context: Context) -> Table:
    size = context.sizes.latency_chunks[-1]
    home = context.synthetic_home(size)
    log(f"measuring memory of a fresh process searching {size} chunks")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.memory_probe", str(home), "--queries", str(context.sizes.queries)],
        cwd=REPOSITORY,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{completed.stderr[-2000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    table = Table("memory", f"Memory ({size:,}-chunk KB, separate process)", ["figure", "MB"])
    table.rows += [
        ["RSS after loading the model", figures["after_model_mb"]],
        ["RSS after all searches", figures["after_queries_mb"]],
        ["peak RSS (ru_maxrss)", figures["peak_mb"]],
        ["peak minus model: the KB's share", figures["peak_mb"] - figures["after_model_mb"]],
    ]
    table.notes.append(f"{figures['searches']} searches across all three modes")
    return table
