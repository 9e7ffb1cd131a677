"""`kb migrate`: a whole KB (store and index) copied to PostgreSQL, or to a folder and back.

The copy keeps every row's id and every vector as it is (nothing is embedded again), so the
copy answers searches as the original does. The target must be empty: a new PostgreSQL
database (or schema), or a folder that does not exist yet or is empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy

from kb.backends import open_generation_store
from kb.config import Settings
from kb.errors import ConfigError, TargetNotEmptyError
from kb.indexer.copy import IndexCopy, copy_index
from kb.model import WorkDone
from kb.store.copy import copy_store
from kb.store.database import create_engine_for, open_database, sqlite_url
from kb.store.schema import upgrade_database

# (index_store, keyword_backend, vector_backend) a KB on PostgreSQL runs with, and an
# embedded one.
ON_POSTGRES = ("postgresql", "postgresql-bm25", "pgvector")
EMBEDDED = ("files", "bm25", "faiss")


@dataclass(frozen=True)
class Migration:
    """What was copied: the target's settings, rows per store table, and the index."""

    target: Settings
    rows: dict[str, int]
    index: IndexCopy | None

    @property
    def to_postgres(self) -> bool:
        return self.target.index_store == ON_POSTGRES[0]

    @property
    def place(self) -> str:
        """Where the copy is: the folder, or the database URL without its password."""
        return _place(self.target)


def target_settings(source: Settings, destination: str) -> Settings:
    """The settings of the copy: a PostgreSQL URL keeps everything in that database; anything
    else is a folder that becomes an embedded KB home (SQLite, index files)."""
    if "://" not in destination:
        return _with_backends(
            replace(source, home=Path(destination), database_url=None, database_read_url=None),
            EMBEDDED,
        )
    try:
        url = sqlalchemy.make_url(destination)
    except sqlalchemy.exc.ArgumentError:
        url = None
    if url is None or url.get_backend_name() != "postgresql":
        raise ConfigError(
            f"--to {destination!r} is neither a PostgreSQL URL nor a folder; give e.g. "
            "postgresql://kb@db.example.org/kb, or the path of a new folder for a backup"
        )
    if url.drivername == "postgresql":
        # kb talks to PostgreSQL through psycopg 3; SQLAlchemy's bare name means psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    located = replace(
        source, database_url=url.render_as_string(hide_password=False), database_read_url=None
    )
    return _with_backends(located, ON_POSTGRES)


def _with_backends(settings: Settings, backends: tuple[str, str, str]) -> Settings:
    index_store, keyword_backend, vector_backend = backends
    return replace(
        settings,
        index_store=index_store,
        keyword_backend=keyword_backend,
        vector_backend=vector_backend,
    )


def migrate(
    source: Settings, target: Settings, progress: Callable[[WorkDone], None] | None = None
) -> Migration:
    """Copy the KB of `source` into the empty place `target` names.

    Raises TargetNotEmptyError, having copied nothing, when the target holds a KB already.
    """
    if target.database_url is None:
        _check_folder_is_empty(target.home)
    target_index = open_generation_store(target)
    source_engine = open_database(_store_url(source))
    target_engine = create_engine_for(_store_url(target))
    try:
        upgrade_database(target_engine)
        if target_index.current() is not None:
            raise TargetNotEmptyError(
                f"{_place(target)} already holds an index; copy into an empty database or folder"
            )
        rows = copy_store(source_engine, target_engine, progress)
    finally:
        source_engine.dispose()
        target_engine.dispose()
    source_index = open_generation_store(source)
    index = None
    if source_index.current() is not None:
        backends = {
            "keyword_backend": target.keyword_backend,
            "vector_backend": target.vector_backend,
        }
        index = copy_index(source_index, target_index, backends, progress)
    return Migration(target, rows, index)


def _store_url(settings: Settings) -> str:
    return settings.database_url or sqlite_url(settings.home)


def _place(settings: Settings) -> str:
    if settings.database_url is None:
        return str(settings.home)
    return sqlalchemy.make_url(settings.database_url).render_as_string(hide_password=True)


def _check_folder_is_empty(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise TargetNotEmptyError(
            f"{folder} is not empty; give `kb migrate --to` a new folder for the copy"
        )
