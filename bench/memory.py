"""Memory: peak RSS of a fresh process that loads the largest KB home and searches it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from bench.config import REPOSITORY, log, searched_sizes
from bench.context import Context
from bench.report import Table


def run(context: Context) -> Table:
    size = searched_sizes(context.sizes)[-1]
    home = context.synthetic_home(size)
    log("measuring memory of a fresh process that only loads the model")
    alone = _probe([])
    log(f"measuring memory of a fresh process searching {size} chunks")
    searching = _probe([str(home), "--queries", str(context.sizes.queries)])
    table = Table("memory", f"Memory ({size:,}-chunk KB, fresh processes)", ["figure", "MB"])
    table.rows += [
        ["peak RSS: model, KB and searches (VmHWM)", searching["peak_mb"]],
        ["peak RSS: model only (VmHWM)", alone["peak_mb"]],
        ["peak difference", searching["peak_mb"] - alone["peak_mb"]],
        ["RSS with the model loaded", searching["model_rss_mb"]],
        ["RSS after opening the KB and searching", searching["search_rss_mb"]],
        ["RSS difference: the KB's share", searching["search_rss_mb"] - searching["model_rss_mb"]],
    ]
    table.notes.append(f"{int(searching['searches'])} searches across all three modes")
    return table


def _probe(arguments: Sequence[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.memory_probe", *arguments],
        cwd=REPOSITORY,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{completed.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures
