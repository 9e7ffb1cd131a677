"""The problem store: problem records, their linked incidents, and which are announced."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kb.errors import InvalidInputError, NotFoundError
from kb.store.tables import EventRow, ProblemIncidentRow, ProblemRow, TicketRow

# ITIL's life of a problem: investigated, its cause known (a known error, maybe with a
# workaround), fixed, closed. Open problems can be announced as known issues.
PROBLEM_STATUSES = ("investigating", "known_error", "resolved", "closed")
OPEN_PROBLEM_STATUSES = ("investigating", "known_error")
MAX_TITLE_CHARACTERS = 300
MAX_NOTES_CHARACTERS = 20_000


def problem_number(problem_id: int) -> str:
    return f"PRB-{problem_id:06d}"


@dataclass(frozen=True)
class Problem:
    """A problem record as the desk sees it; requesters get only kb.problems.KnownIssue."""

    number: str
    title: str
    public_title: str
    status: str
    owner: str | None
    notes: str
    announced: bool
    created: datetime
    created_by: str | None
    updated: datetime
    incidents: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.status in OPEN_PROBLEM_STATUSES


class ProblemStore:
    """Problems in the store's database; one short transaction per call."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def open(
        self,
        title: str,
        actor: str | None,
        *,
        incidents: Sequence[str] = (),
        public_title: str = "",
        owner: str | None = None,
        notes: str = "",
    ) -> Problem:
        """Record a new problem (status investigating) with the incidents given by number."""
        title = _title(title, "title")
        public = _title(public_title, "public_title") if public_title.strip() else title
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            tickets = _tickets(session, incidents)
            row = ProblemRow(
                number="",
                title=title,
                public_title=public,
                status="investigating",
                owner=owner or None,
                notes=_notes(notes),
                announced=False,
                created=now,
                created_by=actor,
                updated=now,
            )
            session.add(row)
            session.flush()
            row.number = problem_number(row.id)
            for ticket in tickets:
                session.add(
                    ProblemIncidentRow(problem_id=row.id, ticket_id=ticket, linked_by=actor, at=now)
                )
            number = row.number
        return self.get(number)

    def get(self, number: str) -> Problem:
        """The problem with this number; NotFoundError when there is none."""
        with Session(self.engine) as session:
            row = _row(session, number)
            return _problem(row, _incidents(session, [row.id]).get(row.id, ()))

    def find(
        self, statuses: Collection[str] = (), *, announced: bool | None = None
    ) -> list[Problem]:
        """Problems in these statuses (any when empty), the last changed first."""
        statement = select(ProblemRow).order_by(ProblemRow.updated.desc(), ProblemRow.id.desc())
        if statuses:
            statement = statement.where(ProblemRow.status.in_(list(statuses)))
        if announced is not None:
            statement = statement.where(ProblemRow.announced.is_(announced))
        with Session(self.engine) as session:
            rows = list(session.scalars(statement))
            linked = _incidents(session, [row.id for row in rows])
            return [_problem(row, linked.get(row.id, ())) for row in rows]

    def announced(self) -> list[Problem]:
        """Open problems an agent announced: the portal's known issues."""
        return self.find(OPEN_PROBLEM_STATUSES, announced=True)

    def update(
        self,
        number: str,
        *,
        title: str | None = None,
        public_title: str | None = None,
        status: str | None = None,
        owner: str | None = None,
        unassign: bool = False,
        notes: str | None = None,
        announced: bool | None = None,
    ) -> Problem:
        """Change what is given; a problem that is no longer open is no longer announced."""
        if status is not None and status not in PROBLEM_STATUSES:
            raise InvalidInputError(
                f"status must be one of {', '.join(PROBLEM_STATUSES)}", field="status"
            )
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            if title is not None:
                row.title = _title(title, "title")
            if public_title is not None:
                row.public_title = _title(public_title, "public_title")
            if status is not None:
                row.status = status
            if owner is not None or unassign:
                row.owner = owner or None
            if notes is not None:
                row.notes = _notes(notes)
            if announced is not None:
                row.announced = announced
            if row.status not in OPEN_PROBLEM_STATUSES:
                row.announced = False
            row.updated = datetime.now(UTC)
        return self.get(number)

    def link(self, number: str, ticket: str, actor: str | None) -> Problem:
        """Link an incident (by ticket number) to the problem; linking twice changes nothing."""
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            [ticket_id] = _tickets(session, [ticket])
            exists = session.scalar(
                select(ProblemIncidentRow.id).where(
                    ProblemIncidentRow.problem_id == row.id,
                    ProblemIncidentRow.ticket_id == ticket_id,
                )
            )
            if exists is None:
                now = datetime.now(UTC)
                session.add(
                    ProblemIncidentRow(
                        problem_id=row.id, ticket_id=ticket_id, linked_by=actor, at=now
                    )
                )
                row.updated = now
        return self.get(number)

    def unlink(self, number: str, ticket: str) -> Problem:
        with Session(self.engine) as session, session.begin():
            row = _row(session, number)
            [ticket_id] = _tickets(session, [ticket])
            session.execute(
                delete(ProblemIncidentRow).where(
                    ProblemIncidentRow.problem_id == row.id,
                    ProblemIncidentRow.ticket_id == ticket_id,
                )
            )
            row.updated = datetime.now(UTC)
        return self.get(number)

    def problems_of(self, tickets: Collection[str] | None = None) -> dict[str, list[str]]:
        """Per ticket number, the numbers of the problems it is linked to (all, or these)."""
        statement = (
            select(TicketRow.number, ProblemRow.number)
            .join(ProblemIncidentRow, ProblemIncidentRow.ticket_id == TicketRow.id)
            .join(ProblemRow, ProblemRow.id == ProblemIncidentRow.problem_id)
            .order_by(ProblemRow.id)
        )
        if tickets is not None:
            statement = statement.where(TicketRow.number.in_(sorted(set(tickets))))
        found: dict[str, list[str]] = defaultdict(list)
        with Session(self.engine) as session:
            for ticket, problem in session.execute(statement):
                found[ticket].append(problem)
        return dict(found)

    def subjects(self, number: str) -> list[str]:
        """The subjects of the problem's linked incidents (for matching, never for requesters)."""
        statement = (
            select(TicketRow.subject)
            .join(ProblemIncidentRow, ProblemIncidentRow.ticket_id == TicketRow.id)
            .join(ProblemRow, ProblemRow.id == ProblemIncidentRow.problem_id)
            .where(ProblemRow.number == number.strip().upper())
            .order_by(TicketRow.created, TicketRow.id)
        )
        with Session(self.engine) as session:
            return list(session.scalars(statement))

    def joined(self, numbers: Sequence[str] | None = None) -> dict[str, int]:
        """Per problem number, the help sessions that said "this is my problem too"."""
        with Session(self.engine) as session:
            return _joined(session, numbers)

    def count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(ProblemRow)) or 0


