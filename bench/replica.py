"""A streaming replica serving searches while the primary takes writes: what lag is seen.

Needs a primary and its streaming replica (`.ci/postgres start`, then `.ci/postgres
replica`): KB_BENCH_POSTGRES_URL and KB_BENCH_POSTGRES_REPLICA_URL, else the KB_TEST_ ones.
The sample KB is copied by `kb migrate` into a fresh schema of the primary; a searcher whose
`database_read_url` is the replica searches without pause in a thread while the main thread
resolves tickets through `Indexer.update` on the primary. The lag of one update is the time
from its return (its commit) to the replica's index version reaching it (polled every
millisecond, after one read of the primary's version);
pg_stat_replication's replay_lag is sampled beside it.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import replace
from typing import cast

import numpy as np
import sqlalchemy

from bench.config import K, log
from bench.context import Context
from bench.corpus import queries, real_documents
from bench.embedders import QueryEncoder
from bench.homes import documents_home
from bench.postgres import URL_VARIABLES, fresh_schema
from bench.report import Table
from kb.backends import Embedder
from kb.config import Settings
from kb.indexer.pg_database import dispose_engines
from kb.indexer.pipeline import Indexer
from kb.migration import migrate, target_settings
from kb.model import Document, SearchQuery
from kb.search.searcher import Searcher

REPLICA_VARIABLES = ("KB_BENCH_POSTGRES_REPLICA_URL", "KB_TEST_POSTGRES_REPLICA_URL")
UPDATES = 20
POLL_SECONDS = 0.001


def run(context: Context) -> Table:
    table = Table(
        "replica",
        "A streaming replica serving searches while the primary takes one-ticket updates",
        ["figure", "value", "unit"],
    )
    primary = next((os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), None)
    replica = next((os.environ[n] for n in REPLICA_VARIABLES if os.environ.get(n)), None)
    if primary is None or replica is None:
        table.notes.append(
            "skipped: no primary and replica (set one of "
            f"{' or '.join(URL_VARIABLES)} and one of {' or '.join(REPLICA_VARIABLES)})"
        )
        return table
    sample = documents_home("sample", real_documents(), context.cached_embedder)
    model = cast(Embedder, context.model)
    with fresh_schema(primary) as schema:
        target = target_settings(Settings(home=sample), schema)
        log("copying the sample KB into the primary (kb migrate)")
        migrate(Settings(home=sample), target)
        reading = replace(target, database_read_url=_same_schema(replica, schema))
        lags, replay_lags, searches, errors = _measure(reading, model, context)
        dispose_engines()
    table.rows += [
        ["updates", len(lags), ""],
        ["lag, update committed to seen on the replica, p50", statistics.median(lags), "ms"],
        ["lag p95", float(np.percentile(lags, 95)), "ms"],
        ["lag max", max(lags), "ms"],
        ["replay_lag (pg_stat_replication) max sampled", max(replay_lags, default=0.0), "ms"],
        ["searches on the replica meanwhile", len(searches), ""],
        ["their p50", statistics.median(searches) if searches else None, "ms"],
        ["their errors", errors, ""],
    ]
    table.notes.append(
        f"hybrid searches, k={K}, queries encoded afresh, one thread; updates: Indexer.update "
        "of one resolved ticket each (the real model embedding it), back to back"
    )
    return table


def _measure(
    settings: Settings, model: Embedder, context: Context
) -> tuple[list[float], list[float], list[float], int]:
    primary = sqlalchemy.create_engine(settings.database_url or "")
    standby = sqlalchemy.create_engine(settings.database_read_url or "")
    searcher = Searcher(settings, QueryEncoder(context.model))
    indexer = Indexer(settings, model)
    texts = queries(context.sizes.queries)
    stop = threading.Event()
    searches: list[float] = []
    errors = [0]

    def search() -> None:
        number = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                searcher.search(SearchQuery(texts[number % len(texts)], k=K, mode="hybrid"))
            except sqlalchemy.exc.SQLAlchemyError:
                errors[0] += 1
            else:
                searches.append((time.perf_counter() - started) * 1000.0)
            number += 1

    version = "SELECT version FROM index_state WHERE id = 1"
    lags: list[float] = []
    replay_lags: list[float] = []
    searching = threading.Thread(target=search)
    searching.start()
    try:
        log(f"{UPDATES} one-ticket updates on the primary, searches on the replica")
        for number in range(UPDATES):
            indexer.update([_ticket(number)])
            committed = time.perf_counter()
            with primary.connect() as connection:
                wanted = connection.execute(sqlalchemy.text(version)).scalar()
                replay = connection.execute(
                    sqlalchemy.text(
                        "SELECT extract(epoch FROM max(replay_lag)) FROM pg_stat_replication"
                    )
                ).scalar()
            replay_lags.append(float(replay or 0.0) * 1000.0)
            with standby.connect() as connection:
                while (connection.execute(sqlalchemy.text(version)).scalar() or 0) < wanted:
                    connection.rollback()
                    time.sleep(POLL_SECONDS)
            lags.append((time.perf_counter() - committed) * 1000.0)
    finally:
        stop.set()
        searching.join()
        searcher.close()
        primary.dispose()
        standby.dispose()
    return lags, replay_lags, searches, errors[0]


def _same_schema(replica: str, schema_url: str) -> str:
    """The replica's URL with the search path of `schema_url` (the schema the copy is in)."""
    options = sqlalchemy.make_url(schema_url).query.get("options", "")
    return sqlalchemy.make_url(replica).update_query_dict({"options": options}).render_as_string(
        hide_password=False
    )


def _ticket(number: int) -> Document:
    return Document(
        id=f"ticket-replica-{number}",
        kind="ticket",
        title=f"Badge reader {number} beeps red",
        body=f"The reader at door {number} rejects every badge; re-enrolled the badges.",
        metadata={"ticket_id": f"replica-{number}"},
    )
