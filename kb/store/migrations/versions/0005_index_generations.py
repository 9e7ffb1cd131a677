"""Index generations kept in the database, for index_store `postgresql`.

Each generation's documents, chunks, postings and vectors are tables named after it, made
when a full build begins; these two tables say which generations exist and which is current.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0003"

TIME = sa.DateTime(timezone=True)
DATA = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "index_generations",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("dimension", sa.Integer, nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.Column("metadata", DATA, nullable=True),
    )
    op.create_table(
        "index_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("current", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("index_state")
    op.drop_table("index_generations")
