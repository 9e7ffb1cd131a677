"""The portal's thresholds as an admin last set them, with who and when, read by every worker.

Each change is a row; the newest row of a name is its value, and a name never changed keeps
its setting (kb.toml, KB_*). Every worker asks the database for the newest change's id before
it answers (one indexed lookup) and reads the values again only when that id moved, so a
change takes effect in every worker and on every host at their next request, with no restart.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.config import THRESHOLD_SETTINGS, Settings
from kb.errors import InvalidInputError
from kb.store.tables import ThresholdChangeRow

# The thresholds an admin may change: the settings of the same names.
THRESHOLD_NAMES = THRESHOLD_SETTINGS
HISTORY = 20


@dataclass(frozen=True)
class Thresholds:
    """The values the portal answers with now."""

    show_threshold: float
    confident_threshold: float
    known_issue_threshold: float

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(**{name: float(getattr(settings, name)) for name in THRESHOLD_NAMES})


@dataclass(frozen=True)
class ThresholdChange:
    """One admin's change of one threshold."""

    name: str
    value: float
    changed_by: str
    changed_at: datetime


class ThresholdStore:
    """Thresholds saved in the store's database over the settings' defaults."""

    def __init__(self, engine: sqlalchemy.Engine, settings: Settings) -> None:
        self.engine = engine
        self._defaults = Thresholds.of(settings)
        self._version: int | None = None
        self._current = self._defaults
        self._lock = threading.Lock()

    def current(self) -> Thresholds:
        """The thresholds in force: the newest saved value of each, else its setting."""
        with Session(self.engine) as session:
            version = session.scalar(select(func.max(ThresholdChangeRow.id))) or 0
            with self._lock:
                if version == self._version:
                    return self._current
            newest = (
                select(ThresholdChangeRow.name, func.max(ThresholdChangeRow.id).label("id"))
                .where(ThresholdChangeRow.id <= version)
                .group_by(ThresholdChangeRow.name)
                .subquery()
            )
            rows = session.execute(
                select(ThresholdChangeRow.name, ThresholdChangeRow.value).join(
                    newest, ThresholdChangeRow.id == newest.c.id
                )
            ).all()
        saved = {name: float(value) for name, value in rows if name in THRESHOLD_NAMES}
        current = replace(self._defaults, **saved)
        with self._lock:
            self._version, self._current = version, current
        return current

    def change(self, name: str, value: float, actor: str) -> ThresholdChange:
        """Save a new value of one threshold (between 0 and 1) as `actor`, in force at once."""
        [change] = self.change_all({name: value}, actor)
        return change

    def change_all(self, values: Mapping[str, float], actor: str) -> list[ThresholdChange]:
        """Save new values of several thresholds as `actor`, all or none: every value is
        checked before any is saved, and they are saved in one transaction, at one time."""
        if not values:
            raise InvalidInputError(
                f"give a new value for one of {', '.join(THRESHOLD_NAMES)}", field="name"
            )
        for name, value in values.items():
            _check(name, value)
        if not actor.strip():
            raise InvalidInputError("say who changes the threshold", field="actor")
        who, now = actor.strip(), datetime.now(UTC)
        changes = [ThresholdChange(name, float(value), who, now) for name, value in values.items()]
        with Session(self.engine) as session, session.begin():
            session.add_all(
                ThresholdChangeRow(
                    name=change.name,
                    value=change.value,
                    changed_by=change.changed_by,
                    changed_at=change.changed_at,
                )
                for change in changes
            )
        return changes

    def history(self, limit: int = HISTORY) -> list[ThresholdChange]:
        """The latest changes, newest first."""
        statement = select(ThresholdChangeRow).order_by(ThresholdChangeRow.id.desc()).limit(limit)
        with Session(self.engine) as session:
            return [
                ThresholdChange(row.name, row.value, row.changed_by, row.changed_at)
                for row in session.scalars(statement)
            ]

    def last_changes(self) -> dict[str, ThresholdChange]:
        """The change in force of each threshold an admin has changed, however long ago."""
        newest = (
            select(func.max(ThresholdChangeRow.id))
            .where(ThresholdChangeRow.name.in_(THRESHOLD_NAMES))
            .group_by(ThresholdChangeRow.name)
        )
        statement = select(ThresholdChangeRow).where(ThresholdChangeRow.id.in_(newest))
        with Session(self.engine) as session:
            return {
                row.name: ThresholdChange(row.name, row.value, row.changed_by, row.changed_at)
                for row in session.scalars(statement)
            }

    def defaults(self) -> Thresholds:
        """The values set in kb.toml or the environment, before any admin's change."""
        return self._defaults


def _check(name: str, value: object) -> None:
    if name not in THRESHOLD_NAMES:
        raise InvalidInputError(
            f"`{name}` is not a threshold; choose one of {', '.join(THRESHOLD_NAMES)}",
            field="name",
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"`{name}` must be a number between 0 and 1", field=name)
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"`{name}` must lie between 0 and 1, not {value}", field=name)
