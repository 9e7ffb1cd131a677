"""Run in a fresh process: load the model and a KB home, search, print RSS figures as JSON."""

from __future__ import annotations

import argparse
import json
import os
import resource
from pathlib import Path

from kb.config import Settings
from kb.model import SearchQuery
from kb.search.searcher import Searcher

from bench.config import K, MODES
from bench.corpus import queries
from bench.embedders import QueryEncoder, load_model


def resident_megabytes() -> float:
    """The current resident set size, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("home", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = queries(arguments.queries)
    model = load_model()
    after_model = resident_megabytes()
    searcher = Searcher(Settings(home=arguments.home), QueryEncoder(model))
    for text in texts:
        for mode in MODES:
            searcher.search(SearchQuery(text, k=K, mode=mode))
    # On Linux ru_maxrss is in kilobytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    figures = {
        "after_model_mb": after_model,
        "after_queries_mb": resident_megabytes(),
        "peak_mb": peak,
        "searches": len(texts) * len(MODES),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
