"""The event store: record help-session events and read back sessions and article track records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy
from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from kb.errors import InvalidInputError
from kb.events import EVENT_KINDS, Event, Feedback, Record, from_record, to_record
from kb.store.tables import EventRow


@dataclass(frozen=True)
class TrackRecord:
    """What requesters did with one article: votes, "this solved it", tickets filed after it."""

    helpful: int = 0
    unhelpful: int = 0
    resolved: int = 0
    tickets_after_view: int = 0


class EventStore:
    """Help-session events in the store's database; one short transaction per call."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def record(self, event: Event) -> None:
        stored = to_record(event)
        with Session(self.engine) as session, session.begin():
            session.add(
                EventRow(
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
            )

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
        tickets_after_view: sessions in which the document was viewed and a ticket was then
        created, later in the same session. `article_ids` limits the answer to those documents
        (say, the hits of one search), which spares reading every event.
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
            for article_id, sessions in _tickets_after_view(session, wanted):
                counts[article_id]["tickets_after_view"] = sessions
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


def _tickets_after_view(session: Session, wanted: list[str] | None) -> list[tuple[str, int]]:
    view = aliased(EventRow)
    ticket = aliased(EventRow)
    # "Later" is by time, and by recording order when two events share a timestamp.
    later = or_(ticket.at > view.at, and_(ticket.at == view.at, ticket.id > view.id))
    statement = (
        select(view.article_id, func.count(func.distinct(view.session_id)))
        .join(
            ticket,
            and_(
                ticket.session_id == view.session_id,
                ticket.kind == "ticket_created",
                later,
            ),
        )
        .where(view.kind == "article_view", _among(view.article_id, wanted))
        .group_by(view.article_id)
    )
    return [(str(article_id), int(count)) for article_id, count in session.execute(statement)]


def _among(column: QueryableAttribute[str | None], wanted: list[str] | None) -> ColumnElement[bool]:
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
