"""Store fixtures: an engine on every database backend, a SQLite file and a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from kb.store.database import create_engine_for, sqlite_url
from kb.store.schema import upgrade_database


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file under tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "home")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[sqlalchemy.Engine]:
    """An engine on that database with the schema migrated in, as `kb db upgrade` does."""
    built = create_engine_for(database_url)
    upgrade_database(built)
    yield built
    built.dispose()
