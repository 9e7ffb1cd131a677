"""Run in a fresh process: load the model, optionally search a KB home; print RSS as JSON."""

from __future__ import annotations

import argparse
import json
import os
import resource
from pathlib import Path

from bench.config import MODES, K
from bench.corpus import queries
from bench.embedders import QueryEncoder, load_model
from kb.config import Settings
from kb.model import SearchQuery
from kb.search.searcher import Searcher

STATUS = Path("/proc/self/status")


def resident_megabytes() -> float:
    """The resident set size now (VmRSS of /proc/self/status), in megabytes."""
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
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
    figures: dict[str, float] = {"model_rss_mb": resident_megabytes(), "searches": 0}
    if arguments.home is not None:
        searcher = Searcher(Settings(home=arguments.home), QueryEncoder(model))
        for text in texts:
            for mode in MODES:
                searcher.search(SearchQuery(text, k=K, mode=mode))
        figures["search_rss_mb"] = resident_megabytes()
        figures["searches"] = len(texts) * len(MODES)
    # On Linux ru_maxrss is in kilobytes.
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
