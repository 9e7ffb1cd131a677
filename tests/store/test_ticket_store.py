"""The ticket store on a real SQLite file: numbering by type, the trail, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy

from kb.errors import ConflictError, InvalidInputError, NotFoundError
from kb.model import Ticket
from kb.store.database import open_database, sqlite_url
from kb.store.tickets import SORTS, TicketStore
from kb.workflow import SORT_KEYS, TICKET_PREFIXES, TICKET_TYPES, NewTicket

TRAIL = {
    "searches": [{"query": "vpn keeps dropping", "hits": ["vpn-setup", "ticket:INC-0042"]}],
    "shown": ["vpn-setup", "wifi-eduroam"],
    "viewed": ["vpn-setup"],
    "deflection": 0.41,
    "confident": False,
}


@pytest.fixture
def store(engine: sqlalchemy.Engine) -> TicketStore:
    return TicketStore(engine)


def new(**fields: object) -> NewTicket:
    values: dict[str, object] = {
        "subject": "VPN drops every hour",
        "description": "Since Monday the VPN disconnects about once an hour.",
        "requester_email": "ana@example.org",
    }
    values.update(fields)
    return NewTicket(**values)  # type: ignore[arg-type]


def test_numbers_carry_the_type_prefix_and_six_digits_of_the_id(store: TicketStore) -> None:
    numbers = [
        store.create(new(type="incident")).number,
        store.create(new(type="service_request")).number,
        store.create(new(type="question")).number,
        store.create(new()).number,
    ]
    assert numbers == ["INC-000001", "REQ-000002", "QST-000003", "INC-000004"]


def test_every_ticket_type_has_a_prefix() -> None:
    assert set(TICKET_PREFIXES) == set(TICKET_TYPES)


def test_ticket_round_trips_with_its_trail(store: TicketStore) -> None:
    before = datetime.now(UTC)
    created = store.create(
        new(
            type="service_request",
            requester_name="Ana Ruiz",
            category="network",
            help_session="session-7",
            trail=TRAIL,
        )
    )
    loaded = store.get(created.number)

    assert loaded == created
    assert loaded is not None
    assert loaded.status == "new"
    assert loaded.type == "service_request"
    assert loaded.subject == "VPN drops every hour"
    assert (loaded.requester_name, loaded.requester_email) == ("Ana Ruiz", "ana@example.org")
    assert loaded.category == "network"
    assert loaded.trail == TRAIL
    assert loaded.created.tzinfo == UTC
    assert before <= loaded.created <= datetime.now(UTC)


def test_optional_fields_stay_empty(store: TicketStore) -> None:
    created = store.create(new())
    assert (created.category, created.requester_name, created.trail) == (None, None, {})


def test_get_finds_a_number_typed_in_lower_case_and_nothing_for_an_unknown_one(
    store: TicketStore,
) -> None:
    number = store.create(new(type="question")).number
    loaded = store.get(number.lower())
    assert loaded is not None and loaded.number == number
    assert store.get("INC-999999") is None


def test_count_and_persistence_across_engines(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "home")
    first = open_database(url)
    try:
        assert TicketStore(first).count() == 0
        TicketStore(first).create(new())
        TicketStore(first).create(new(type="question"))
    finally:
        first.dispose()
    second = open_database(url)
    try:
        store = TicketStore(second)
        assert store.count() == 2
        assert store.get("QST-000002") is not None
        assert store.create(new()).number == "INC-000003"
    finally:
        second.dispose()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"type": "problem"}, "`type` 'problem' is unknown; use one of: incident"),
        ({"subject": "   "}, "`subject` is empty"),
        ({"requester_email": ""}, "`requester_email` must be an email address"),
        ({"requester_email": "nobody"}, "`requester_email` must be an email address"),
        ({"description": " "}, "`description` is empty"),
        ({"trail": {"at": datetime(2025, 1, 1)}}, "not JSON"),
    ],
)
def test_invalid_ticket_is_refused_and_nothing_is_stored(
    store: TicketStore, fields: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        store.create(new(**fields))
    assert store.count() == 0


def test_desk_changes_are_noted_on_the_timeline(store: TicketStore) -> None:
    ticket = store.create(new(priority="low"))
    store.update(ticket.number, "priya@example.com", assignee="priya@example.com")
    store.update(ticket.number, "priya@example.com", status="pending", priority="high")
    store.add_note(ticket.number, "internal", "priya@example.com", "Asked for the VPN log")
    changed = store.get(ticket.number)
    assert changed is not None
    assert (changed.status, changed.priority, changed.assignee) == (
        "pending",
        "high",
        "priya@example.com",
    )
    assert [note.body for note in store.notes(ticket.number)] == [
        "assigned to priya@example.com",
        "status open → pending; priority low → high",
        "Asked for the VPN log",
    ]
    with pytest.raises(InvalidInputError, match="resolution note"):
        store.update(ticket.number, None, status="resolved")
    with pytest.raises(NotFoundError):
        store.update("INC-999999", None, status="open")


def test_resolve_and_reopen(store: TicketStore) -> None:
    ticket = store.create(new())
    with pytest.raises(InvalidInputError, match="needs a resolution note"):
        store.resolve(ticket.number, None, "   ")
    resolved = store.resolve(ticket.number, "priya@example.com", "New profile.", shareable=True)
    assert resolved.status == "resolved" and resolved.resolved is not None
    knowledge = resolved.knowledge()
    assert knowledge is not None and knowledge.shareable and knowledge.id == ticket.number
    assert [item.id for item in store.knowledge()] == [ticket.number]
    reopened = store.reopen(ticket.number, None, "back again")
    assert reopened.status == "open" and reopened.knowledge() is None
    assert store.knowledge() == []
    with pytest.raises(ConflictError, match="nothing to reopen"):
        store.reopen(ticket.number, None)


def test_import_is_all_or_nothing(store: TicketStore) -> None:
    good = Ticket(id="EXT-1", subject="Printer offline", description="", resolution="Rebooted")
    broken = Ticket(id="EXT-2", subject=None, description="", resolution="")  # type: ignore[arg-type]
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        store.import_tickets([good, broken])
    assert store.count() == 0, "a failed import must leave nothing behind"
    imported = store.import_tickets([good])
    assert imported[0].status == "resolved" and imported[0].external_id == "EXT-1"
    assert store.import_tickets([good]) == [], "the same export twice imports once"
    assert store.imported() == {"EXT-1": imported[0].number}


def test_a_database_from_before_the_desk_gains_its_columns(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    old = sqlalchemy.create_engine(url)
    with old.begin() as connection:
        connection.execute(
            sqlalchemy.text(
                "CREATE TABLE tickets (id INTEGER PRIMARY KEY, number VARCHAR(32) UNIQUE, "
                "type VARCHAR(32), status VARCHAR(32), subject TEXT, description TEXT, "
                "category VARCHAR, requester_name VARCHAR, requester_email VARCHAR, "
                "help_session VARCHAR, created DATETIME, trail JSON)"
            )
        )
        connection.execute(
            sqlalchemy.text(
                "INSERT INTO tickets VALUES (1, 'INC-000001', 'incident', 'new', 'Old', "
                "'Filed before the desk', NULL, NULL, 'a@example.org', NULL, "
                "'2026-11-01 09:00:00', '{}')"
            )
        )
    old.dispose()
    store = TicketStore(open_database(url))
    kept = store.get("INC-000001")
    assert kept is not None and kept.subject == "Old" and kept.shareable is False
    store.update("INC-000001", None, priority="high")
    assert store.get("INC-000001").priority == "high"  # type: ignore[union-attr]


def test_every_sort_key_of_the_workflow_has_a_column() -> None:
    assert tuple(SORTS) == SORT_KEYS
