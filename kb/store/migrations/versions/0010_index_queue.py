"""The index queue: tickets whose note waits for the index lock, written with the change."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "index_queue",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket", sa.String(32), nullable=False),
        sa.Column("queued", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_index_queue_ticket", "index_queue", ["ticket"])


def downgrade() -> None:
    op.drop_index("ix_index_queue_ticket", table_name="index_queue")
    op.drop_table("index_queue")
