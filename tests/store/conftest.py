"""Store fixtures: a real SQLite database file under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from kb.store.database import create_engine_for, sqlite_url


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    built = create_engine_for(sqlite_url(tmp_path / "home"))
    yield built
    built.dispose()
