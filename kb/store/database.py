"""Opening the store's database: SQLite in the KB home by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event

from kb.errors import ConfigError
from kb.store.schema import check_schema, upgrade_database

DATABASE_FILE_NAME = "kb.sqlite3"
# Milliseconds a SQLite connection waits for another writer before failing with "locked".
SQLITE_BUSY_TIMEOUT = 5000


def sqlite_url(home: Path) -> str:
    """The URL of the SQLite file in the KB home; creates the home folder when missing."""
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home}/{DATABASE_FILE_NAME}"


def open_database(url: str) -> sqlalchemy.Engine:
    """An engine for `url` whose schema is the one this kb needs.

    A SQLite file (one machine, the embedded default) is migrated in place as it is opened;
    a shared server is migrated by `kb db upgrade` or `kb serve`, never by every process that
    connects, so a database at another revision raises DatabaseSchemaError saying so.
    """
    engine = create_engine_for(url)
    try:
        if engine.dialect.name == "sqlite":
            upgrade_database(engine)
        else:
            check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def create_engine_for(url: str) -> sqlalchemy.Engine:
    """An engine for `url`, as it is: no tables are created or checked.

    SQLite connections run in WAL mode (readers never block the writer, nor it them), with
    foreign keys enforced and a busy timeout; the file's folder is created when missing.
    Any other URL, such as postgresql+psycopg://…, is passed to SQLAlchemy as it is. A URL
    SQLAlchemy cannot read, or one naming a database kind it does not know, is a ConfigError.
    """
    try:
        parsed = sqlalchemy.make_url(url)
        parsed.get_dialect()
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError) as error:
        raise ConfigError(
            f"setting `database_url` {url!r} is not a database URL SQLAlchemy knows ({error}); "
            "use e.g. sqlite:////path/kb.sqlite3 or postgresql+psycopg://user@host/kb"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sqlalchemy.create_engine(parsed)
        event.listen(engine, "connect", _configure_sqlite)
    else:
        engine = sqlalchemy.create_engine(parsed, pool_pre_ping=True)
    return engine


def _configure_sqlite(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at checkpoints, not on every commit: the database stays
        # consistent through a crash or power cut, though a power cut may take back the
        # last commits. The usual setting with WAL (SQLite's documentation, Rails' default).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT}")
    finally:
        cursor.close()
