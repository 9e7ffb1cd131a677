"""The PostgreSQL leg of the suite: a fresh schema per test on the server .ci/postgres starts.

`eval "$(.ci/postgres start)"` sets KB_TEST_POSTGRES_URL; without it the PostgreSQL cases
skip, except under CI=true, where a missing server is a failure. `.ci/postgres replica` adds a
streaming replica of it (KB_TEST_POSTGRES_REPLICA_URL), the same way.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy

from kb.backends import Generation, open_generation_store
from kb.config import Settings
from kb.indexer.pg_database import dispose_engines
from kb.store.schema import upgrade_database

VARIABLE = "KB_TEST_POSTGRES_URL"
REPLICA_VARIABLE = "KB_TEST_POSTGRES_REPLICA_URL"


def server_url() -> str:
    """The test server's URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(VARIABLE)
    if url:
        return url
    message = (
        f"no PostgreSQL for the tests: {VARIABLE} is unset; "
        'run `eval "$(.ci/postgres start)"` (as root) to start one on loopback'
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def replica_of(schema_url: str, name: str) -> str:
    """The URL of the test server's streaming replica (`.ci/postgres replica`) in the same
    schema as `schema_url`, its connections carrying application_name `name`; or skip (fail
    under CI) when there is none."""
    replica = os.environ.get(REPLICA_VARIABLE)
    if not replica:
        message = (
            f"no streaming replica for the tests: {REPLICA_VARIABLE} is unset; run "
            '`eval "$(.ci/postgres replica)"` (as root) after `.ci/postgres start`'
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    options = sqlalchemy.make_url(schema_url).query.get("options", "")
    url = sqlalchemy.make_url(replica).update_query_dict(
        {"options": options, "application_name": name}
    )
    return url.render_as_string(hide_password=False)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema, dropped afterwards.

    Extensions (vector, unaccent) live in `public`, which stays on the search path.
    """
    url = server_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema},public')}"
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def index_settings(url: str, home: Path, **overrides: Any) -> Settings:
    """Settings that keep the store and the index in the PostgreSQL database of `url`."""
    return Settings(
        home=home,
        database_url=url,
        index_store="postgresql",
        keyword_backend="postgresql-bm25",
        vector_backend="pgvector",
        **overrides,
    )


@contextmanager
def migrated_schema() -> Iterator[str]:
    """A fresh schema with kb's tables migrated in; its pooled connections closed afterwards."""
    with fresh_schema() as url:
        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
        upgrade_database(engine)
        engine.dispose()
        try:
            yield url
        finally:
            dispose_engines()


class GenerationsByPlace:
    """The contract suites open a part "on a folder": here each folder is one generation.

    The first open of a place begins a generation (writable, one transaction); a later open
    publishes it (the transaction commits) and opens it for reading, as a search host would.
    """

    def __init__(self, settings: Settings, dimension: int) -> None:
        self.store = open_generation_store(settings)
        self.dimension = dimension
        self._writing: dict[Path, Generation] = {}
        self._published: dict[Path, str] = {}

    def open(self, place: Path) -> Generation:
        if place in self._writing:
            self._published[place] = self.store.publish(self._writing.pop(place), {})
        if place in self._published:
            return self.store.open(self._published[place], self.dimension)
        generation = self._writing[place] = self.store.begin(None, self.dimension)
        return generation

    def close(self) -> None:
        for generation in self._writing.values():
            self.store.discard(generation)
        self._writing.clear()