def _row(session: Session, number: str) -> ProblemRow:
    row = session.scalar(select(ProblemRow).where(ProblemRow.number == number.strip().upper()))
    if row is None:
        raise NotFoundError(f"there is no problem {number.strip().upper()}")
    return row


def _tickets(session: Session, numbers: Sequence[str]) -> list[int]:
    """The ids of the tickets with these numbers; InvalidInputError naming any unknown one."""
    wanted = list(dict.fromkeys(number.strip().upper() for number in numbers if number.strip()))
    if not wanted:
        return []
    rows = session.execute(
        select(TicketRow.number, TicketRow.id).where(TicketRow.number.in_(wanted))
    )
    found = {str(number): int(ticket_id) for number, ticket_id in rows}
    missing = [number for number in wanted if number not in found]
    if missing:
        raise InvalidInputError(
            f"there is no ticket {', '.join(missing)} to link; give ticket numbers like INC-000042",
            field="incidents",
        )
    return [found[number] for number in wanted]


def _incidents(session: Session, problem_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    if not problem_ids:
        return {}
    statement = (
        select(ProblemIncidentRow.problem_id, TicketRow.number)
        .join(TicketRow, TicketRow.id == ProblemIncidentRow.ticket_id)
        .where(ProblemIncidentRow.problem_id.in_(list(problem_ids)))
        .order_by(TicketRow.created, TicketRow.id)
    )
    linked: dict[int, list[str]] = defaultdict(list)
    for problem_id, ticket in session.execute(statement):
        linked[problem_id].append(ticket)
    return {key: tuple(value) for key, value in linked.items()}


def _problem(row: ProblemRow, incidents: Sequence[str]) -> Problem:
    return Problem(
        number=row.number,
        title=row.title,
        public_title=row.public_title,
        status=row.status,
        owner=row.owner,
        notes=row.notes or "",
        announced=bool(row.announced),
        created=row.created,
        created_by=row.created_by,
        updated=row.updated,
        incidents=tuple(incidents),
    )


def _title(value: str, field: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInputError(f"give the problem a {field.replace('_', ' ')}", field=field)
    if len(text) > MAX_TITLE_CHARACTERS:
        raise InvalidInputError(
            f"keep the {field.replace('_', ' ')} under {MAX_TITLE_CHARACTERS} characters",
            field=field,
        )
    return text


def _notes(value: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_NOTES_CHARACTERS:
        raise InvalidInputError(
            f"keep the notes under {MAX_NOTES_CHARACTERS} characters", field="notes"
        )
    return text


def _joined(session: Session, numbers: Sequence[str] | None) -> dict[str, int]:
    problem = EventRow.data["problem"].as_string()
    statement = (
        select(problem, func.count(func.distinct(EventRow.session_id)))
        .where(EventRow.kind == "problem_joined")
        .group_by(problem)
    )
    if numbers is not None:
        statement = statement.where(problem.in_(list(numbers)))
    return {str(number): int(count) for number, count in session.execute(statement)}
