"""Copying the store from one database to another (`kb migrate`): every row of every table.

Both databases are at the schema this kb needs. Rows keep their ids, so tickets, users,
events and what refers to them come out the same; on PostgreSQL the id sequences are moved
past the copied ids, so the next row gets a fresh one. The index's own tables
(index_generations, index_state) are left out: the index is copied through its
GenerationStore, which names its generations itself. So is the session roll-up's state row
(session_rollup_state), which each database's migrations make; the roll-up and the stale
sessions are copied with the events they were computed from.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy

from kb.errors import TargetNotEmptyError
from kb.model import WorkDone
from kb.store.tables import Base, IndexGenerationRow, IndexStateRow, SessionRollupStateRow

# Rows read and written at a time: a million events never sit in memory at once.
COPY_BATCH = 2000
NOT_COPIED = {
    IndexGenerationRow.__tablename__,
    IndexStateRow.__tablename__,
    SessionRollupStateRow.__tablename__,
}


def store_tables() -> list[sqlalchemy.Table]:
    """The store's tables, each after those it refers to."""
    return [table for table in Base.metadata.sorted_tables if table.name not in NOT_COPIED]


def row_counts(engine: sqlalchemy.Engine) -> dict[str, int]:
    """How many rows each store table holds."""
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(
                    sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
                ).scalar_one()
            )
            for table in store_tables()
        }


def copy_store(
    source: sqlalchemy.Engine,
    target: sqlalchemy.Engine,
    progress: Callable[[WorkDone], None] | None = None,
) -> dict[str, int]:
    """Copy every store row from `source` into the empty `target`, in one transaction.

    Returns the rows copied per table. Raises TargetNotEmptyError, copying nothing, when the
    target holds any row already.
    """
    counts = row_counts(source)
    held = {name: count for name, count in row_counts(target).items() if count}
    if held:
        where = target.url.render_as_string(hide_password=True)
        listed = ", ".join(f"{count} {name}" for name, count in sorted(held.items()))
        raise TargetNotEmptyError(
            f"the database {where} already holds a KB ({listed}); copy into an empty "
            "database, or empty that one first"
        )
    total = sum(counts.values())
    done = 0
    if progress is not None:
        progress(WorkDone("rows", 0, total))
    with source.connect() as reading, target.begin() as writing:
        for table in store_tables():
            if not counts[table.name]:
                continue
            ordered = sqlalchemy.select(table).order_by(*table.primary_key.columns)
            result = reading.execution_options(yield_per=COPY_BATCH).execute(ordered)
            for rows in result.partitions():
                writing.execute(table.insert(), [row._asdict() for row in rows])
                done += len(rows)
                if progress is not None:
                    progress(WorkDone("rows", done, total))
            if writing.dialect.name == "postgresql":
                _move_sequence_past(writing, table)
    return counts


def _move_sequence_past(connection: sqlalchemy.Connection, table: sqlalchemy.Table) -> None:
    """Set a table's id sequence to its largest copied id, so new rows do not collide."""
    for column in table.primary_key.columns:
        if not isinstance(column.type, sqlalchemy.Integer):
            continue
        sequence = connection.execute(
            sqlalchemy.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        ).scalar()
        if sequence is None:
            continue
        connection.execute(
            sqlalchemy.text(
                f'SELECT setval(:sequence, (SELECT max("{column.name}") FROM "{table.name}"))'
            ),
            {"sequence": sequence},
        )
