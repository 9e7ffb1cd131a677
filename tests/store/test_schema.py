"""The schema comes from Alembic migrations, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from kb.cli import cli
from kb.errors import DatabaseSchemaError
from kb.store.database import create_engine_for, open_database, sqlite_url
from kb.store.schema import database_revision, head_revision, upgrade_database
from kb.store.tables import Base
from kb.store.users import UserStore


def test_migrations_build_exactly_the_tables_kb_declares(engine: sqlalchemy.Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], (
        "kb/store/tables.py and the migrations disagree; add a revision under "
        "kb/store/migrations/versions"
    )
    assert database_revision(engine) == head_revision()


def test_upgrading_again_changes_nothing(engine: sqlalchemy.Engine) -> None:
    UserStore(engine).add("agent@example.com", "correct horse battery", ["agent"])
    again = upgrade_database(engine)
    assert not again.changed and again.after == head_revision()
    assert UserStore(engine).find("agent@example.com") is not None


def test_a_sqlite_file_migrates_itself_as_it_opens(tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path / "home"))
    try:
        assert database_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_a_shared_server_is_never_migrated_by_merely_connecting(postgres_url: str) -> None:
    with pytest.raises(DatabaseSchemaError, match="has no kb tables.*run `kb db upgrade`"):
        open_database(postgres_url)
    plain = create_engine_for(postgres_url)
    try:
        assert database_revision(plain) is None
        assert not sqlalchemy.inspect(plain).has_table("tickets")
    finally:
        plain.dispose()


def test_hosts_starting_together_migrate_once(postgres_url: str) -> None:
    engines = [create_engine_for(postgres_url) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def migrate(engine: sqlalchemy.Engine) -> None:
        start.wait()
        try:
            upgrade_database(engine)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        assert database_revision(engines[0]) == head_revision()
        opened = open_database(postgres_url)
        engines.append(opened)
        UserStore(opened).add("a@example.com", "correct horse battery", ["agent"])
    finally:
        for engine in engines:
            engine.dispose()


def test_kb_db_upgrade(database_url: str, tmp_path: Path) -> None:
    environment = {"KB_DATABASE_URL": database_url, "KB_HOME": str(tmp_path / "kb-home")}
    first = CliRunner().invoke(cli, ["db", "upgrade"], env=environment)
    assert first.exit_code == 0, first.output
    assert f"to revision {head_revision()}" in first.output
    second = CliRunner().invoke(cli, ["db", "upgrade"], env=environment)
    assert second.exit_code == 0 and "already at revision" in second.output
