"""Alembic's entry point: run the migrations on the connection kb.store.schema hands over."""

from __future__ import annotations

from alembic import context

from kb.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; batch mode does that for ALTER COLUMN and drops.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
