"""Problems (ITIL problem management) and the incidents linked to them."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("public_title", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("owner", sa.String, nullable=True),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("announced", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", TIME, nullable=False),
        sa.Column("created_by", sa.String, nullable=True),
        sa.Column("updated", TIME, nullable=False),
    )
    op.create_table(
        "problem_incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "problem_id", sa.Integer, sa.ForeignKey("problems.id"), nullable=False, index=True
        ),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("linked_by", sa.String, nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.UniqueConstraint("problem_id", "ticket_id"),
    )


def downgrade() -> None:
    op.drop_table("problem_incidents")
    op.drop_table("problems")
