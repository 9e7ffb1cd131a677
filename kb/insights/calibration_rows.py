"""The predictions and outcomes behind the calibration readout, aggregated in SQL.

Suggestions come back grouped by their probability to a thousandth and their label (at most
3,000 rows whatever the traffic); sessions one row each, as kb.insights.sessions reads them.
The labels are kb.insights.calibration_fit's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from kb.events import Feedback, ProblemJoined, SelfResolved, SuggestionsShown, TicketCreated
from kb.insights.calibration import CalibrationInputs
from kb.insights.calibration_fit import GRID, ScoreGroup, SessionLabel, session_label
from kb.insights.readout import Filters
from kb.insights.sessions import sessions
from kb.store.tables import EventItemRow, EventRow

EVENTS = EventRow.__table__
ITEMS = EventItemRow.__table__


class _Floor(FunctionElement[int]):
    """The whole part of a number at or above zero."""

    type = Integer()
    inherit_cache = True
    name = "kb_floor"


@compiles(_Floor)
def _floor(element: _Floor, compiler: SQLCompiler, **options: Any) -> str:
    return f"FLOOR({compiler.process(element.clauses, **options)})"


@compiles(_Floor, "sqlite")
def _floor_sqlite(element: _Floor, compiler: SQLCompiler, **options: Any) -> str:
    # SQLite's math functions are a build option; a cast truncates, which for numbers at or
    # above zero is the floor.
    return f"CAST({compiler.process(element.clauses, **options)} AS INTEGER)"


def suggestion_scores(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, filters: Filters
) -> list[ScoreGroup]:
    """Suggestions of [start, end), one per session and document: the probability it was last
    shown with there, grouped to a thousandth, with its label (kb.insights.calibration).

    Label 1: "this solved it" or a helpful vote on it in the session; 0: otherwise an
    unhelpful vote, or a ticket of the session that counts against it (same problem); None:
    neither, no outcome. Filters choose the suggestions_shown events by what they were about.
    """
    shown = EVENTS.alias("shown")
    latest = (
        select(
            ITEMS.c.session_id,
            ITEMS.c.document_id,
            ITEMS.c.deflection,
            func.row_number()
            .over(
                partition_by=(ITEMS.c.session_id, ITEMS.c.document_id),
                order_by=(ITEMS.c.at.desc(), ITEMS.c.event_id.desc()),
            )
            .label("rank"),
        )
        .join(shown, shown.c.id == ITEMS.c.event_id)
        .where(
            ITEMS.c.role == "shown",
            ITEMS.c.at >= start,
            ITEMS.c.at < end,
            ITEMS.c.deflection.is_not(None),
            *_about(shown, filters),
        )
        .subquery("latest")
    )
    about = and_(
        EVENTS.c.session_id == latest.c.session_id, EVENTS.c.article_id == latest.c.document_id
    )
    vote = EVENTS.c.data["helpful"].as_boolean()
    resolved = exists().where(
        about,
        or_(
            EVENTS.c.kind == SelfResolved.kind,
            and_(EVENTS.c.kind == Feedback.kind, vote.is_(True)),
        ),
    )
    unhelpful = exists().where(about, EVENTS.c.kind == Feedback.kind, vote.is_(False))
    failed = exists().where(
        ITEMS.c.session_id == latest.c.session_id,
        ITEMS.c.role == "failed",
        ITEMS.c.document_id == latest.c.document_id,
    )
    labelled = (
        select(
            _Floor(latest.c.deflection * literal_column(str(GRID))).label("step"),
            latest.c.deflection.label("probability"),
            case((resolved, 1), (or_(unhelpful, failed), 0), else_=None).label("label"),
        )
        .where(latest.c.rank == 1)
        .subquery("labelled")
    )
    statement = select(
        labelled.c.step,
        labelled.c.label,
        func.count(),
        func.sum(labelled.c.probability),
    ).group_by(labelled.c.step, labelled.c.label)
    with engine.connect() as connection:
        return [
            ScoreGroup(
                min(int(step), GRID - 1),
                None if label is None else int(label),
                int(count),
                float(total),
            )
            for step, label, count, total in connection.execute(statement)
        ]


def session_predictions(
    engine: sqlalchemy.Engine, start: datetime, end: datetime, filters: Filters
) -> dict[str, float]:
    """Per session with suggestions shown in [start, end): the query-level probability of the
    last suggestions shown before its first ticket (its last ones, without a ticket).

    The ticket is the one that decides the session's outcome: its first at or after the first
    answer shown (kb.insights.outcomes). Only suggestions_shown events that offered an answer
    count: one with known issues alone records a probability of 0 no answer stood behind."""
    opening = EVENTS.alias("opening")
    opened = (
        select(opening.c.session_id, func.min(opening.c.at).label("at"))
        .where(
            opening.c.kind.in_((SuggestionsShown.kind, ProblemJoined.kind)),
            opening.c.at >= start,
            opening.c.at < end,
        )
        .group_by(opening.c.session_id)
        .subquery("opened")
    )
    ticket = (
        select(EVENTS.c.session_id, func.min(EVENTS.c.at).label("at"))
        .join(opened, opened.c.session_id == EVENTS.c.session_id)
        .where(EVENTS.c.kind == TicketCreated.kind, EVENTS.c.at >= opened.c.at)
        .group_by(EVENTS.c.session_id)
        .subquery("ticket")
    )
    shown = EVENTS.alias("shown")
    ranked = (
        select(
            shown.c.session_id,
            shown.c.data["deflection"].as_float().label("probability"),
            func.row_number()
            .over(partition_by=shown.c.session_id, order_by=(shown.c.at.desc(), shown.c.id.desc()))
            .label("rank"),
        )
        .outerjoin(ticket, ticket.c.session_id == shown.c.session_id)
        .where(
            shown.c.kind == SuggestionsShown.kind,
            shown.c.at >= start,
            shown.c.at < end,
            or_(ticket.c.at.is_(None), shown.c.at <= ticket.c.at),
            exists().where(ITEMS.c.event_id == shown.c.id, ITEMS.c.role == "shown"),
            *_about(shown, filters),
        )
        .subquery("ranked")
    )
    statement = select(ranked.c.session_id, ranked.c.probability).where(ranked.c.rank == 1)
    with engine.connect() as connection:
        return {
            str(session): float(probability)
            for session, probability in connection.execute(statement)
            if probability is not None
        }


def session_labels(
    engine: sqlalchemy.Engine,
    start: datetime,
    end: datetime,
    filters: Filters,
    window: timedelta,
    now: datetime,
) -> list[SessionLabel]:
    """Each session of [start, end) shown suggestions: its prediction and its outcome."""
    predictions = session_predictions(engine, start, end, filters)
    # Filters are applied to the suggestions (what each session was shown was about).
    found = sessions(engine, start, end, Filters())
    return [
        session_label(predictions[summary.session_id], summary.times, window, now)
        for summary in found
        if summary.session_id in predictions
    ]


def calibration_inputs(
    engine: sqlalchemy.Engine,
    start: datetime,
    end: datetime,
    filters: Filters,
    window: timedelta,
    now: datetime,
) -> CalibrationInputs:
    """Everything the calibration readout needs of [start, end)."""
    return CalibrationInputs(
        suggestions=suggestion_scores(engine, start, end, filters),
        sessions=session_labels(engine, start, end, filters, window, now),
    )


def _about(events: Any, filters: Filters) -> Sequence[ColumnElement[bool]]:
    found = []
    if filters.category:
        found.append(events.c.category == filters.category)
    if filters.language:
        found.append(events.c.language == filters.language)
    return found
