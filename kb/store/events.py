"""The event store: record help-session events and read back sessions and article track records."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy
from sqlalchemy import ColumnElement, case, delete, func, insert, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from kb.errors import InvalidInputError
from kb.events import (
    EVENT_KINDS,
    Event,
    Feedback,
    Record,
    SessionStarted,
    SuggestionsShown,
    TicketCreated,
    from_record,
    to_record,
)
from kb.store.tables import EventItemRow, EventRow, StaleSessionRow

# How often a process deletes events past the retention period, at most.
PRUNE_SECONDS = 3600.0


@dataclass(frozen=True)
class TrackRecord:
    """What requesters did with one article: votes, "this solved it", and `failed`: tickets
    filed after viewing it about the same problem (kb.events.TicketCreated.failed)."""

    helpful: int = 0
    unhelpful: int = 0
    resolved: int = 0
    failed: int = 0


class EventStore:
    """Help-session events in the store's database; one short transaction per call.

    With `retention_days`, events older than that are deleted, at most hourly, as events are
    recorded; 0 keeps every event.
    """

    def __init__(self, engine: sqlalchemy.Engine, retention_days: int = 0) -> None:
        self.engine = engine
        self.retention_days = retention_days
        self._pruned = 0.0
        self._prune_lock = threading.Lock()

    def record(self, event: Event) -> None:
        stored = to_record(event)
        with Session(self.engine) as session, session.begin():
            row = EventRow(
                kind=stored.kind,
                session_id=stored.session_id,
                at=stored.at,
                article_id=stored.article_id,
                ticket_id=stored.ticket_id,
                query=stored.query,
                category=stored.category,
                language=stored.language,
                data=dict(stored.data),
            )
            session.add(row)
            items = item_rows(event)
            if items:
                session.flush()
                for item in items:
                    item.event_id = row.id
                session.add_all(items)
            session.add(StaleSessionRow(session_id=stored.session_id))
        if self.retention_days:
            self._prune_now_and_then()

    def prune(self, before: datetime) -> int:
        """Delete the events recorded before `before`; returns how many went."""
        with Session(self.engine) as session, session.begin():
            touched = select(EventRow.session_id).where(EventRow.at < before).distinct()
            session.execute(insert(StaleSessionRow).from_select(["session_id"], touched))
            session.execute(delete(EventItemRow).where(EventItemRow.at < before))
            result = session.execute(delete(EventRow).where(EventRow.at < before))
            return int(getattr(result, "rowcount", 0) or 0)

    def _prune_now_and_then(self) -> None:
        with self._prune_lock:
            if time.monotonic() - self._pruned < PRUNE_SECONDS and self._pruned:
                return
            self._pruned = time.monotonic()
        self.prune(datetime.now(UTC) - timedelta(days=self.retention_days))

    def holdout(self, session_id: str) -> bool | None:
        """Whether the session was held out of suggestions; None before it has started.

        Should two requests start a session at once, the first recorded start counts.
        """
        statement = (
            select(EventRow)
            .where(EventRow.session_id == session_id, EventRow.kind == SessionStarted.kind)
            .order_by(EventRow.at, EventRow.id)
            .limit(1)
        )
        with Session(self.engine) as session:
            row = session.scalars(statement).first()
            if row is None:
                return None
            started = _event(row)
            return isinstance(started, SessionStarted) and started.holdout

    def session(self, session_id: str) -> list[Event]:
        """Every event of one help session, oldest first (ties in the order recorded)."""
        statement = (
            select(EventRow)
            .where(EventRow.session_id == session_id)
            .order_by(EventRow.at, EventRow.id)
        )
        with Session(self.engine) as session:
            return [_event(row) for row in session.scalars(statement)]

    def move_session(self, old: str, new: str) -> None:
        """Record the events of help session `old` under `new` (the visit was given a new id)."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(EventRow).where(EventRow.session_id == old).values(session_id=new)
            )
            session.execute(
                update(EventItemRow).where(EventItemRow.session_id == old).values(session_id=new)
            )
            session.add_all([StaleSessionRow(session_id=old), StaleSessionRow(session_id=new)])

    def sessions_with(self, kind: str, since: datetime | None = None) -> list[str]:
        """Distinct ids of the sessions with an event of `kind` (at or after `since`).

        In the order of each session's first such event. Raises InvalidInputError for an
        unknown kind and ValueError for a naive `since`.
        """
        _check_kind(kind)
        if since is not None and (since.tzinfo is None or since.utcoffset() is None):
            raise ValueError("`since` must be timezone-aware, e.g. datetime.now(UTC)")
        first = func.min(EventRow.at)
        statement = select(EventRow.session_id).where(EventRow.kind == kind)
        if since is not None:
            statement = statement.where(EventRow.at >= since)
        statement = statement.group_by(EventRow.session_id).order_by(first, EventRow.session_id)
        with Session(self.engine) as session:
            return list(session.scalars(statement))

    def track_records(self, article_ids: Collection[str] | None = None) -> dict[str, TrackRecord]:
        """Per document id, for every document with at least one of these counts:

        helpful / unhelpful: feedback events voting each way; resolved: self_resolved events;
        failed: tickets that count against the document, filed after it was viewed about the
        same problem. `article_ids` limits the answer to those documents (say, the hits of one
        search), which spares reading every event.
        """
        wanted = None if article_ids is None else sorted(set(article_ids))
        if wanted == []:
            return {}
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        with Session(self.engine) as session:
            for article_id, helpful, unhelpful in _votes(session, wanted):
                counts[article_id]["helpful"] = helpful
                counts[article_id]["unhelpful"] = unhelpful
            for article_id, resolved in _resolutions(session, wanted):
                counts[article_id]["resolved"] = resolved
            for article_id, tickets in _failures(session, wanted):
                counts[article_id]["failed"] = tickets
        return {article_id: TrackRecord(**fields) for article_id, fields in counts.items()}

    def helpful_since(self, since: datetime) -> dict[str, int]:
        """Per document, how often it helped since `since`: helpful votes and "this solved it"
        less unhelpful votes; documents that came out at zero or below are left out."""
        vote = EventRow.data["helpful"].as_boolean()
        score = func.sum(
            case(
                (EventRow.kind == "self_resolved", 1),
                (vote.is_(True), 1),
                else_=-1,
            )
        )
        statement = (
            select(EventRow.article_id, score)
            .where(
                EventRow.kind.in_(("feedback", "self_resolved")),
                EventRow.article_id.is_not(None),
                EventRow.at >= since,
            )
            .group_by(EventRow.article_id)
        )
        with Session(self.engine) as session:
            rows = session.execute(statement).all()
        return {str(article_id): int(total) for article_id, total in rows if total and total > 0}

    def comments(
        self, article_ids: Collection[str] | None = None, *, limit: int = 200
    ) -> list[Feedback]:
        """Feedback that came with a comment, newest first; on these documents when given."""
        statement = select(EventRow).where(
            EventRow.kind == "feedback", EventRow.data["comment"].as_string().is_not(None)
        )
        if article_ids is not None:
            statement = statement.where(EventRow.article_id.in_(sorted(set(article_ids))))
        statement = statement.order_by(EventRow.at.desc(), EventRow.id.desc()).limit(limit)
        with Session(self.engine) as session:
            found = [_event(row) for row in session.scalars(statement)]
        return [event for event in found if isinstance(event, Feedback) and event.comment]

    def count(self, kind: str | None = None) -> int:
        """How many events were recorded, of one kind or of all."""
        statement = select(func.count()).select_from(EventRow)
        if kind is not None:
            _check_kind(kind)
            statement = statement.where(EventRow.kind == kind)
        with Session(self.engine) as session:
            return session.scalar(statement) or 0


