"""The store's schema as kb created it before migrations: tickets, users, events, revisions.

A database made by that kb (tables, no revision) is brought to exactly these tables and
columns, then stamped with this revision (kb.store.schema).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None

# Timezone-aware on PostgreSQL; SQLite keeps naive UTC (kb.store.tables.UTCDateTime).
TIME = sa.DateTime(timezone=True)
DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def baseline() -> sa.MetaData:
    """The tables of this revision."""
    metadata = sa.MetaData()
    sa.Table(
        "tickets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("category", sa.String, nullable=True),
        sa.Column("requester_name", sa.String, nullable=True),
        sa.Column("requester_email", sa.String, nullable=False),
        sa.Column("help_session", sa.String, nullable=True, index=True),
        sa.Column("created", TIME, nullable=False),
        sa.Column("trail", DATA, nullable=False),
        sa.Column("priority", sa.String(16), nullable=True),
        sa.Column("assignee", sa.String, nullable=True, index=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("shareable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("linked_article", sa.String, nullable=True, index=True),
        sa.Column("resolved", TIME, nullable=True),
        sa.Column("updated", TIME, nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("external_id", sa.String, nullable=True, index=True),
    )
    sa.Table(
        "ticket_notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author", sa.String, nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("roles", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created", TIME, nullable=False),
    )
    sa.Table(
        "sign_ins",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created", TIME, nullable=False, index=True),
    )
    sa.Table(
        "api_tokens",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.Column("last_used", TIME, nullable=True),
        sa.Column("revoked", TIME, nullable=True),
    )
    sa.Table(
        "login_failures",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("address", sa.String(64), nullable=True, index=True),
        sa.Column("at", TIME, nullable=False),
        sa.Index("ix_login_failures_email_at", "email", "at"),
    )
    sa.Table(
        "article_revisions",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String(200), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("author", sa.String, nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.UniqueConstraint("article_id", "number"),
    )
    sa.Table(
        "article_flags",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String(200), nullable=False, index=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("flagged_by", sa.String, nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("cleared", TIME, nullable=True),
        sa.Column("cleared_by", sa.String, nullable=True),
    )
    sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String, nullable=False, index=True),
        sa.Column("at", TIME, nullable=False, index=True),
        sa.Column("article_id", sa.String, nullable=True, index=True),
        sa.Column("ticket_id", sa.String, nullable=True, index=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("data", DATA, nullable=False),
        sa.Index("ix_events_kind_at", "kind", "at"),
    )

    return metadata


def upgrade() -> None:
    baseline().create_all(op.get_bind())


def downgrade() -> None:
    for table in (
        "events",
        "article_flags",
        "article_revisions",
        "login_failures",
        "api_tokens",
        "sign_ins",
        "users",
        "ticket_notes",
        "tickets",
    ):
        op.drop_table(table)
