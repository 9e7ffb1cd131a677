"""The index queue takes saved articles too: a row names a ticket or an article file."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("index_queue") as table:
        table.add_column(sa.Column("article", sa.String(1000), nullable=True))
        table.alter_column("ticket", existing_type=sa.String(32), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM index_queue WHERE ticket IS NULL")
    with op.batch_alter_table("index_queue") as table:
        table.alter_column("ticket", existing_type=sa.String(32), nullable=False)
        table.drop_column("article")
