"""`kb migrate`: an embedded KB copied into PostgreSQL and back to a folder, nothing lost."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy
from click.testing import CliRunner

from kb.cli import cli
from kb.config import Settings
from kb.errors import ConfigError, TargetNotEmptyError
from kb.events import Search, ShownSuggestion, SuggestionsShown
from kb.indexer.pg_database import dispose_engines
from kb.indexer.sources import read_ticket_export
from kb.migration import migrate, target_settings
from kb.model import Document, SearchQuery
from kb.services import Services, build_services
from kb.store.copy import store_tables
from kb.store.database import sqlite_url
from kb.workflow import NewTicket
from tests.conftest import ARTICLES, TICKETS

QUERIES = [
    "vpn certificate error",
    "printer offline",
    "reset my password",
    "configurar la impresora",
    "badge reader beeps",
]


def hits(services: Services, text: str) -> list[tuple[str, float]]:
    result = services.searcher.search(SearchQuery(text, mode="hybrid"))
    return [(hit.document.id, hit.score) for hit in result.hits]


def rows(url: str) -> dict[str, list[dict[str, object]]]:
    """Every store row of the database at `url`, table by table, in id order."""
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    row._asdict()
                    for row in connection.execute(
                        sqlalchemy.select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in store_tables()
            }
    finally:
        engine.dispose()


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL schema; the index's pooled connections to it closed afterwards."""
    yield postgres_url
    dispose_engines()


@pytest.fixture
def embedded(settings: Settings) -> Iterator[Services]:
    """An embedded KB with articles, imported tickets, a user, events and a desk ticket indexed."""
    shutil.copytree(ARTICLES, settings.articles_dir, dirs_exist_ok=True)
    services = build_services(settings)
    tickets, errors = read_ticket_export(TICKETS)
    assert not errors
    services.tickets.import_tickets(tickets)
    services.users.add("agent@example.org", "a long enough password", ("agent",), "Ann Agent")
    now = datetime.now(UTC)
    services.events.record(
        Search(session_id="s-1", at=now - timedelta(hours=1), query="vpn", hits=("vpn-setup",))
    )
    services.events.record(
        SuggestionsShown(
            session_id="s-1",
            at=now,
            query="vpn drops",
            suggestions=(ShownSuggestion("vpn-setup", 0.7, (0.5, 0.2)),),
            deflection=0.7,
        )
    )
    services.index_files()
    services.indexer.update(
        [
            Document(
                id="ticket-desk-1",
                kind="ticket",
                title="Badge reader",
                body="The badge reader at the loading dock beeps red; re-enrolled the badge.",
                metadata={"ticket_id": "desk-1"},
            )
        ]
    )
    yield services
    services.close()


def test_round_trip_through_postgres_loses_nothing(
    embedded: Services, settings: Settings, database: str, tmp_path: Path
) -> None:
    on_postgres = target_settings(settings, database)
    to_postgres = migrate(settings, on_postgres)
    assert to_postgres.to_postgres and to_postgres.index is not None
    assert to_postgres.rows["tickets"] == embedded.tickets.count() > 0
    assert to_postgres.rows["events"] == 2 and to_postgres.rows["users"] == 1

    back = target_settings(on_postgres, str(tmp_path / "backup"))
    restored = migrate(on_postgres, back)
    assert not restored.to_postgres and restored.rows == to_postgres.rows

    original = rows(sqlite_url(settings.home))
    assert rows(database) == original
    assert rows(sqlite_url(back.home)) == original

    copies = [build_services(on_postgres), build_services(back)]
    try:
        for text in QUERIES:
            expected = hits(embedded, text)
            assert expected, text
            for copy in copies:
                found = hits(copy, text)
                assert [hit for hit, _ in found] == [hit for hit, _ in expected], text
                assert [score for _, score in found] == pytest.approx(
                    [score for _, score in expected], abs=1e-4
                )
        for copy in copies:
            assert copy.users.find("agent@example.org") is not None
            assert [event.kind for event in copy.events.session("s-1")] == [
                "search",
                "suggestions_shown",
            ]
            # The copy goes on where the original left off: new rows get new ids, and the
            # index takes single updates without a rebuild.
            filed = copy.tickets.create(
                NewTicket(
                    subject="Monitor flickers",
                    description="Since this morning.",
                    requester_name="Rae",
                    requester_email="rae@example.org",
                )
            )
            assert filed.number not in {ticket["number"] for ticket in original["tickets"]}
            report = copy.indexer.update(removed=["ticket-desk-1"])
            assert report.removed == ["ticket-desk-1"]
    finally:
        for copy in copies:
            copy.close()


def test_an_occupied_target_is_refused_and_left_alone(
    embedded: Services, settings: Settings, database: str, tmp_path: Path
) -> None:
    on_postgres = target_settings(settings, database)
    migrate(settings, on_postgres)
    before = rows(database)
    with pytest.raises(TargetNotEmptyError, match="already holds"):
        migrate(settings, on_postgres)
    assert rows(database) == before

    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(TargetNotEmptyError, match="not empty"):
        migrate(settings, target_settings(settings, str(occupied)))
    assert [path.name for path in occupied.iterdir()] == ["notes.txt"]


def test_the_command_copies_with_progress_and_says_how_to_use_the_copy(
    embedded: Services, settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    environment = {"KB_EMBEDDER": "hashing", "KB_HOME": None, "KB_CONFIG": None}
    result = CliRunner().invoke(
        cli,
        ["migrate", "--home", str(settings.home), "--to", str(backup)],
        env=environment,
    )
    assert result.exit_code == 0, result.output
    assert "kb migrate: " in result.stderr and "documents" in result.stderr
    assert "copied the index" in result.stdout and f"--home {backup}" in result.stdout
    copy = build_services(replace(settings, home=backup))
    try:
        assert hits(copy, "printer offline") == hits(embedded, "printer offline")
    finally:
        copy.close()

    again = CliRunner().invoke(
        cli, ["migrate", "--home", str(settings.home), "--to", str(backup)], env=environment
    )
    assert again.exit_code != 0 and "not empty" in again.output


def test_a_destination_that_is_no_postgresql_url_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="neither a PostgreSQL URL nor a folder"):
        target_settings(settings, "mysql://kb@db/kb")
    url = target_settings(settings, "postgresql://kb:secret@db.example.org/kb").database_url
    assert url == "postgresql+psycopg://kb:secret@db.example.org/kb"
