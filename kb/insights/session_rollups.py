"""The session roll-up (kb.store.tables.SessionRollupRow): one row per help session, computed
again from all its events (kb.insights.sessions) whenever the event store marks it stale, and
counted here by outcome and by holdout group in SQL, so a report reads a period's sessions
instead of their million events.

Every reading brings the roll-up up to date first, so it answers as the events would: an
event recorded for a session rolled up long ago marks it stale, and the next report computes
it again. The outcome rules are kb.insights.outcomes'; the delays kept in microseconds make
"within the window" a comparison of whole numbers on every database.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import (
    ColumnElement,
    Integer,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)

from kb.background import Repeating
from kb.insights.holdout import HoldoutCounts
from kb.insights.readout import Filters
from kb.insights.sessions import SessionSummary, summaries_of
from kb.store.tables import SessionRollupRow, SessionRollupStateRow, StaleSessionRow

ROLLUPS = SessionRollupRow.__table__
STALE = StaleSessionRow.__table__
# Stale sessions computed per transaction: a catch-up over many sessions (the first report
# after the migration) holds the write lock a second or so at a time, never for minutes.
CHUNK = 2_000
MICROSECOND = timedelta(microseconds=1)
# How often a `kb serve` worker computes the stale sessions: a report then finds at most this
# many seconds of traffic left to compute.
REFRESH_SECONDS = 30.0

log = logging.getLogger(__name__)


class RollupRefresher:
    """Computes the stale sessions in a background thread of a `kb serve` worker, so that they
    do not pile up while nobody reads a report, and a store just migrated to the roll-up is
    computed before a manager asks. Workers take turns (see `refresh`)."""

    def __init__(self, engine: sqlalchemy.Engine, pause: float = REFRESH_SECONDS) -> None:
        self._repeating = Repeating(
            "kb-session-rollups",
            lambda: refresh(engine),
            lambda: pause,
            "the session roll-up could not be brought up to date; trying again",
            log,
        )

    def start(self) -> None:
        self._repeating.start()

    def stop(self) -> None:
        self._repeating.stop()


def refresh(engine: sqlalchemy.Engine) -> int:
    """Compute again the roll-up of every stale session; returns how many were computed.

    Refreshes take turns on the state row (updated first, which locks it on PostgreSQL and
    takes SQLite's write lock), so two workers never compute one session at once. A session
    that no longer has a start (moved or pruned) loses its row."""
    with engine.connect() as connection:
        if connection.execute(select(STALE.c.id).limit(1)).first() is None:
            return 0
    computed = 0
    while True:
        with engine.begin() as connection:
            connection.execute(update(SessionRollupStateRow).values(refreshed=datetime.now(UTC)))
            chosen = select(STALE.c.id).order_by(STALE.c.id).limit(CHUNK)
            taken = connection.execute(
                delete(StaleSessionRow)
                .where(StaleSessionRow.id.in_(chosen))
                .returning(StaleSessionRow.session_id)
            )
            session_ids = sorted(set(taken.scalars()))
            if not session_ids:
                return computed
            connection.execute(
                delete(SessionRollupRow).where(SessionRollupRow.session_id.in_(session_ids))
            )
            rows = [_rollup(summary) for summary in summaries_of(connection, session_ids)]
            if rows:
                connection.execute(insert(SessionRollupRow), rows)
            computed += len(session_ids)


def outcome_tallies(
    engine: sqlalchemy.Engine,
    edges: Sequence[tuple[datetime, datetime]],
    filters: Filters,
    window: timedelta,
    now: datetime,
) -> list[Counter[str | None]]:
    """For each [start, end) of `edges` (in order, each starting where the one before ended;
    ValueError otherwise), how many sessions that started in it and match `filters` (the
    category and language of their start) had each outcome, judged at `now` as
    kb.insights.outcomes.outcome judges one session's times; None counts sessions never shown
    suggestions. One row per outcome and edge comes back."""
    if not edges:
        return []
    _check(window, now)
    refresh(engine)
    column = ROLLUPS.c
    limit = window // MICROSECOND
    judged = case(
        (column.opened.is_(None), None),
        (column.ticket_after_opened <= limit, "not_deflected"),
        (column.confirmed_after_opened <= limit, "confirmed"),
        (column.joined_after_opened <= limit, "known_issue"),
        # Still inside the window at `now`: now <= opened + window.
        (column.opened >= now - window, "pending"),
        (column.viewed_after_opened <= limit, "potential"),
        else_="no_signal",
    ).label("outcome")
    for (_, end), (start, _) in zip(edges, edges[1:], strict=False):
        if end != start:
            raise ValueError("each of `edges` must start where the one before it ended")
    bucket = _bucket(column.started, edges, 0, len(edges)).label("bucket")
    statement = (
        select(bucket, judged, func.count())
        .where(column.started >= edges[0][0], column.started < edges[-1][1], *_about(filters))
        # A lone edge's bucket is a constant, which GROUP BY would read as a column number.
        .group_by(*([bucket] if len(edges) > 1 else []), judged)
    )
    tallies: list[Counter[str | None]] = [Counter() for _ in edges]
    with engine.connect() as connection:
        for position, name, count in connection.execute(statement):
            tallies[position][name] += count
    return tallies


def _bucket(
    started: Any, edges: Sequence[tuple[datetime, datetime]], low: int, high: int
) -> ColumnElement[int]:
    """The position among edges[low:high] of the one `started` falls in (it falls in one of
    them), found by halves: five comparisons a row for a month of days instead of fifteen."""
    if high - low == 1:
        return literal_column(str(low), Integer())
    middle = (low + high) // 2
    return case(
        (started < edges[middle][0], _bucket(started, edges, low, middle)),
        else_=_bucket(started, edges, middle, high),
    )


def holdout_tallies(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, window: timedelta, now: datetime
) -> HoldoutCounts:
    """The holdout's counts of the sessions that started in [start, end), every session
    whatever its category, as kb.insights.holdout.holdout_counts counts them: a session whose
    window (from its start) is still open at `now` is pending; one that filed its first
    ticket within the window counts as ticketed."""
    _check(window, now)
    refresh(engine)
    column = ROLLUPS.c
    pending = case((column.started > now - window, 1), else_=0).label("pending")
    ticketed = case((column.ticket_after_start <= window // MICROSECOND, 1), else_=0)
    statement = (
        select(column.holdout, pending, ticketed.label("ticketed"), func.count())
        .where(column.started >= start, column.started < end)
        .group_by(column.holdout, pending, ticketed)
    )
    counts: Counter[str] = Counter()
    with engine.connect() as connection:
        for held_out, open_window, ticket, count in connection.execute(statement):
            if open_window:
                counts["pending"] += count
                continue
            group = "held_out" if held_out else "treated"
            counts[group] += count
            if ticket:
                counts[f"{group}_tickets"] += count
    return HoldoutCounts(**counts)


def _check(window: timedelta, now: datetime) -> None:
    if window < timedelta(0):
        raise ValueError("the deflection window cannot be negative")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware, e.g. datetime.now(UTC)")


def _about(filters: Filters) -> list[Any]:
    found = []
    if filters.category:
        found.append(ROLLUPS.c.category == filters.category)
    if filters.language:
        found.append(ROLLUPS.c.language == filters.language)
    return found


def _rollup(summary: SessionSummary) -> dict[str, Any]:
    times = summary.times
    return {
        "session_id": summary.session_id,
        "started": summary.started,
        "holdout": summary.holdout,
        "category": summary.category,
        "language": summary.language,
        "opened": times.opened,
        "ticket_after_start": _delay(summary.started, summary.ticket),
        "ticket_after_opened": _delay(times.opened, times.ticket),
        "confirmed_after_opened": _delay(times.opened, times.confirmed),
        "viewed_after_opened": _delay(times.opened, times.viewed),
        "joined_after_opened": _delay(times.opened, times.joined),
    }


def _delay(first: datetime | None, then: datetime | None) -> int | None:
    if first is None or then is None:
        return None
    return (then - first) // MICROSECOND
