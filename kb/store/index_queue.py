"""The index queue: knowledge that changed, kept until the index has caught up.

A resolved, reopened or imported ticket is queued in the change's own transaction, so a
change the index could not take at once (another writer held its lock) is not lost by a
restart; an article saved while the index was locked is queued by its file's path. The
queue is drained by kb.knowledge_queue (the portal workers, and `kb index`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kb.store.tables import IndexQueueRow


def enqueue(session: Session, ticket: str) -> None:
    """Queue the ticket numbered `ticket` inside the caller's transaction."""
    session.add(IndexQueueRow(ticket=ticket, queued=datetime.now(UTC)))


@dataclass(frozen=True)
class Pending:
    """The tickets and article files waiting, each once, and the last queue row read: rows up
    to it are done once those are indexed as they are now (rows queued later stay)."""

    tickets: tuple[str, ...]
    articles: tuple[str, ...]
    last_row: int


class IndexQueue:
    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def pending(self) -> Pending | None:
        """What waits to be indexed, oldest first; None when nothing does."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(IndexQueueRow.id, IndexQueueRow.ticket, IndexQueueRow.article).order_by(
                    IndexQueueRow.id
                )
            ).all()
        if not rows:
            return None
        return Pending(
            tuple(dict.fromkeys(row.ticket for row in rows if row.ticket is not None)),
            tuple(dict.fromkeys(row.article for row in rows if row.article is not None)),
            rows[-1].id,
        )

    def add_article(self, path: str) -> None:
        """Queue the article file at `path` (relative to the articles folder) in a
        transaction of its own: the file is already written."""
        with Session(self.engine) as session, session.begin():
            session.add(IndexQueueRow(article=path, queued=datetime.now(UTC)))

    def last_row(self) -> int:
        """The newest row's id (0 when empty): what a full index started now covers."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.max(IndexQueueRow.id))) or 0)

    def done(self, last_row: int) -> None:
        """Forget every row up to `last_row`: the index now holds what they asked for."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(IndexQueueRow).where(IndexQueueRow.id <= last_row))

    def articles_waiting(self) -> set[str]:
        """The paths (relative to the articles folder) of the article files still queued."""
        with Session(self.engine) as session:
            found = session.scalars(
                select(IndexQueueRow.article).where(IndexQueueRow.article.is_not(None)).distinct()
            )
            return {str(path) for path in found}

    def waiting(self, tickets: Iterable[str]) -> set[str]:
        """Those of `tickets` still queued: their note is not yet in the index as it is now."""
        numbers = list(tickets)
        if not numbers:
            return set()
        with Session(self.engine) as session:
            found = session.scalars(
                select(IndexQueueRow.ticket).where(IndexQueueRow.ticket.in_(numbers)).distinct()
            )
            return {str(ticket) for ticket in found if ticket is not None}
