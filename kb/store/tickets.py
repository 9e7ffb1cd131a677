"""The ticket store: file tickets with what the requester tried, and read them back by number."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from kb.errors import NotFoundError
from kb.model import Ticket
from kb.notifications import Notification, to_assignee, to_requester
from kb.store import index_queue, outbox
from kb.store.tables import TicketNoteRow, TicketRow
from kb.store.ticket_records import Note, StoredTicket, TicketQuery, stored_ticket
from kb.workflow import (
    KNOWLEDGE_STATUSES,
    PRIORITIES,
    UNASSIGNED,
    NewTicket,
    check_change,
    check_new_ticket,
    check_note,
    check_reopen,
    check_resolution,
    check_sort,
    status_after_assignment,
    ticket_number,
)

__all__ = ["NewTicket", "Note", "StoredTicket", "TicketQuery", "TicketStore"]

# The column each of the queue's sort keys (kb.workflow.SORT_KEYS) sorts by; a store test
# checks that every key has one.
SORTS = {
    "created": TicketRow.created,
    "updated": TicketRow.updated,
    "priority": TicketRow.priority,
    "status": TicketRow.status,
    "number": TicketRow.id,
}


class TicketStore:
    """Tickets in the store's database; one short transaction per call.

    With `notify`, each change someone should hear about (kb.notifications) is written to the
    mail outbox in the change's own transaction, and `on_notified` is called once it commits.
    """

    def __init__(
        self,
        engine: sqlalchemy.Engine,
        *,
        notify: bool = False,
        on_notified: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.notify = notify
        self.on_notified = on_notified

    def _record(self, session: Session, notifications: Iterable[Notification]) -> bool:
        return self.notify and outbox.record(session, notifications) > 0

    def _notified(self, recorded: bool) -> None:
        if recorded and self.on_notified is not None:
            self.on_notified()

    def create(self, ticket: NewTicket) -> StoredTicket:
        """File a ticket with status "new" and return it with its number.

        Raises InvalidInputError when kb.workflow finds a problem with the ticket.
        """
        check_new_ticket(ticket)
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
                updated=datetime.now(UTC),
                trail=dict(ticket.trail),
                priority=ticket.priority or "medium",
                language=ticket.language,
                shareable=False,
            )
            session.add(row)
            session.flush()
            row.number = ticket_number(ticket.type, row.id)
            stored = stored_ticket(row)
            recorded = self._record(
                session,
                to_requester(
                    "received",
                    stored.number,
                    stored.requester_email,
                    stored.language,
                    stored.subject,
                ),
            )
        self._notified(recorded)
        return stored

    def get(self, number: str) -> StoredTicket | None:
        """The ticket with this number (any letter case), or None."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(TicketRow).where(TicketRow.number == number.strip().upper())
            ).one_or_none()
            return None if row is None else stored_ticket(row)

    def move_help_session(self, old: str, new: str) -> None:
        """Tickets filed in help session `old` belong to `new` (the visit was given a new id)."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                sqlalchemy.update(TicketRow)
                .where(TicketRow.help_session == old)
                .values(help_session=new)
            )

    def count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(TicketRow)) or 0

    def find(self, query: TicketQuery) -> tuple[list[StoredTicket], int]:
        """The tickets matching `query` (one page of them) and how many match in all."""
        statement = select(TicketRow)
        if query.statuses:
            statement = statement.where(TicketRow.status.in_(query.statuses))
        if query.types:
            statement = statement.where(TicketRow.type.in_(query.types))
        if query.priorities:
            statement = statement.where(TicketRow.priority.in_(query.priorities))
        if query.categories:
            statement = statement.where(TicketRow.category.in_(query.categories))
        if query.assignee == UNASSIGNED:
            statement = statement.where(TicketRow.assignee.is_(None))
        elif query.assignee:
            statement = statement.where(TicketRow.assignee == query.assignee)
        if query.requester_email:
            statement = statement.where(
                func.lower(TicketRow.requester_email) == query.requester_email.lower()
            )
        if query.linked_article:
            statement = statement.where(TicketRow.linked_article == query.linked_article)
        for word in query.text.split()[:8]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            statement = statement.where(
                or_(
                    TicketRow.subject.ilike(pattern, escape="\\"),
                    TicketRow.description.ilike(pattern, escape="\\"),
                    TicketRow.number.ilike(pattern, escape="\\"),
                    TicketRow.requester_email.ilike(pattern, escape="\\"),
                )
            )
        column_name = check_sort(query.sort).lstrip("-")
        column: Any = SORTS[column_name]
        if column_name == "priority":
            column = case({name: rank for rank, name in enumerate(PRIORITIES)}, value=column)
        order = column.desc() if query.sort.startswith("-") else column.asc()
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
            rows = session.scalars(
                statement.order_by(order, TicketRow.id.desc())
                .limit(query.limit)
                .offset(query.offset)
            )
            return [stored_ticket(row) for row in rows], total

    def categories(self) -> list[str]:
        with Session(self.engine) as session:
            found = session.scalars(
                select(TicketRow.category).where(TicketRow.category.is_not(None)).distinct()
            )
            return sorted(str(category) for category in found)

    def update(
        self,
        number: str,
        actor: str | None,
        *,
        status: str | None = None,
        priority: str | None = None,
        assignee: str | None = None,
        unassign: bool = False,
        category: str | None = None,
    ) -> StoredTicket:
        """Change the ticket's fields; each change is noted on its timeline.

        Resolving needs a resolution note: use `resolve`. NotFoundError for an unknown number.
        """
        check_change(status, priority)
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            changes = []
            newly_assigned = None
            if status is not None and status != row.status:
                changes.append(f"status {row.status} → {status}")
                row.status = status
            if priority is not None and priority != row.priority:
                changes.append(f"priority {row.priority or 'none'} → {priority}")
                row.priority = priority
            if unassign and row.assignee is not None:
                changes.append(f"unassigned from {row.assignee}")
                row.assignee = None
            elif assignee is not None and assignee != row.assignee:
                changes.append(f"assigned to {assignee}")
                row.assignee = newly_assigned = assignee
                row.status = status_after_assignment(row.status)
            if category is not None and category != (row.category or ""):
                changes.append(f"category → {category or 'none'}")
                row.category = category or None
            if changes:
                _note(session, row, "change", actor, "; ".join(changes))
            stored = stored_ticket(row)
            recorded = newly_assigned is not None and self._record(
                session, to_assignee(stored.number, newly_assigned, actor, stored.subject)
            )
        self._notified(recorded)
        return stored

    def add_note(self, number: str, kind: str, author: str | None, body: str) -> Note:
        body = check_note(kind, body)
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            note = _note(session, row, kind, author, body)
            recorded = kind == "reply" and self._record(
                session,
                to_requester(
                    "answered",
                    row.number,
                    row.requester_email,
                    row.language or "en",
                    row.subject,
                    body,
                ),
            )
        self._notified(recorded)
        return note

    def notes(self, number: str) -> list[Note]:
        with Session(self.engine) as session:
            row = _row(session, number)
            rows = session.scalars(
                select(TicketNoteRow)
                .where(TicketNoteRow.ticket_id == row.id)
                .order_by(TicketNoteRow.at, TicketNoteRow.id)
            )
            return [Note(kind=n.kind, author=n.author, at=n.at, body=n.body) for n in rows]

    def resolve(
        self,
        number: str,
        actor: str | None,
        resolution: str,
        *,
        shareable: bool = False,
        linked_article: str | None = None,
    ) -> StoredTicket:
        """Mark the ticket resolved with the note that says what fixed it."""
        resolution = check_resolution(resolution)
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            row.status = "resolved"
            row.resolution = resolution
            row.shareable = shareable
            row.resolved = datetime.now(UTC)
            if row.assignee is None and actor:
                row.assignee = actor  # whoever resolves an unassigned ticket owns it
            if linked_article:
                row.linked_article = linked_article
            _note(session, row, "change", actor, "resolved" + (" (shareable)" if shareable else ""))
            # Its note is indexed from the queue, so a busy index loses nothing.
            index_queue.enqueue(session, row.number)
            stored = stored_ticket(row)
            recorded = self._record(
                session,
                to_requester(
                    "resolved",
                    stored.number,
                    stored.requester_email,
                    stored.language,
                    stored.subject,
                    resolution,
                ),
            )
        self._notified(recorded)
        return stored

    def reopen(self, number: str, actor: str | None, reason: str = "") -> StoredTicket:
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            check_reopen(row.number, row.status)
            row.status = "open"
            row.resolved = None
            text = "reopened" + (f": {reason.strip()}" if reason.strip() else "")
            _note(session, row, "change", actor, text)
            index_queue.enqueue(session, row.number)
            return stored_ticket(row)

    def link_article(self, number: str, actor: str | None, article_id: str | None) -> StoredTicket:
        """Record the article that solved the ticket (None removes the link)."""
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            if article_id != row.linked_article:
                row.linked_article = article_id
                text = f"linked article {article_id}" if article_id else "removed the article link"
                _note(session, row, "change", actor, text)
            return stored_ticket(row)

    def knowledge(self) -> list[Ticket]:
        """Every resolved ticket with a resolution note, as knowledge to index."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(TicketRow)
                .where(TicketRow.status.in_(KNOWLEDGE_STATUSES))
                .order_by(TicketRow.id)
            )
            found = [stored_ticket(row).knowledge() for row in rows]
            return [ticket for ticket in found if ticket is not None]

    def imported(self) -> dict[str, str]:
        """Every imported ticket's id in the other tool, with the kb number it has here."""
        with Session(self.engine) as session:
            found = session.execute(
                select(TicketRow.external_id, TicketRow.number).where(
                    TicketRow.external_id.is_not(None)
                )
            )
            return {str(external_id): number for external_id, number in found}

    def import_tickets(self, tickets: list[Ticket], actor: str | None = None) -> list[StoredTicket]:
        """Add tickets exported from another tool, all in one transaction (all or none).

        A ticket with a resolution arrives resolved, and is queued for the index with the
        import; its id in the other tool is kept as `external_id`, and a ticket imported
        before under the same id is skipped.
        """
        stored = []
        with Session(self.engine) as session, session.begin():
            known = set(
                session.scalars(
                    select(TicketRow.external_id).where(TicketRow.external_id.is_not(None))
                )
            )
            for ticket in tickets:
                if ticket.id in known:
                    continue
                known.add(ticket.id)
                created = ticket.opened or datetime.now(UTC)
                row = TicketRow(
                    number=uuid.uuid4().hex,
                    type=ticket.type,
                    status="resolved" if ticket.resolution else "new",
                    subject=ticket.subject,
                    description=ticket.description,
                    category=ticket.category,
                    requester_name=None,
                    requester_email=ticket.requester or "unknown@imported.invalid",
                    created=created,
                    updated=ticket.resolved or created,
                    trail={},
                    priority=ticket.priority,
                    assignee=ticket.assignee,
                    resolution=ticket.resolution or None,
                    shareable=ticket.shareable,
                    resolved=(ticket.resolved or created) if ticket.resolution else None,
                    language=ticket.language,
                    external_id=ticket.id,
                )
                session.add(row)
                session.flush()
                row.number = ticket_number(ticket.type, row.id)
                _note(session, row, "change", actor, f"imported from {ticket.id}")
                if row.resolution:
                    # Indexed from the queue, as a resolution is: a busy index loses nothing.
                    index_queue.enqueue(session, row.number)
                stored.append(stored_ticket(row))
        return stored


def _row(session: Session, number: str) -> TicketRow:
    row = session.scalars(
        select(TicketRow).where(TicketRow.number == number.strip().upper())
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"there is no ticket {number.strip().upper()}")
    return row


def _note(session: Session, row: TicketRow, kind: str, author: str | None, body: str) -> Note:
    now = datetime.now(UTC)
    row.updated = now
    session.add(TicketNoteRow(ticket_id=row.id, kind=kind, author=author, at=now, body=body))
    return Note(kind=kind, author=author, at=now, body=body)
