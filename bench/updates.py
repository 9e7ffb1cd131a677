"""One-document updates: a resolved ticket through `Indexer.update` until a reader finds it.

Each size's cached synthetic home is copied twice. On one copy every update writes a whole
new generation (`index_segments` 0: what kb did before delta segments, and still what a merge
costs); on the other it is a delta segment beside the base (the default). A reader opened
before the updates, as a portal worker is, searches for each ticket right after its update:
"searchable" is the update plus that first search. Then both readers, holding the same
documents, answer the same hybrid queries in turns: what searching through the segments costs.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import cast

import numpy as np

from bench.config import K, log
from bench.context import Context
from bench.corpus import queries
from bench.embedders import QueryEncoder
from bench.report import Table
from bench.timing import rotated_times
from kb.backends import Embedder, open_generation_store
from kb.config import Settings
from kb.indexer.pipeline import Indexer
from kb.model import Document, SearchQuery
from kb.search.searcher import Searcher

# Whole generations cost tens of seconds at 100k chunks: a few are enough for a median.
WHOLE_UPDATES = 3
SEARCHABLE_TARGET_SECONDS = 0.3
COLUMNS = ["chunks", "figure", "whole generation", "delta segment", "ratio", "unit"]


def run(context: Context) -> Table:
    table = Table("updates", "One-document update (same KB, same run)", list(COLUMNS))
    segments = Settings().index_segments
    for size in context.sizes.latency_chunks:
        _measure(context, size, segments, table)
    table.notes += [
        f"update: Indexer.update of one resolved ticket with the real model, median of "
        f"{WHOLE_UPDATES} (whole generation, index_segments 0) and of {segments} (delta "
        f"segments, the default index_segments {segments}: the next one merges, at the "
        "whole generation's cost)",
        "searchable: the update, then the first search of a reader opened before it (it "
        f"switches to the new generation) finding the ticket; target {SEARCHABLE_TARGET_SECONDS}"
        " s at 100k chunks",
        f"hybrid p50: k={K}, both readers holding the same documents after the updates, "
        "taking turns query by query",
        "1,000,000 chunks: not measured here (no cached home of that size); the update's "
        "work does not depend on the KB's size, see the growth from 10k to 100k",
    ]
    return table


def _measure(context: Context, size: int, segments: int, table: Table) -> None:
    home = context.synthetic_home(size)
    model = cast(Embedder, context.model)
    texts = queries(context.sizes.queries)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as folder:
        variants = []
        for name, limit, updates in (("whole", 0, WHOLE_UPDATES), ("delta", segments, segments)):
            settings = Settings(home=Path(folder) / name, index_segments=limit)
            log(f"copying the {size}-chunk KB for {name} updates")
            shutil.copytree(home, settings.home)
            searcher = Searcher(settings, QueryEncoder(context.model))
            for text in texts[: context.sizes.warmup_queries]:
                searcher.search(SearchQuery(text, k=K, mode="hybrid"))
            log(f"timing {updates} single-ticket updates ({name}), {size} chunks")
            variants.append((searcher, _updates(Indexer(settings, model), searcher, updates)))
        # The whole-generation reader holds fewer tickets: bring it level before comparing.
        whole = Indexer(Settings(home=Path(folder) / "whole", index_segments=0), model)
        whole.update([_ticket(number) for number in range(WHOLE_UPDATES, segments)])
        log(f"timing {len(texts)} hybrid searches on both readers, {size} chunks")
        times = rotated_times(
            texts,
            [
                lambda text, searcher=searcher: searcher.search(
                    SearchQuery(text, k=K, mode="hybrid")
                )
                for searcher, _ in variants
            ],
        )
        store = open_generation_store(Settings(home=Path(folder) / "delta"))
        chunks = int(store.metadata(store.current() or "").get("chunks", 0))
        for searcher, _ in variants:
            searcher.close()
    (whole_update, whole_searchable), (delta_update, delta_searchable) = (
        timings for _, timings in variants
    )
    whole_p50, delta_p50 = (float(np.percentile(series, 50)) for series in times)
    table.rows += [
        [
            chunks,
            "one resolved ticket: Indexer.update",
            whole_update,
            delta_update,
            whole_update / delta_update,
            "s",
        ],
        [
            chunks,
            "  searchable (update + a reader's first search)",
            whole_searchable,
            delta_searchable,
            whole_searchable / delta_searchable,
            "s",
        ],
        [
            chunks,
            "hybrid search p50 after the updates",
            whole_p50,
            delta_p50,
            whole_p50 / delta_p50,
            "ms",
        ],
    ]


def _updates(indexer: Indexer, searcher: Searcher, count: int) -> tuple[float, float]:
    """Medians of the update's seconds and of the seconds until the reader finds the ticket."""
    updates, searchable = [], []
    for number in range(count):
        ticket = _ticket(number)
        started = time.perf_counter()
        indexer.update([ticket])
        updated = time.perf_counter()
        hits = searcher.search(SearchQuery(ticket.title, k=K, mode="hybrid")).hits
        found = time.perf_counter()
        if ticket.id not in {hit.id for hit in hits}:
            raise RuntimeError(f"the reader did not find {ticket.id} after its update")
        updates.append(updated - started)
        searchable.append(found - started)
    return statistics.median(updates), statistics.median(searchable)


def _ticket(number: int) -> Document:
    return Document(
        id=f"ticket:bench-{number}",
        kind="ticket",
        title=f"Docking station model D{number}7 drops the second monitor",
        body="After the firmware update the dock loses the second screen; reseated the "
        f"cable and updated the D{number}7 driver (case {number}).",
        metadata={"ticket_id": f"bench-{number}"},
    )
