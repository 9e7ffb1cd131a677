"""The problem store on every database: numbers, linked incidents, statuses, announcing, joins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy

from kb.errors import InvalidInputError, NotFoundError
from kb.events import ProblemJoined
from kb.store.events import EventStore
from kb.store.problems import ProblemStore
from kb.store.tickets import NewTicket, TicketStore


@pytest.fixture
def tickets(engine: sqlalchemy.Engine) -> list[str]:
    store = TicketStore(engine)
    return [
        store.create(
            NewTicket(f"VPN certificate error {i}", "Secure Client", "a@example.com")
        ).number
        for i in range(3)
    ]


def test_a_problem_gets_a_number_and_its_incidents(
    engine: sqlalchemy.Engine, tickets: list[str]
) -> None:
    store = ProblemStore(engine)
    problem = store.open("VPN root certificate expired", "priya@example.com", incidents=tickets[:2])
    assert problem.number == "PRB-000001"
    assert problem.status == "investigating" and problem.open and not problem.announced
    assert problem.public_title == "VPN root certificate expired"
    assert problem.incidents == tuple(tickets[:2])
    assert problem.created_by == "priya@example.com"
    second = store.open("Other", None, public_title="Printing on floor 3")
    assert second.number == "PRB-000002" and second.public_title == "Printing on floor 3"
    assert store.get("prb-000001") == problem


def test_linking_twice_changes_nothing_and_unlinking_removes(
    engine: sqlalchemy.Engine, tickets: list[str]
) -> None:
    store = ProblemStore(engine)
    number = store.open("VPN", None).number
    store.link(number, tickets[2], "priya")
    linked = store.link(number, tickets[2].lower(), "priya")
    assert linked.incidents == (tickets[2],)
    assert store.problems_of() == {tickets[2]: [number]}
    assert store.problems_of([tickets[0]]) == {}
    assert store.subjects(number) == ["VPN certificate error 2"]
    assert store.unlink(number, tickets[2]).incidents == ()


def test_unknown_tickets_and_problems_are_refused_with_what_to_give(
    engine: sqlalchemy.Engine, tickets: list[str]
) -> None:
    store = ProblemStore(engine)
    with pytest.raises(InvalidInputError, match="no ticket INC-999999"):
        store.open("VPN", None, incidents=[tickets[0], "INC-999999"])
    assert store.count() == 0
    with pytest.raises(NotFoundError, match="no problem PRB-000042"):
        store.link("PRB-000042", tickets[0], None)
    with pytest.raises(InvalidInputError, match="title"):
        store.open("   ", None)
    number = store.open("VPN", None).number
    with pytest.raises(InvalidInputError, match="status must be one of"):
        store.update(number, status="fixed")


def test_announced_problems_are_open_ones_and_closing_withdraws_them(
    engine: sqlalchemy.Engine,
) -> None:
    store = ProblemStore(engine)
    vpn = store.open("VPN", None).number
    store.open("Printer", None)
    store.update(vpn, announced=True, status="known_error", owner="priya@example.com")
    assert [problem.number for problem in store.announced()] == [vpn]
    assert store.get(vpn).owner == "priya@example.com"
    resolved = store.update(vpn, status="resolved")
    assert not resolved.announced and store.announced() == []
    assert [problem.number for problem in store.find(["resolved"])] == [vpn]


def test_joins_count_distinct_visits_per_problem(engine: sqlalchemy.Engine) -> None:
    store = ProblemStore(engine)
    events = EventStore(engine)
    now = datetime.now(UTC)
    for session, problem in [
        ("a", "PRB-000001"),
        ("a", "PRB-000001"),
        ("b", "PRB-000001"),
        ("b", "PRB-000002"),
    ]:
        events.record(ProblemJoined(session_id=session, at=now, problem=problem))
    assert store.joined() == {"PRB-000001": 2, "PRB-000002": 1}
    assert store.joined(["PRB-000002"]) == {"PRB-000002": 1}
