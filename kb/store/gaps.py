"""Content gaps a manager dismissed ("we will not write this"), left out of the gaps report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.errors import InvalidInputError, NotFoundError
from kb.store.tables import GapDismissalRow

# A dismissed gap's text, at most: as long as a search may be.
MAX_TEXT_CHARACTERS = 1000


@dataclass(frozen=True)
class Dismissal:
    id: int
    text: str
    dismissed_by: str
    dismissed_at: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "dismissed_by": self.dismissed_by,
            "dismissed_at": self.dismissed_at.isoformat(),
        }


class GapDismissals:
    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def dismiss(self, text: str, key: str, actor: str, at: datetime | None = None) -> Dismissal:
        """Dismiss the gap named by `text`; `key` says which texts are the same (at most 64
        characters: kb.insights.content_gaps gives a digest of the words); the same key
        dismissed again keeps the first dismissal."""
        words = " ".join(text.split())
        if not words:
            raise InvalidInputError("give the gap's text to dismiss, e.g. its first search")
        if len(words) > MAX_TEXT_CHARACTERS:
            raise InvalidInputError(
                f"a gap's text can be at most {MAX_TEXT_CHARACTERS} characters: give its search"
            )
        row = GapDismissalRow(
            key=key, text=words, dismissed_by=actor, dismissed_at=at or datetime.now(UTC)
        )
        with Session(self._engine) as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
            else:
                return _dismissal(row)
            found = session.scalars(select(GapDismissalRow).where(GapDismissalRow.key == key))
            return _dismissal(found.one())

    def restore(self, dismissal_id: int) -> None:
        """Take a dismissal back: its gap is reported again."""
        with Session(self._engine) as session:
            result = session.execute(
                delete(GapDismissalRow).where(GapDismissalRow.id == dismissal_id)
            )
            session.commit()
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFoundError(
                f"no dismissed gap {dismissal_id}; the gaps report lists the dismissed ones"
            )

    def all(self) -> list[Dismissal]:
        """Every dismissal, newest first."""
        statement = select(GapDismissalRow).order_by(
            GapDismissalRow.dismissed_at.desc(), GapDismissalRow.id.desc()
        )
        with Session(self._engine) as session:
            return [_dismissal(row) for row in session.scalars(statement)]


def _dismissal(row: GapDismissalRow) -> Dismissal:
    return Dismissal(row.id, row.text, row.dismissed_by, row.dismissed_at)
