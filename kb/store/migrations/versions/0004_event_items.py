"""Event items (one row per suggestion shown or article a ticket counts against) and the
index that reads a session's events of one kind in time order, for the managers' reports."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_events_session_kind_at", "events", ["session_id", "kind", "at"])
    op.create_table(
        "event_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey("events.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("session_id", sa.String, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("document_id", sa.String, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("deflection", sa.Float, nullable=True),
        sa.Index("ix_event_items_role_at", "role", "at"),
        sa.Index("ix_event_items_document_role", "document_id", "role"),
        sa.Index("ix_event_items_session_role", "session_id", "role"),
    )


def downgrade() -> None:
    op.drop_table("event_items")
    op.drop_index("ix_events_session_kind_at", table_name="events")
