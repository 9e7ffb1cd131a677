"""Opening the store's database: SQLite in the KB home by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event

from kb.errors import ConfigError
from kb.store.tables import Base

DATABASE_FILE_NAME = "kb.sqlite3"
# Milliseconds a SQLite connection waits for another writer before failing with "locked".
SQLITE_BUSY_TIMEOUT = 5000


def sqlite_url(home: Path) -> str:
    """The URL of the SQLite file in the KB home; creates the home folder when missing."""
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home}/{DATABASE_FILE_NAME}"


def create_engine_for(url: str) -> sqlalchemy.Engine:
    """An engine for `url` with kb's tables created.

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
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: sqlalchemy.Engine) -> None:
    """Give tables made by an earlier kb the nullable columns added since, in place.

    New columns are always nullable or carry a server default, so adding them never
    rewrites a row; anything more drastic would need a real migration.
    """
    inspector = sqlalchemy.inspect(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = ""
                if column.server_default is not None:
                    argument = column.server_default.arg  # type: ignore[attr-defined]
                    default = " DEFAULT " + str(
                        argument.compile(dialect=engine.dialect)
                        if hasattr(argument, "compile")
                        else argument
                    )
                connection.execute(
                    sqlalchemy.text(
                        f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}'
                    )
                )


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
