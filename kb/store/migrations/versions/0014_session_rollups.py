"""Session roll-ups: one row per help session with the moments that decide its outcome, so
the managers' reports read sessions instead of every event (kb.insights.session_rollups).
Every session already recorded is marked stale, so the first report computes its roll-up;
an index finds whether a session was suggested a document before it viewed it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0016"

TIME = sa.DateTime(timezone=True)
DELAY = sa.BigInteger


def upgrade() -> None:
    op.create_index(
        "ix_event_items_session_document",
        "event_items",
        ["session_id", "role", "document_id", "at"],
    )
    op.create_table(
        "session_rollups",
        sa.Column("session_id", sa.String, primary_key=True),
        sa.Column("started", TIME, nullable=False, index=True),
        sa.Column("holdout", sa.Boolean, nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("opened", TIME, nullable=True),
        sa.Column("ticket_after_start", DELAY, nullable=True),
        sa.Column("ticket_after_opened", DELAY, nullable=True),
        sa.Column("confirmed_after_opened", DELAY, nullable=True),
        sa.Column("viewed_after_opened", DELAY, nullable=True),
        sa.Column("joined_after_opened", DELAY, nullable=True),
    )
    stale = op.create_table(
        "stale_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String, nullable=False),
    )
    state = op.create_table(
        "session_rollup_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("refreshed", TIME, nullable=True),
    )
    assert stale is not None and state is not None
    op.bulk_insert(state, [{"id": 1, "refreshed": None}])
    events = sa.table("events", sa.column("session_id", sa.String), sa.column("kind", sa.String))
    started = sa.select(events.c.session_id).where(events.c.kind == "session_started").distinct()
    op.execute(stale.insert().from_select(["session_id"], started))


def downgrade() -> None:
    op.drop_table("session_rollup_state")
    op.drop_table("stale_sessions")
    op.drop_table("session_rollups")
    op.drop_index("ix_event_items_session_document", table_name="event_items")
