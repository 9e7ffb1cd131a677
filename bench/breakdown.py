"""Where a search's time goes: kb's two rankers alone, each beside its bare counterpart."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.floor import Floor
from bench.report import Cell
from bench.timing import times
from kb.backends import open_generation_store
from kb.config import Settings

COLUMNS = ["chunks", "encode query", "kb keyword index", "bm25s", "kb vector index"]
COLUMNS += ["bare FAISS", "rest of kb hybrid", "rest of kb hybrid, CPU"]


def breakdown_row(
    home: Path,
    settings: Settings,
    floor: Floor,
    texts: Sequence[str],
    hybrid_p50: float,
    hybrid_cpu_p50: float,
) -> list[Cell]:
    """p50 milliseconds of each component, fetching kb's candidate depth from every ranker.

    The last column is kb's hybrid p50 minus encoding and its two rankers: catalog lookups,
    fusion, deflection and snippets (approximate, since medians do not add up exactly); the
    one after it the same in CPU time, from kb's hybrid CPU p50 and its parts' CPU medians.
    """
    store = open_generation_store(replace(settings, home=home))
    current = store.current()
    if current is None:
        raise RuntimeError(f"{home} has no current generation")
    generation = store.open(current, floor.dimension)
    keyword, vectors = generation.keyword, generation.vectors
    depth = settings.candidates
    encoded = {text: floor.encode(text) for text in texts}
    calls = (
        floor.encode,
        lambda text: keyword.search(text, depth),
        lambda text: vectors.search(encoded[text][0], depth),
    )
    try:
        cpu = [float(np.median(times(texts, call, time.thread_time))) for call in calls]
        medians = [
            float(np.median(times(texts, floor.encode))),
            float(np.median(times(texts, lambda text: keyword.search(text, depth)))),
            float(np.median(times(texts, lambda text: floor.keyword(text, depth)))),
            float(np.median(times(texts, lambda text: vectors.search(encoded[text][0], depth)))),
            float(np.median(times(texts, lambda text: floor.nearest(encoded[text], depth)))),
        ]
    finally:
        generation.close()
    rest = hybrid_p50 - medians[0] - medians[1] - medians[3]
    return [*medians, rest, hybrid_cpu_p50 - sum(cpu)]
