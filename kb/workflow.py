"""The ticket workflow: its words, what a new ticket needs, which changes are allowed. Pure.

The store applies these rules to every write, whichever edge (portal form, JSON API, desk page,
`kb import`) it came from; the edges use the same names for their choices and messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kb.errors import ConflictError, InvalidInputError
from kb.validation import EMAIL, choice

TICKET_TYPES = ("incident", "service_request", "question")
TICKET_PREFIXES = {"incident": "INC", "service_request": "REQ", "question": "QST"}
TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")
# A ticket in these statuses is knowledge: its resolution note is indexed.
KNOWLEDGE_STATUSES = ("resolved", "closed")
# What an agent may set by hand; resolving needs a note, so it has a call of its own.
SETTABLE_STATUSES = tuple(status for status in TICKET_STATUSES if status not in KNOWLEDGE_STATUSES)
PRIORITIES = ("low", "medium", "high", "critical")
NOTE_KINDS = ("internal", "reply", "change")
# "change" notes are written by kb itself, for each change on the timeline.
AGENT_NOTE_KINDS = ("internal", "reply")
# The queue's assignee filter for tickets nobody holds.
UNASSIGNED = "unassigned"
# What the queue sorts by; a leading "-" sorts descending.
SORT_KEYS = ("created", "updated", "priority", "status", "number")
MAX_SUBJECT_CHARACTERS = 300
MAX_DESCRIPTION_CHARACTERS = 20_000
MAX_RESOLUTION_CHARACTERS = 20_000
MAX_NAME_CHARACTERS = 200
MAX_CATEGORY_CHARACTERS = 100


@dataclass(frozen=True)
class NewTicket:
    """A ticket as the requester files it."""

    subject: str
    description: str
    requester_email: str
    requester_name: str | None = None
    category: str | None = None
    type: str = "incident"
    help_session: str | None = None
    # What the requester tried first: searches, suggestions shown and viewed. JSON.
    trail: Mapping[str, Any] = field(default_factory=dict)
    priority: str | None = None
    language: str = "en"


def ticket_number(ticket_type: str, ticket_id: int) -> str:
    """The number people quote: the type's prefix and the id in six digits, e.g. REQ-000042."""
    return f"{TICKET_PREFIXES[ticket_type]}-{ticket_id:06d}"


def new_ticket_problems(ticket: NewTicket) -> list[InvalidInputError]:
    """Everything wrong with a new ticket, one error per field (empty when it may be filed).

    The request form shows them all at once; the API and the store raise the first.
    """
    problems = []
    if not ticket.subject.strip():
        problems.append(
            InvalidInputError(
                "`subject` is empty: say in a few words what is wrong", field="subject"
            )
        )
    elif len(ticket.subject) > MAX_SUBJECT_CHARACTERS:
        problems.append(
            InvalidInputError(
                f"keep the `subject` under {MAX_SUBJECT_CHARACTERS} characters",
                field="subject",
                key="subject_too_long",
                limit=MAX_SUBJECT_CHARACTERS,
            )
        )
    if not ticket.description.strip():
        problems.append(
            InvalidInputError(
                "`description` is empty: describe the problem or what you need",
                field="description",
            )
        )
    elif len(ticket.description) > MAX_DESCRIPTION_CHARACTERS:
        problems.append(
            InvalidInputError(
                f"keep the `description` under {MAX_DESCRIPTION_CHARACTERS} characters",
                field="description",
                key="description_too_long",
                limit=MAX_DESCRIPTION_CHARACTERS,
            )
        )
    if not EMAIL.match(ticket.requester_email.strip()):
        problems.append(
            InvalidInputError(
                "`requester_email` must be an email address like ana@example.com, "
                "so the desk can reply",
                field="requester_email",
            )
        )
    if len(ticket.requester_name or "") > MAX_NAME_CHARACTERS:
        problems.append(
            InvalidInputError(
                f"keep the `requester_name` under {MAX_NAME_CHARACTERS} characters",
                field="requester_name",
            )
        )
    if len(ticket.category or "") > MAX_CATEGORY_CHARACTERS:
        problems.append(
            InvalidInputError(
                f"keep the `category` under {MAX_CATEGORY_CHARACTERS} characters",
                field="category",
            )
        )
    if ticket.type not in TICKET_TYPES:
        problems.append(
            InvalidInputError(
                f"`type` {ticket.type!r} is unknown; use one of: {', '.join(TICKET_TYPES)}",
                field="type",
            )
        )
    if ticket.priority is not None and ticket.priority not in PRIORITIES:
        problems.append(
            InvalidInputError(
                f"`priority` must be one of: {', '.join(PRIORITIES)}", field="priority"
            )
        )
    try:
        json.dumps(ticket.trail)
    except (TypeError, ValueError) as error:
        problems.append(
            InvalidInputError(f"ticket trail is not JSON-serialisable: {error}", field="trail")
        )
    return problems


