"""The store's schema as Alembic migrations: bring a database up to date, or check that it is.

`kb db upgrade` (and `kb serve` as it starts) runs the migrations; on PostgreSQL they run under
an advisory lock, so hosts starting together migrate once while the others wait. A database
that kb made before migrations existed (tables, no revision) is recognised: the columns added
since are filled in and it is stamped with the first revision before the rest are applied.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kb.errors import DatabaseSchemaError

BASELINE = "0001"
BASELINE_MODULE = "kb.store.migrations.versions.0001_baseline"
# pg_advisory_lock key for migrations: "kb" and 1, so other applications' keys do not collide.
MIGRATION_LOCK = 0x6B62_0001


@dataclass(frozen=True)
class Upgrade:
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "kb/store/migrations has no revisions"
    return head


def database_revision(engine: sqlalchemy.Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(engine: sqlalchemy.Engine) -> Upgrade:
    """Apply every migration the database lacks; safe to run from many processes at once."""
    with engine.connect() as connection, _migration_lock(connection):
        before = MigrationContext.configure(connection).get_current_revision()
        config = _config()
        config.attributes["connection"] = connection
        if before is None and sqlalchemy.inspect(connection).has_table("tickets"):
            _add_missing_columns(connection)
            connection.commit()
            command.stamp(config, BASELINE)
            connection.commit()
        command.upgrade(config, "head")
        connection.commit()
    return Upgrade(before, head_revision())


def check_schema(engine: sqlalchemy.Engine) -> None:
    """Raise DatabaseSchemaError unless the database is at the newest revision."""
    found, wanted = database_revision(engine), head_revision()
    if found != wanted:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no kb tables" if found is None else f"is at schema revision {found}"
        raise DatabaseSchemaError(
            f"the database {where} {state}, and this kb needs revision {wanted}; "
            "run `kb db upgrade` once (kb serve also does it as it starts)"
        )


def _config() -> Config:
    config = Config()
    location = resources.files("kb.store").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    return config


@contextmanager
def _migration_lock(connection: sqlalchemy.Connection) -> Iterator[None]:
    if connection.dialect.name != "postgresql":
        # SQLite is one file on one machine; `kb serve` migrates it before forking workers.
        yield
        return
    connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()
        connection.execute(
            sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
        )
        connection.commit()


def _add_missing_columns(connection: sqlalchemy.Connection) -> None:
    """Give tables made by a kb from before migrations the baseline's tables and columns.

    The columns kb added before migrations were all nullable or carried a server default, so
    adding them rewrites no row.
    """
    inspector = sqlalchemy.inspect(connection)
    dialect = connection.dialect
    baseline: sqlalchemy.MetaData = importlib.import_module(BASELINE_MODULE).baseline()
    for table in baseline.sorted_tables:
        if not inspector.has_table(table.name):
            table.create(connection)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=dialect)
            default = ""
            if column.server_default is not None:
                argument = column.server_default.arg  # type: ignore[attr-defined]
                default = " DEFAULT " + str(
                    argument.compile(dialect=dialect) if hasattr(argument, "compile") else argument
                )
            connection.execute(
                sqlalchemy.text(
                    f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{default}'
                )
            )
