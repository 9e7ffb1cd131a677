"""The SQL tables behind the ticket and event stores, as SQLAlchemy 2 declarative classes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine.

    SQLite keeps no offset, so there the time is stored as naive UTC and read back as UTC;
    PostgreSQL stores `timestamp with time zone`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("kb stores only timezone-aware times, e.g. datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime(),
        # JSONB on PostgreSQL can be indexed and compared; plain JSON text elsewhere.
        dict[str, Any]: JSON().with_variant(JSONB(), "postgresql"),
    }


class TicketRow(Base):
    """A ticket filed through the portal or by an agent."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # "INC-000042": the type's prefix and the id; unique, the number people quote.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="new")
    subject: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None]
    requester_name: Mapped[str | None]
    requester_email: Mapped[str]
    help_session: Mapped[str | None] = mapped_column(index=True)
    created: Mapped[datetime] = mapped_column(default=lambda: datetime.now(UTC))
    # What the requester tried before filing: searches, suggestions shown and viewed.
    trail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The desk's fields; nullable so that databases made before the desk gain them in place.
    priority: Mapped[str | None] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    shareable: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The article that solved it (the KCS link).
    linked_article: Mapped[str | None] = mapped_column(index=True)
    resolved: Mapped[datetime | None]
    updated: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    # The ticket's id in the tool it was imported from.
    external_id: Mapped[str | None] = mapped_column(index=True)


class TicketNoteRow(Base):
    """An internal note, a reply to the requester, or a change the desk made, on one ticket."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str | None]
    at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """Someone who signs in: a requester, agent, manager or admin (or several)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None]
    password_hash: Mapped[str] = mapped_column(String(256))
    # Role names separated by spaces, e.g. "agent manager".
    roles: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    created: Mapped[datetime]


class SignInRow(Base):
    """A browser signed in: its cookie carries the secret, of which only the digest is kept.

    Signing out deletes the row; a new password or deactivation deletes all the user's, so a
    cookie saved before opens nothing.
    """

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(index=True)


class ApiTokenRow(Base):
    """An integration's bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown so that people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime]
    last_used: Mapped[datetime | None]
    revoked: Mapped[datetime | None]


class LoginFailureRow(Base):
    """A failed sign-in, kept for a while to slow down password guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime]


class RevisionRow(Base):
    """One saved version of an article file: who, when, why, and the whole text."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(200), index=True)
    number: Mapped[int]
    author: Mapped[str | None]
    at: Mapped[datetime]
    message: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))


class FlagRow(Base):
    """An agent's report that an article is wrong or outdated, open until someone clears it."""

    __tablename__ = "article_flags"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    flagged_by: Mapped[str | None]
    at: Mapped[datetime]
    cleared: Mapped[datetime | None]
    cleared_by: Mapped[str | None]


class EventRow(Base):
    """One help-session event; see kb.events for the kinds and their data."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_kind_at", "kind", "at"),
        # A session's events of one kind in time order: outcomes, clicks, the holdout flag.
        Index("ix_events_session_kind_at", "session_id", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    article_id: Mapped[str | None] = mapped_column(index=True)
    ticket_id: Mapped[str | None] = mapped_column(index=True)
    query: Mapped[str | None] = mapped_column(Text)
    # What the event was about, for the managers' filters; see kb.events.Event.
    category: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProblemRow(Base):
    """A problem (ITIL problem management): the cause behind recurring incidents.

    `title` and `notes` are the desk's; requesters see only `public_title` and the status,
    and only while `announced` (a known issue).
    """

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # "PRB-000001": unique, the number people quote.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text)
    public_title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    owner: Mapped[str | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    announced: Mapped[bool] = mapped_column(default=False, server_default=false())
    created: Mapped[datetime]
    created_by: Mapped[str | None]
    updated: Mapped[datetime]


class ProblemIncidentRow(Base):
    """An incident linked to a problem, and who linked it when."""

    __tablename__ = "problem_incidents"
    __table_args__ = (UniqueConstraint("problem_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    linked_by: Mapped[str | None]
    at: Mapped[datetime]


class ThresholdChangeRow(Base):
    """An admin's change of a portal threshold: the newest row of a name is its value."""

    __tablename__ = "threshold_changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[float]
    changed_by: Mapped[str]
    changed_at: Mapped[datetime]