def check_new_ticket(ticket: NewTicket) -> NewTicket:
    """`ticket` if it may be filed; else the first of its problems is raised."""
    problems = new_ticket_problems(ticket)
    if problems:
        raise problems[0]
    return ticket


def check_request_text(subject: str, description: str) -> tuple[str, str]:
    """Subject and description of a request still being typed (either may be empty), within a
    ticket's limits, with runs of white space made one space."""
    if len(subject) > MAX_SUBJECT_CHARACTERS:
        raise InvalidInputError(
            f"keep the `subject` under {MAX_SUBJECT_CHARACTERS} characters",
            field="subject",
            key="subject_too_long",
            limit=MAX_SUBJECT_CHARACTERS,
        )
    if len(description) > MAX_DESCRIPTION_CHARACTERS:
        raise InvalidInputError(
            f"keep the `description` under {MAX_DESCRIPTION_CHARACTERS} characters",
            field="description",
            key="description_too_long",
            limit=MAX_DESCRIPTION_CHARACTERS,
        )
    return " ".join(subject.split()), " ".join(description.split())


def check_change(status: str | None, priority: str | None) -> None:
    """A status or priority an agent may set by hand (None: not changed)."""
    if status is not None and status in KNOWLEDGE_STATUSES:
        raise InvalidInputError(
            "resolve a ticket with a resolution note, not by changing its `status`",
            field="status",
        )
    if status is not None:
        choice(status, "status", SETTABLE_STATUSES)
    if priority is not None:
        choice(priority, "priority", PRIORITIES)


def status_after_assignment(status: str) -> str:
    """Someone took the ticket: a new one is open from now on."""
    return "open" if status == "new" else status


def check_note(kind: str, body: str) -> str:
    """The note's text, stripped; it must say something and fit."""
    choice(kind, "kind", NOTE_KINDS)
    body = body.strip()
    if not body:
        raise InvalidInputError("the note is empty: write something first", field="body")
    if len(body) > MAX_RESOLUTION_CHARACTERS:
        raise InvalidInputError(
            f"keep a note under {MAX_RESOLUTION_CHARACTERS} characters", field="body"
        )
    return body


def check_resolution(resolution: str) -> str:
    """The resolution note, stripped: a resolved ticket must say what fixed it."""
    resolution = resolution.strip()
    if not resolution:
        raise InvalidInputError(
            "say what fixed it: a resolved ticket needs a resolution note", field="resolution"
        )
    if len(resolution) > MAX_RESOLUTION_CHARACTERS:
        raise InvalidInputError(
            f"keep the resolution under {MAX_RESOLUTION_CHARACTERS} characters",
            field="resolution",
        )
    return resolution


def check_reopen(number: str, status: str) -> None:
    """Only a resolved (or closed) ticket can be reopened."""
    if status not in KNOWLEDGE_STATUSES:
        raise ConflictError(f"{number} is {status}, not resolved: nothing to reopen")


def check_sort(sort: str) -> str:
    """A queue sort key, optionally with "-" for descending."""
    if sort.lstrip("-") not in SORT_KEYS or sort.startswith("--"):
        raise InvalidInputError(
            f"`sort` must be one of: {', '.join(SORT_KEYS)} (prefix - for descending)",
            field="sort",
        )
    return sort
