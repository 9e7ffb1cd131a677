"""The mail outbox: notifications recorded with their change, claimed and marked by senders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.notifications import Notification
from kb.store.tables import OutboxRow

# Each failed attempt waits longer: 1, 2, 4 … minutes, at most an hour; after MAX_ATTEMPTS
# (about 15 hours of trying) the message is marked failed and kept for the operator.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 20
MAX_ERROR_CHARACTERS = 500


@dataclass(frozen=True)
class OutboxMessage:
    """A claimed notification: the sender words it, sends it and reports back by `id`."""

    id: int
    notification: Notification
    attempts: int


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    sent: int
    failed: int


def record(session: Session, notifications: Iterable[Notification]) -> int:
    """Add `notifications` to the outbox inside the caller's transaction; how many."""
    now = datetime.now(UTC)
    count = 0
    for item in notifications:
        session.add(
            OutboxRow(
                kind=item.kind,
                recipient=item.recipient,
                language=item.language,
                ticket=item.ticket,
                details=dict(item.details),
                created=now,
                attempts=0,
                next_attempt=now,
            )
        )
        count += 1
    return count


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    doublings = min(max(attempts - 1, 0), 10)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


class Outbox:
    """The outbox in the store's database; one short transaction per call."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def claim(
        self, lease: timedelta, limit: int = 20, now: datetime | None = None
    ) -> list[OutboxMessage]:
        """Up to `limit` due messages, each now held by this caller for `lease`.

        A message is claimed by moving its next attempt to the end of the lease, in one
        conditional update: of two senders, only one changes the row. A sender that dies
        holding a message frees it when the lease runs out.
        """
        now = now or datetime.now(UTC)
        with Session(self.engine) as session:
            due = list(
                session.scalars(
                    select(OutboxRow.id)
                    .where(
                        OutboxRow.sent.is_(None),
                        OutboxRow.failed.is_(None),
                        OutboxRow.next_attempt <= now,
                    )
                    .order_by(OutboxRow.next_attempt, OutboxRow.id)
                    .limit(limit)
                )
            )
        claimed = []
        for row_id in due:
            with Session(self.engine) as session, session.begin():
                taken = session.execute(
                    sqlalchemy.update(OutboxRow)
                    .where(
                        OutboxRow.id == row_id,
                        OutboxRow.sent.is_(None),
                        OutboxRow.failed.is_(None),
                        OutboxRow.next_attempt <= now,
                    )
                    .values(next_attempt=now + lease, attempts=OutboxRow.attempts + 1)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                row = session.get_one(OutboxRow, row_id)
                claimed.append(
                    OutboxMessage(
                        id=row.id,
                        notification=Notification(
                            row.kind, row.recipient, row.language, row.ticket, dict(row.details)
                        ),
                        attempts=row.attempts,
                    )
                )
        return claimed

    def delivered(self, message_id: int) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get_one(OutboxRow, message_id)
            row.sent = datetime.now(UTC)
            row.last_error = None

    def undelivered(
        self, message_id: int, error: str, now: datetime | None = None, *, final: bool = False
    ) -> bool:
        """Record a failed attempt; True when it will be tried again, False when given up
        (after MAX_ATTEMPTS, or at once when `final`)."""
        now = now or datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            row = session.get_one(OutboxRow, message_id)
            row.last_error = error[:MAX_ERROR_CHARACTERS]
            if final or row.attempts >= MAX_ATTEMPTS:
                row.failed = now
                return False
            row.next_attempt = now + retry_delay(row.attempts)
            return True

    def next_due(self) -> datetime | None:
        """When the earliest message still to send is due (None: nothing to send)."""
        with Session(self.engine) as session:
            return session.scalar(
                select(func.min(OutboxRow.next_attempt)).where(
                    OutboxRow.sent.is_(None), OutboxRow.failed.is_(None)
                )
            )

    def counts(self) -> OutboxCounts:
        with Session(self.engine) as session:
            sent = func.count(OutboxRow.sent)
            failed = func.count(OutboxRow.failed)
            total, sent_count, failed_count = session.execute(
                select(func.count(), sent, failed).select_from(OutboxRow)
            ).one()
            return OutboxCounts(
                pending=total - sent_count - failed_count, sent=sent_count, failed=failed_count
            )
