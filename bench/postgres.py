"""PostgreSQL against embedded: search latency and a one-document update, same KB, same run.

The embedded KB is the latency benchmark's cached synthetic home; `kb migrate` copies it
(vectors as they are) into fresh schemas of the server in KB_BENCH_POSTGRES_URL, or of the
test server (KB_TEST_POSTGRES_URL), once per PostgreSQL keyword backend. All then answer the
same queries, taking turns, and take the same resolved tickets through `Indexer.update`:
embedded, each update copies the generation's files; on PostgreSQL it is one transaction on
the current generation's tables.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import cast
from urllib.parse import quote

import numpy as np
import sqlalchemy

from bench.config import K, log
from bench.context import Context
from bench.corpus import queries
from bench.embedders import QueryEncoder
from bench.report import Table
from bench.timing import rotated_times
from kb.backends import Embedder
from kb.config import Settings
from kb.indexer.pg_database import dispose_engines
from kb.indexer.pipeline import Indexer
from kb.migration import migrate, target_settings
from kb.model import Document, SearchQuery
from kb.search.searcher import Searcher

URL_VARIABLES = ("KB_BENCH_POSTGRES_URL", "KB_TEST_POSTGRES_URL")
UPDATES = 5
# The two keyword rankings on PostgreSQL: BM25F in SQL (the default) and its own full text.
KEYWORD_BACKENDS = ("postgresql-bm25", "postgresql-fulltext")
COLUMNS = ["chunks", "figure", "embedded", *KEYWORD_BACKENDS, "unit"]


def run(context: Context) -> Table:
    table = Table("postgres", "PostgreSQL against embedded (same KB, same run)", list(COLUMNS))
    url = next((os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), None)
    if url is None:
        table.notes.append(f"skipped: no PostgreSQL ({' or '.join(URL_VARIABLES)} unset)")
        return table
    texts = queries(context.sizes.queries)
    for size in context.sizes.latency_chunks:
        _measure(context, size, url, texts, table)
    table.notes += [
        f"search: hybrid, k={K}, every query encoded afresh by the real model, the backends "
        "taking turns query by query; PostgreSQL on loopback, pgvector HNSW (m=16, "
        "ef_construction=64, ef_search=128); the PostgreSQL columns differ only in the "
        "keyword backend",
        f"update: Indexer.update of one resolved ticket, median of {UPDATES} (each a "
        "different ticket), the real model embedding it",
        "copy: kb migrate of the embedded home into an empty schema, nothing embedded again",
    ]
    return table


def _measure(context: Context, size: int, url: str, texts: list[str], table: Table) -> None:
    home = context.synthetic_home(size)
    model = cast(Embedder, context.model)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kb-bench-")))
        embedded = Settings(home=folder / "embedded")
        shutil.copytree(home, embedded.home)
        everywhere = [embedded]
        copy_seconds: list[float | None] = [None]
        chunks = 0
        for backend in KEYWORD_BACKENDS:
            schema = stack.enter_context(fresh_schema(url))
            target = target_settings(replace(embedded, home=folder / backend), schema)
            target = replace(target, keyword_backend=backend)
            log(f"copying the {size}-chunk KB into PostgreSQL, keyword {backend} (kb migrate)")
            started = time.perf_counter()
            copied = migrate(embedded, target)
            copy_seconds.append(time.perf_counter() - started)
            chunks = copied.index.chunks if copied.index else 0
            everywhere.append(target)

        log(f"timing {len(texts)} hybrid searches on each backend, {size} chunks")
        searchers = [Searcher(s, QueryEncoder(context.model)) for s in everywhere]
        for text in texts[: context.sizes.warmup_queries]:
            for searcher in searchers:
                searcher.search(SearchQuery(text, k=K, mode="hybrid"))
        times = rotated_times(texts, [_hybrid(searcher) for searcher in searchers])
        for searcher in searchers:
            searcher.close()
        log(f"timing {UPDATES} single-ticket updates on each backend, {size} chunks")
        updates = [_update_seconds(Indexer(settings, model)) for settings in everywhere]
        dispose_engines()
    percentiles = [np.percentile(series, [50, 95]) for series in times]
    table.rows += [
        [chunks, "hybrid search p50", *(p[0] for p in percentiles), "ms"],
        [chunks, "hybrid search p95", *(p[1] for p in percentiles), "ms"],
        [chunks, "one resolved ticket (Indexer.update)", *updates, "s"],
        [chunks, "kb migrate into PostgreSQL", *copy_seconds, "s"],
    ]


def _hybrid(searcher: Searcher) -> Callable[[str], object]:
    return lambda text: searcher.search(SearchQuery(text, k=K, mode="hybrid"))


def _update_seconds(indexer: Indexer) -> float:
    """The median wall time of UPDATES single-ticket updates."""
    seconds = []
    for number in range(UPDATES):
        ticket = Document(
            id=f"ticket-bench-{number}",
            kind="ticket",
            title=f"Docking station {number} drops the second monitor",
            body="After the firmware update the dock loses the second screen; "
            f"reseated the cable and updated the driver (case {number}).",
            metadata={"ticket_id": f"bench-{number}"},
        )
        started = time.perf_counter()
        indexer.update([ticket])
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A URL working in a new schema of `url`'s database (extensions stay in public)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema},public')}"
    finally:
        dispose_engines()
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
