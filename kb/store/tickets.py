"""The ticket store: file tickets with what the requester tried, and read them back by number."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.errors import QueryError
from kb.model import TICKET_TYPES
from kb.store.tables import TicketRow

TICKET_PREFIXES = {"incident": "INC", "service_request": "REQ", "question": "QST"}


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


@dataclass(frozen=True)
class StoredTicket:
    """A ticket as the store holds it, under its number."""

    number: str
    type: str
    status: str
    subject: str
    description: str
    category: str | None
    requester_name: str | None
    requester_email: str
    created: datetime
    trail: Mapping[str, Any]
    help_session: str | None = None


def ticket_number(ticket_type: str, ticket_id: int) -> str:
    """The number people quote: the type's prefix and the id in six digits, e.g. REQ-000042."""
    return f"{TICKET_PREFIXES[ticket_type]}-{ticket_id:06d}"


class TicketStore:
    """Tickets in the store's database; one short transaction per call."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def create(self, ticket: NewTicket) -> StoredTicket:
        """File a ticket with status "new" and return it with its number.

        Raises QueryError for an unknown type, a blank subject or requester email, or a
        trail that is not JSON.
        """
        _validate(ticket)
        with Session(self.engine) as session, session.begin():
            row = TicketRow(
                # The number needs the id, which the insert assigns; a unique placeholder
                # holds its place inside this transaction, so no reader ever sees it.
                number=uuid.uuid4().hex,
                type=ticket.type,
                status="new",
                subject=ticket.subject.strip(),
                description=ticket.description,
                category=ticket.category,
                requester_name=ticket.requester_name,
                requester_email=ticket.requester_email.strip(),
                help_session=ticket.help_session,
                created=datetime.now(UTC),
                trail=dict(ticket.trail),
            )
            session.add(row)
            session.flush()
            row.number = ticket_number(ticket.type, row.id)
            return _stored(row)

    def get(self, number: str) -> StoredTicket | None:
        """The ticket with this number (any letter case), or None."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(TicketRow).where(TicketRow.number == number.strip().upper())
            ).one_or_none()
            return None if row is None else _stored(row)

    def count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(TicketRow)) or 0


def _validate(ticket: NewTicket) -> None:
    if ticket.type not in TICKET_TYPES:
        raise QueryError(
            f"unknown ticket type {ticket.type!r}; use one of {', '.join(TICKET_TYPES)}"
        )
    if not ticket.subject.strip():
        raise QueryError("a ticket needs a subject: say in a few words what is wrong")
    if not ticket.requester_email.strip():
        raise QueryError("a ticket needs the requester's email, so the desk can reply")
    try:
        json.dumps(ticket.trail)
    except (TypeError, ValueError) as error:
        raise QueryError(f"ticket trail is not JSON-serialisable: {error}") from None


def _stored(row: TicketRow) -> StoredTicket:
    return StoredTicket(
        number=row.number,
        type=row.type,
        status=row.status,
        subject=row.subject,
        description=row.description,
        category=row.category,
        requester_name=row.requester_name,
        requester_email=row.requester_email,
        created=row.created,
        trail=dict(row.trail),
        help_session=row.help_session,
    )
