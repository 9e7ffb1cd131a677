"""Article history and flags: every saved version of an article file, and agents' reports on it."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.errors import BusyError, InvalidInputError, NotFoundError
from kb.store.tables import FlagRow, RevisionRow

# "failing" is set by kb itself when an article fails requesters often (kb.track_record).
FLAG_REASONS = ("wrong", "outdated", "failing")
MAX_FLAG_COMMENT_CHARACTERS = 2_000
MAX_MESSAGE_CHARACTERS = 500


def text_digest(text: str) -> str:
    """The SHA-256 of an article file's text, as stored with each revision."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Revision:
    article_id: str
    number: int
    author: str | None
    at: datetime
    message: str
    text: str
    digest: str


@dataclass(frozen=True)
class Flag:
    id: int
    article_id: str
    reason: str
    comment: str | None
    flagged_by: str | None
    at: datetime
    cleared: datetime | None = None
    cleared_by: str | None = None

    @property
    def open(self) -> bool:
        return self.cleared is None


class RevisionStore:
    """Numbered versions of each article, from 1; one short transaction per call."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def add(self, article_id: str, text: str, author: str | None, message: str) -> Revision:
        """Store `text` as the article's next revision and return it."""
        message = " ".join(message.split())[:MAX_MESSAGE_CHARACTERS]
        # Two writers may pick the same next number; the unique constraint stops the second,
        # which then takes the number after.
        for _ in range(5):
            try:
                with Session(self.engine) as session, session.begin():
                    latest = session.scalar(
                        select(func.max(RevisionRow.number)).where(
                            RevisionRow.article_id == article_id
                        )
                    )
                    row = RevisionRow(
                        article_id=article_id,
                        number=(latest or 0) + 1,
                        author=author,
                        at=datetime.now(UTC),
                        message=message,
                        text=text,
                        digest=text_digest(text),
                    )
                    session.add(row)
                    session.flush()
                    return _revision(row)
            except IntegrityError:
                continue
        raise BusyError(f"could not number a new revision of {article_id!r}; save again")

    def history(self, article_id: str) -> list[Revision]:
        """Every revision of the article, newest first."""
        statement = (
            select(RevisionRow)
            .where(RevisionRow.article_id == article_id)
            .order_by(RevisionRow.number.desc())
        )
        with Session(self.engine) as session:
            return [_revision(row) for row in session.scalars(statement)]

    def get(self, article_id: str, number: int) -> Revision | None:
        statement = select(RevisionRow).where(
            RevisionRow.article_id == article_id, RevisionRow.number == number
        )
        with Session(self.engine) as session:
            row = session.scalar(statement)
            return _revision(row) if row is not None else None

    def latest(self, article_id: str) -> Revision | None:
        statement = (
            select(RevisionRow)
            .where(RevisionRow.article_id == article_id)
            .order_by(RevisionRow.number.desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            row = session.scalar(statement)
            return _revision(row) if row is not None else None


class FlagStore:
    """Agents' reports that an article is wrong or outdated, open until cleared."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def add(self, article_id: str, reason: str, comment: str | None, flagged_by: str) -> Flag:
        if reason not in FLAG_REASONS:
            raise InvalidInputError(f"a flag's reason must be one of: {', '.join(FLAG_REASONS)}")
        comment = (comment or "").strip() or None
        if comment is not None and len(comment) > MAX_FLAG_COMMENT_CHARACTERS:
            raise InvalidInputError(
                f"keep the comment under {MAX_FLAG_COMMENT_CHARACTERS} characters"
            )
        with Session(self.engine) as session, session.begin():
            row = FlagRow(
                article_id=article_id,
                reason=reason,
                comment=comment,
                flagged_by=flagged_by,
                at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            return _flag(row)

    def clear(self, flag_id: int, cleared_by: str) -> Flag:
        """Close the flag; NotFoundError when there is no such flag."""
        with Session(self.engine) as session, session.begin():
            row = session.get(FlagRow, flag_id)
            if row is None:
                raise NotFoundError(f"there is no flag number {flag_id}")
            if row.cleared is None:
                row.cleared = datetime.now(UTC)
                row.cleared_by = cleared_by
            return _flag(row)

    def get(self, flag_id: int) -> Flag | None:
        with Session(self.engine) as session:
            row = session.get(FlagRow, flag_id)
            return _flag(row) if row is not None else None

    def for_article(self, article_id: str, *, open_only: bool = False) -> list[Flag]:
        """The article's flags, newest first."""
        statement = select(FlagRow).where(FlagRow.article_id == article_id)
        if open_only:
            statement = statement.where(FlagRow.cleared.is_(None))
        with Session(self.engine) as session:
            rows = session.scalars(statement.order_by(FlagRow.at.desc(), FlagRow.id.desc()))
            return [_flag(row) for row in rows]

    def open_flags(self, article_ids: Collection[str] | None = None) -> dict[str, list[Flag]]:
        """Open flags per article id, oldest first; only `article_ids` when given."""
        statement = select(FlagRow).where(FlagRow.cleared.is_(None))
        if article_ids is not None:
            statement = statement.where(FlagRow.article_id.in_(list(article_ids)))
        found: dict[str, list[Flag]] = {}
        with Session(self.engine) as session:
            for row in session.scalars(statement.order_by(FlagRow.at, FlagRow.id)):
                found.setdefault(row.article_id, []).append(_flag(row))
        return found


def _revision(row: RevisionRow) -> Revision:
    return Revision(
        article_id=row.article_id,
        number=row.number,
        author=row.author,
        at=row.at,
        message=row.message,
        text=row.text,
        digest=row.digest,
    )


def _flag(row: FlagRow) -> Flag:
    return Flag(
        id=row.id,
        article_id=row.article_id,
        reason=row.reason,
        comment=row.comment,
        flagged_by=row.flagged_by,
        at=row.at,
        cleared=row.cleared,
        cleared_by=row.cleared_by,
    )
