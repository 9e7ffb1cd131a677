"""Run in a fresh process: load the model, optionally search a KB home; print RSS as JSON."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench.config import MODES, K
from bench.corpus import queries
from bench.embedders import QueryEncoder, load_model
from kb.config import Settings
from kb.model import SearchQuery
from kb.search.searcher import Searcher

STATUS = Path("/proc/self/status")


def status_megabytes(field: str) -> float:
    """A memory line of /proc/self/status in megabytes: VmRSS now, VmHWM the peak."""
    for line in STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("home", type=Path, nargs="?", help="KB home; omitted: the model only.")
    parser.add_argument("--queries", type=int, default=200)
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = queries(arguments.queries)
    model = load_model()
    figures: dict[str, float] = {"model_rss_mb": status_megabytes("VmRSS"), "searches": 0}
    if arguments.home is not None:
        searcher = Searcher(Settings(home=arguments.home), QueryEncoder(model))
        for text in texts:
            for mode in MODES:
                searcher.search(SearchQuery(text, k=K, mode=mode))
        figures["search_rss_mb"] = status_megabytes("VmRSS")
        figures["searches"] = len(texts) * len(MODES)
    # Not ru_maxrss: across fork and exec Linux carries the parent's peak into it, so a
    # probe started by a big bench process would report the bench's memory. VmHWM belongs
    # to this process's own address space.
    figures["peak_mb"] = status_megabytes("VmHWM")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