def _check_kind(kind: str) -> None:
    if kind not in EVENT_KINDS:
        raise InvalidInputError(f"unknown event kind {kind!r}; use one of {', '.join(EVENT_KINDS)}")


def _votes(session: Session, wanted: list[str] | None) -> list[tuple[str, int, int]]:
    vote = EventRow.data["helpful"].as_boolean()
    statement = (
        select(
            EventRow.article_id,
            func.sum(case((vote.is_(True), 1), else_=0)),
            func.sum(case((vote.is_(False), 1), else_=0)),
        )
        .where(EventRow.kind == "feedback", _among(EventRow.article_id, wanted))
        .group_by(EventRow.article_id)
    )
    return [
        (str(article_id), int(helpful or 0), int(unhelpful or 0))
        for article_id, helpful, unhelpful in session.execute(statement)
    ]


def _resolutions(session: Session, wanted: list[str] | None) -> list[tuple[str, int]]:
    statement = (
        select(EventRow.article_id, func.count())
        .where(EventRow.kind == "self_resolved", _among(EventRow.article_id, wanted))
        .group_by(EventRow.article_id)
    )
    return [(str(article_id), int(count)) for article_id, count in session.execute(statement)]


def _failures(session: Session, wanted: list[str] | None) -> list[tuple[str, int]]:
    statement = (
        select(EventItemRow.document_id, func.count(func.distinct(EventItemRow.event_id)))
        .where(EventItemRow.role == "failed", _among(EventItemRow.document_id, wanted))
        .group_by(EventItemRow.document_id)
    )
    return [(str(document), int(count)) for document, count in session.execute(statement)]


def _among(
    column: QueryableAttribute[str | None] | QueryableAttribute[str], wanted: list[str] | None
) -> ColumnElement[bool]:
    """Rows about a document: any document, or only the wanted ones."""
    return column.is_not(None) if wanted is None else column.in_(wanted)


def _event(row: EventRow) -> Event:
    return from_record(
        Record(
            kind=row.kind,
            session_id=row.session_id,
            at=row.at,
            article_id=row.article_id,
            ticket_id=row.ticket_id,
            query=row.query,
            category=row.category,
            language=row.language,
            data=row.data or {},
        )
    )


def item_rows(event: Event) -> list[EventItemRow]:
    """The rows of the documents an event lists (see EventItemRow), without their event's id:
    `record` sets it, as does the bench that fills a store in bulk."""
    listed: list[tuple[int, str, float | None]]
    if isinstance(event, SuggestionsShown):
        listed = [
            (position, suggestion.id, suggestion.deflection)
            for position, suggestion in enumerate(event.suggestions)
        ]
        role = "shown"
    elif isinstance(event, TicketCreated):
        listed = [(position, document, None) for position, document in enumerate(event.failed)]
        role = "failed"
    else:
        return []
    return [
        EventItemRow(
            session_id=event.session_id,
            at=event.at,
            role=role,
            document_id=document,
            position=position,
            deflection=deflection,
        )
        for position, document, deflection in listed
    ]
