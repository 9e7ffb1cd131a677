"""The GenerationStore on PostgreSQL: generations as tables, updated in one transaction each.

A full build makes a new generation's tables and fills them inside one transaction; an
incremental change (a saved article, a resolved ticket) edits the current generation's tables
in place, also in one transaction. Either becomes visible to every host at once on commit,
when the `index_state` row names the generation and its version grows: readers never see half
of a change, and no files are copied. One writer at a time holds a PostgreSQL advisory lock,
released by the server if the writer's connection dies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import text

from kb.backends import (
    POSTGRES_KEYWORD_INDEXES,
    POSTGRES_VECTOR_INDEXES,
    Generation,
    KeywordIndex,
    VectorIndex,
    resolve_backend,
)
from kb.config import Settings
from kb.errors import ConfigError, IndexLockedError
from kb.indexer.pg_catalog import PostgresCatalog, create_catalog_tables
from kb.indexer.pg_database import (
    Connects,
    GenerationTables,
    Session,
    create_totals_table,
    postgres_urls,
    shared_engine,
)
from kb.indexer.pg_replica import ReadRoute
from kb.indexer.pg_retriever import KeywordRanker, PostgresRetriever, VectorRanker
from kb.indexer.pg_vectors import create_vector_table
from kb.store.schema import check_schema

# The advisory lock's key: one per schema, so KBs kept in separate schemas index apart.
LOCK_KEY = "hashtext(current_schema() || '/kb-index')"


class PostgresGenerationStore:
    """Index generations in the PostgreSQL database of `database_url`."""

    def __init__(self, settings: Settings) -> None:
        primary, read = postgres_urls(settings)
        self._settings = settings
        self._primary = shared_engine(primary)
        self._replica: Connects = (
            self._primary if read == primary else ReadRoute(shared_engine(read), self._primary)
        )
        self._keyword = resolve_backend(
            "keyword_backend", _named(settings, "keyword_backend"), POSTGRES_KEYWORD_INDEXES
        )
        self._vectors = resolve_backend(
            "vector_backend", _named(settings, "vector_backend"), POSTGRES_VECTOR_INDEXES
        )
        self._checked = False
        self._locked = False
        self._writers: dict[str, sqlalchemy.Connection] = {}
        self._fresh: set[str] = set()

    @property
    def _reader(self) -> Connects:
        # A writer holding the lock reads the primary: a replica may lag behind its own work.
        return self._primary if self._locked else self._replica

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        return self._lock(timeout)

    @contextmanager
    def _lock(self, timeout: float) -> Iterator[None]:
        self._check()
        with self._primary.connect() as connection:
            deadline = time.monotonic() + timeout
            while True:
                taken = connection.execute(text(f"SELECT pg_try_advisory_lock({LOCK_KEY})"))
                connection.commit()
                if taken.scalar():
                    break
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        "the index is being written by another kb process; wait for it to "
                        f"finish (waited {timeout:g} s; raise `lock_timeout` to wait longer)"
                    )
                time.sleep(0.1)
            self._locked = True
            try:
                yield
            finally:
                self._locked = False
                connection.rollback()
                connection.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY})"))
                connection.commit()

    def current(self) -> str | None:
        marker = self._marker()
        return None if marker is None else marker[0]

    def marker(self) -> Hashable | None:
        return self._marker()

    def metadata(self, name: str) -> dict[str, Any]:
        self._check()
        with self._reader.connect() as connection:
            found = connection.execute(
                text("SELECT metadata FROM index_generations WHERE name = :name"),
                {"name": name},
            ).scalar()
        return dict(found) if found else {}

    def open(self, name: str, dimension: int) -> Generation:
        return self._parts(Session(GenerationTables(name), self._reader), dimension)

    def begin(self, base: str | None, dimension: int, *, small: bool = False) -> Generation:
        # Every change is already one transaction on the current generation's tables.
        self._check()
        if base is None:
            self._create_vector_extension()
        connection = self._primary.connect()
        try:
            if base is None:
                name = datetime.now(UTC).strftime("g%Y%m%dt%H%M%S%f")
                session = Session(GenerationTables(name), self._primary, connection)
                connection.execute(
                    text(
                        "INSERT INTO index_generations (name, dimension, created) "
                        "VALUES (:name, :dimension, :created)"
                    ),
                    {"name": name, "dimension": dimension, "created": datetime.now(UTC)},
                )
                create_catalog_tables(connection, session)
                self._keyword.create_tables(connection, session)
                create_vector_table(connection, session, dimension)
                create_totals_table(connection, session.tables)
            else:
                name = base
                session = Session(GenerationTables(name), self._primary, connection)
            generation = self._parts(session, dimension)
        except BaseException:
            connection.rollback()
            connection.close()
            raise
        self._writers[name] = connection
        if base is None:
            self._fresh.add(name)
        return generation

    def publish(self, generation: Generation, metadata: dict[str, Any]) -> str:
        connection = self._writers.pop(generation.name)
        try:
            generation.keyword.commit()
            generation.vectors.commit()
            connection.execute(
                text(
                    "UPDATE index_generations SET metadata = CAST(:metadata AS jsonb) "
                    "WHERE name = :name"
                ),
                {"metadata": json.dumps(metadata, default=str), "name": generation.name},
            )
            connection.execute(
                text(
                    "INSERT INTO index_state (id, current, version) VALUES (1, :name, 1) "
                    "ON CONFLICT (id) DO UPDATE SET current = excluded.current, "
                    "version = index_state.version + 1"
                ),
                {"name": generation.name},
            )
            if generation.name in self._fresh:
                # Planner statistics for the tables a full build has just filled.
                for table in GenerationTables(generation.name).all():
                    if connection.execute(text(f"SELECT to_regclass('{table}')")).scalar():
                        connection.execute(text(f"ANALYZE {table}"))
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            self._fresh.discard(generation.name)
            connection.close()
            generation.close()
        return generation.name

    def discard(self, generation: Generation) -> None:
        connection = self._writers.pop(generation.name, None)
        self._fresh.discard(generation.name)
        generation.close()
        if connection is not None:
            connection.rollback()
            connection.close()

    def compact(self, dimension: int, at_least: int = 1) -> str | None:
        # Updates change the current generation's tables in place: nothing lies beside it.
        return None

    def clean_up(self, keep: int) -> list[str]:
        self._check()
        with self._primary.connect() as connection:
            current = connection.execute(
                text("SELECT current FROM index_state WHERE id = 1")
            ).scalar()
            names = sorted(
                row[0] for row in connection.execute(text("SELECT name FROM index_generations"))
            )
            if current is None or current not in names:
                doomed = names
            else:
                older = [name for name in names if name < current]
                newer = [name for name in names if name > current]
                doomed = older[: max(0, len(older) - keep)] + newer
            for name in doomed:
                for table in GenerationTables(name).all():
                    connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
                connection.execute(
                    text("DELETE FROM index_generations WHERE name = :name"), {"name": name}
                )
            connection.commit()
        return doomed

    def _marker(self) -> tuple[str, int] | None:
        self._check()
        with self._reader.connect() as connection:
            row = connection.execute(
                text("SELECT current, version FROM index_state WHERE id = 1")
            ).one_or_none()
        if row is None or row[0] is None:
            return None
        return (str(row[0]), int(row[1]))

    def _parts(self, session: Session, dimension: int) -> Generation:
        catalog = PostgresCatalog(session)
        keyword: KeywordIndex = self._keyword(session, self._settings)
        vectors: VectorIndex = self._vectors(session, self._settings, dimension)
        retriever = None
        # A class named by dotted path may not offer its search as SQL: its parts answer.
        if isinstance(keyword, KeywordRanker) and isinstance(vectors, VectorRanker):
            retriever = PostgresRetriever(session, keyword, vectors)
        return Generation(session.tables.generation, catalog, keyword, vectors, retriever)

    def _check(self) -> None:
        if not self._checked:
            check_schema(self._primary)
            self._checked = True

    def _create_vector_extension(self) -> None:
        with self._primary.connect() as connection:
            if connection.execute(
                text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
            ).scalar():
                return
            try:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
                connection.commit()
            except sqlalchemy.exc.DBAPIError as error:
                database = self._primary.url.render_as_string(hide_password=True)
                raise ConfigError(
                    f"the PostgreSQL database {database} has no pgvector extension and kb "
                    f"could not create it ({str(error.orig).strip()}); install pgvector on the "
                    "server and have a superuser run `CREATE EXTENSION vector` in that database"
                ) from None


def _named(settings: Settings, setting: str) -> str:
    value: str = getattr(settings, setting)
    registry = POSTGRES_KEYWORD_INDEXES if setting == "keyword_backend" else POSTGRES_VECTOR_INDEXES
    if value in registry or ":" in value:
        return value
    raise ConfigError(
        f"setting `index_store` is `postgresql`, which keeps the index in the database, but "
        f"`{setting}` is {value!r}; use one of: {', '.join(sorted(registry))}"
    )