class GapDismissalRow(Base):
    """A content gap a manager dismissed: searches this close in meaning are left out of the
    gaps report (kb.insights.gaps)."""

    __tablename__ = "gap_dismissals"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # SHA-256 of the gap's words whatever their case and spacing (kb.insights.searches.query_key).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    dismissed_by: Mapped[str]
    dismissed_at: Mapped[datetime]


class IndexGenerationRow(Base):
    """An index generation kept in PostgreSQL (index_store `postgresql`): tables named after it.

    Made by a full build; updated in place by every later change, each in one transaction.
    """

    __tablename__ = "index_generations"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimension: Mapped[int]
    created: Mapped[datetime]
    # What the publishing writer recorded: fingerprint, counts, time; null while building.
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")


class IndexStateRow(Base):
    """The one row saying which generation searches use; `version` grows with every change."""

    __tablename__ = "index_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    current: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=0)


class EventItemRow(Base):
    """A document an event names in a list, one row each, so reports count them in SQL:
    every suggestion shown (`shown`, with its rank and probability) and every viewed article
    a ticket counts against (`failed`). Written with the event, deleted with it."""

    __tablename__ = "event_items"
    __table_args__ = (
        Index("ix_event_items_role_at", "role", "at"),
        Index("ix_event_items_document_role", "document_id", "role"),
        Index("ix_event_items_session_role", "session_id", "role"),
        # Was this document suggested earlier in the session (kb.insights.sessions)?
        Index("ix_event_items_session_document", "session_id", "role", "document_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str]
    at: Mapped[datetime]
    role: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[str]
    position: Mapped[int] = mapped_column(default=0)
    deflection: Mapped[float | None] = mapped_column(Float)


class SessionRollupRow(Base):
    """One help session as the reports read it: its start and the moments that decide its
    outcome (kb.insights.sessions), computed again from all its events whenever one of them
    is recorded, moved or pruned (kb.insights.session_rollups), so that a report reads one
    row per session instead of every event. Delays are whole microseconds."""

    __tablename__ = "session_rollups"

    session_id: Mapped[str] = mapped_column(primary_key=True)
    started: Mapped[datetime] = mapped_column(index=True)
    holdout: Mapped[bool]
    category: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    # When the outcome's window opened (kb.insights.outcomes.OutcomeTimes.opened), or null.
    opened: Mapped[datetime | None]
    # From the start to the first ticket at or after it (the holdout's comparison).
    ticket_after_start: Mapped[int | None] = mapped_column(BigInteger)
    # From `opened` to the first ticket, confirmation, view of a suggestion, known issue joined.
    ticket_after_opened: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_after_opened: Mapped[int | None] = mapped_column(BigInteger)
    viewed_after_opened: Mapped[int | None] = mapped_column(BigInteger)
    joined_after_opened: Mapped[int | None] = mapped_column(BigInteger)


class StaleSessionRow(Base):
    """A session whose events changed since its roll-up was computed: written in the same
    transaction as the change, taken (deleted) by the refresh that computes it again."""

    __tablename__ = "stale_sessions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[str]


class SessionRollupStateRow(Base):
    """The one row every roll-up refresh updates first: it holds refreshes to one at a time."""

    __tablename__ = "session_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed: Mapped[datetime | None]


class OutboxRow(Base):
    """A notification to mail (kb.notifications), written with the change it is about.

    Senders claim a row by moving `next_attempt` past their lease, so several processes can
    send from one outbox without sending anything twice; `sent` is set once it is delivered,
    `failed` once kb stops trying.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent", "failed", "next_attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(16))
    ticket: Mapped[str] = mapped_column(String(32), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent: Mapped[datetime | None]
    failed: Mapped[datetime | None]


class IndexQueueRow(Base):
    """A ticket whose note must be indexed again (resolved) or taken out (reopened), written
    with the change, or an article file saved while the index was locked (its path under the
    articles folder); a row is deleted once the index holds what it names as it was then."""

    __tablename__ = "index_queue"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket: Mapped[str | None] = mapped_column(String(32), index=True)
    article: Mapped[str | None] = mapped_column(String(1000))
    queued: Mapped[datetime]
