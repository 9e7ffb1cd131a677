"""kb.workflow, the ticket rules every edge and the store share, as tables."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb.errors import ConflictError, InvalidInputError
from kb.workflow import (
    MAX_SUBJECT_CHARACTERS,
    NewTicket,
    check_change,
    check_new_ticket,
    check_note,
    check_reopen,
    check_resolution,
    check_sort,
    new_ticket_problems,
    status_after_assignment,
    ticket_number,
)

GOOD = NewTicket("VPN drops", "Every few minutes.", "ana@example.com")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({}, []),
        ({"subject": " "}, ["subject"]),
        ({"subject": "x" * (MAX_SUBJECT_CHARACTERS + 1)}, ["subject"]),
        ({"description": ""}, ["description"]),
        ({"requester_email": "ana"}, ["requester_email"]),
        ({"type": "bug"}, ["type"]),
        ({"priority": "urgent"}, ["priority"]),
        ({"category": "c" * 101}, ["category"]),
        (
            {"subject": "", "requester_email": "", "type": "bug"},
            ["subject", "requester_email", "type"],
        ),
    ],
)
def test_a_new_ticket_gets_one_problem_per_field(changes: dict, fields: list[str]) -> None:
    problems = new_ticket_problems(replace(GOOD, **changes))
    assert [problem.field for problem in problems] == fields
    for problem in problems:
        assert f"`{problem.field}`" in str(problem)


def test_the_first_problem_is_raised() -> None:
    assert check_new_ticket(GOOD) is GOOD
    with pytest.raises(InvalidInputError, match="`subject`"):
        check_new_ticket(replace(GOOD, subject="", type="bug"))


@pytest.mark.parametrize(
    ("status", "priority", "problem"),
    [
        ("open", "high", None),
        (None, None, None),
        ("resolved", None, "resolve a ticket with a resolution note"),
        ("closed", None, "resolve a ticket with a resolution note"),
        ("done", None, "`status` must be one of: new, open, pending"),
        (None, "urgent", "`priority` must be one of: low, medium, high, critical"),
    ],
)
def test_what_an_agent_may_change_by_hand(status, priority, problem) -> None:
    if problem is None:
        check_change(status, priority)
    else:
        with pytest.raises(InvalidInputError, match=problem):
            check_change(status, priority)


def test_notes_resolutions_reopening_sorting_and_numbers() -> None:
    assert check_note("reply", "  thanks  ") == "thanks"
    with pytest.raises(InvalidInputError, match="the note is empty"):
        check_note("internal", "  ")
    with pytest.raises(InvalidInputError, match="`kind` must be one of"):
        check_note("memo", "text")
    assert check_resolution(" restarted the spooler ") == "restarted the spooler"
    with pytest.raises(InvalidInputError, match="needs a resolution note"):
        check_resolution("")
    check_reopen("INC-000001", "resolved")
    with pytest.raises(ConflictError, match="INC-000001 is open, not resolved"):
        check_reopen("INC-000001", "open")
    assert check_sort("-priority") == "-priority"
    for bad in ("--created", "colour", ""):
        with pytest.raises(InvalidInputError, match="`sort` must be one of"):
            check_sort(bad)
    assert status_after_assignment("new") == "open"
    assert status_after_assignment("pending") == "pending"
    assert ticket_number("service_request", 42) == "REQ-000042"
