"""What the ticket store hands out: a stored ticket, a timeline note, a queue query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kb.model import Ticket
from kb.store.tables import TicketRow
from kb.workflow import KNOWLEDGE_STATUSES


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
    priority: str | None = None
    assignee: str | None = None
    resolution: str | None = None
    shareable: bool = False
    linked_article: str | None = None
    resolved: datetime | None = None
    updated: datetime | None = None
    language: str = "en"
    external_id: str | None = None

    @property
    def document_id(self) -> str:
        return f"ticket:{self.number}"

    def knowledge(self) -> Ticket | None:
        """The resolved ticket as knowledge to index, or None while it is not resolved."""
        if self.status not in KNOWLEDGE_STATUSES or not (self.resolution or "").strip():
            return None
        return Ticket(
            id=self.number,
            subject=self.subject,
            description=self.description,
            resolution=self.resolution or "",
            category=self.category,
            type=self.type,
            priority=self.priority,
            opened=self.created,
            resolved=self.resolved,
            shareable=self.shareable,
            language=self.language or "en",
        )


@dataclass(frozen=True)
class Note:
    """An entry on a ticket's timeline."""

    kind: str  # "internal", "reply" or "change"
    author: str | None
    at: datetime
    body: str


@dataclass(frozen=True)
class TicketQuery:
    """What the queue shows: every field filters when set; `text` searches subject and body."""

    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # An email, or UNASSIGNED for tickets nobody holds.
    assignee: str | None = None
    requester_email: str | None = None
    linked_article: str | None = None
    text: str = ""
    sort: str = "-created"
    limit: int = 50
    offset: int = 0


def stored_ticket(row: TicketRow) -> StoredTicket:
    """The store's row as the record the rest of kb reads."""
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
        priority=row.priority,
        assignee=row.assignee,
        resolution=row.resolution,
        shareable=bool(row.shareable),
        linked_article=row.linked_article,
        resolved=row.resolved,
        updated=row.updated or row.created,
        language=row.language or "en",
        external_id=row.external_id,
    )
