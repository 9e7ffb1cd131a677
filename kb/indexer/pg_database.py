"""The index on PostgreSQL: engines for writes and searches, and one generation's tables.

A generation is a set of tables named after it (as a file generation is a folder): its
documents, chunks, keyword postings and vectors. Writers work inside one transaction on the
primary (`database_url`); searches read through `database_read_url` when it is set, such as
a streaming replica, else through the primary.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy

from kb.config import Settings
from kb.errors import ConfigError
from kb.store.database import create_engine_for

# Generation names become parts of table names, so they are made by kb and checked here.
GENERATION_NAME = re.compile(r"g[0-9]{8}t[0-9]{12}[a-z0-9]{0,8}")
# HNSW's candidate list per search (hnsw.ef_search), above kb's usual 50 candidates.
HNSW_SEARCH_DEPTH = 128

_engines: dict[str, sqlalchemy.Engine] = {}
_engines_lock = threading.Lock()
_fork_hook: list[bool] = []


def shared_engine(url: str) -> sqlalchemy.Engine:
    """One engine (one connection pool) per URL in a process, shared by its stores."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if not _engines and not _fork_hook:
                # A forked process (kb serve's workers) must not use its parent's pooled
                # connections: both would talk over one socket. The child opens its own.
                os.register_at_fork(after_in_child=_forget_inherited_connections)
                _fork_hook.append(True)
            engine = _engines[url] = create_engine_for(url)
            sqlalchemy.event.listen(engine, "connect", _configure_search)
        return engine


def _forget_inherited_connections() -> None:
    for engine in _engines.values():
        engine.dispose(close=False)


def _configure_search(connection: Any, record: Any) -> None:
    """pgvector's search settings, once per connection instead of once per search.

    ef_search is the HNSW candidate list (pgvector's default is 40); with iterative scans a
    search asking for more rows than that goes on through the graph instead of stopping short,
    in relaxed order (the rows are sorted again by distance). Before pgvector is loaded in
    the connection these are placeholders, which it adopts when it loads.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SET hnsw.ef_search = {HNSW_SEARCH_DEPTH}")
        cursor.execute("SET hnsw.iterative_scan = relaxed_order")
    connection.commit()


@dataclass(frozen=True)
class RankingQuery:
    """One ranker's search as a SELECT of (chunk_id, score, position), best first.

    Parameter names carry the ranker's prefix (`keyword_`, `semantic_`), so the Retriever
    can run both as parts of one statement.
    """

    sql: str
    parameters: dict[str, Any]


def dispose_engines() -> None:
    """Close every pooled connection, e.g. in a process about to fork workers."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def postgres_urls(settings: Settings) -> tuple[str, str]:
    """(primary, for searches): the URLs the PostgreSQL index store connects to."""
    url = settings.database_url
    if url is None or sqlalchemy.make_url(url).get_backend_name() != "postgresql":
        raise ConfigError(
            "setting `index_store` is `postgresql`, so `database_url` must name the "
            "PostgreSQL database that holds the KB, e.g. postgresql+psycopg://kb@db/kb"
        )
    read_url = settings.database_read_url or url
    if sqlalchemy.make_url(read_url).get_backend_name() != "postgresql":
        raise ConfigError(
            "setting `database_read_url` must name a PostgreSQL server (a replica of "
            "`database_url`), e.g. postgresql+psycopg://kb@replica/kb"
        )
    return url, read_url


def create_totals_table(connection: sqlalchemy.Connection, tables: GenerationTables) -> None:
    connection.execute(
        sqlalchemy.text(
            f"CREATE TABLE IF NOT EXISTS {tables.totals} (part text PRIMARY KEY, "
            "count bigint NOT NULL, body bigint NOT NULL, title bigint NOT NULL, "
            "tags bigint NOT NULL)"
        )
    )


@dataclass(frozen=True)
class GenerationTables:
    """The table names of one generation."""

    generation: str

    def __post_init__(self) -> None:
        if not GENERATION_NAME.fullmatch(self.generation):
            raise ValueError(f"{self.generation!r} is not a generation name kb made")

    def name(self, part: str) -> str:
        return f"kb_{self.generation}_{part}"

    @property
    def documents(self) -> str:
        return self.name("documents")

    @property
    def chunks(self) -> str:
        return self.name("chunks")

    @property
    def postings(self) -> str:
        return self.name("postings")

    @property
    def keyword_chunks(self) -> str:
        return self.name("keyword_chunks")

    @property
    def terms(self) -> str:
        return self.name("terms")

    @property
    def totals(self) -> str:
        return self.name("totals")

    @property
    def fulltext(self) -> str:
        return self.name("fulltext")

    @property
    def vectors(self) -> str:
        return self.name("vectors")

    def all(self) -> tuple[str, ...]:
        return (
            self.postings,
            self.keyword_chunks,
            self.terms,
            self.fulltext,
            self.totals,
            self.vectors,
            self.chunks,
            self.documents,
        )


class Connects(Protocol):
    """What readers take connections from: an Engine, or a ReadRoute (kb/indexer/pg_replica)."""

    def connect(self) -> sqlalchemy.Connection: ...


class Session:
    """How the parts of one generation reach the database.

    A writable session holds one connection inside one transaction, shared by the catalog,
    the keyword index and the vectors, so an update becomes visible all at once when the
    store publishes it. A read-only session takes a pooled connection per call.
    """

    def __init__(
        self,
        tables: GenerationTables,
        engine: Connects,
        writer: sqlalchemy.Connection | None = None,
    ) -> None:
        self.tables = tables
        self.engine = engine
        self.writer = writer

    @property
    def writable(self) -> bool:
        return self.writer is not None

    @contextmanager
    def connection(self) -> Iterator[sqlalchemy.Connection]:
        if self.writer is not None:
            yield self.writer
            return
        with self.engine.connect() as connection:
            yield connection
            connection.rollback()

    def total(self, part: str) -> tuple[int, ...]:
        """A part's running totals (its row count first), kept in the generation's totals."""
        with self.connection() as connection:
            row = connection.execute(
                sqlalchemy.text(
                    f"SELECT count, body, title, tags FROM {self.tables.totals} WHERE part = :part"
                ),
                {"part": part},
            ).one_or_none()
        return (0, 0, 0, 0) if row is None else tuple(int(value) for value in row)

    def add_to_total(
        self, part: str, count: int, body: int = 0, title: int = 0, tags: int = 0
    ) -> None:
        self.writing().execute(
            sqlalchemy.text(
                f"INSERT INTO {self.tables.totals} AS t (part, count, body, title, tags) "
                "VALUES (:part, :count, :body, :title, :tags) ON CONFLICT (part) DO UPDATE SET "
                "count = t.count + excluded.count, body = t.body + excluded.body, "
                "title = t.title + excluded.title, tags = t.tags + excluded.tags"
            ),
            {"part": part, "count": count, "body": body, "title": title, "tags": tags},
        )

    def writing(self) -> sqlalchemy.Connection:
        if self.writer is None:
            raise RuntimeError("this generation was opened for reading")
        return self.writer
