"""The SQL tables behind the ticket and event stores, as SQLAlchemy 2 declarative classes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Index, String, Text, TypeDecorator
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


class EventRow(Base):
    """One help-session event; see kb.events for the kinds and their data."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    article_id: Mapped[str | None] = mapped_column(index=True)
    ticket_id: Mapped[str | None] = mapped_column(index=True)
    query: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
