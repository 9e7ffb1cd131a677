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
    Float,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from kb.events import Feedback, ProblemJoined, SelfResolved, SuggestionsShown, TicketCreated
from kb.insights.calibration import CalibrationInputs
from kb.insights.calibration_fit import GRID, ScoreGroup, SessionLabel, session_label
from kb.insights.outcomes import OutcomeTimes
from kb.insights.readout import Filters
from kb.store.tables import EventItemRow, EventRow, UTCDateTime

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
    shown with there (the latest recorded), grouped to a thousandth, with its label
    (kb.insights.calibration_fit).

    Label 1: "this solved it" or a helpful vote on it in the session; 0: otherwise an
    unhelpful vote, or a ticket of the session that counts against it (same problem); None:
    neither, no outcome. Filters choose the suggestions_shown events by what they were about.
    The signals are grouped once per session and document with the suggestions, not looked
    up for each suggestion.
    """
    # The latest shown of each session and document, ranked in one pass: joining the largest
    # event id back to its item let SQLite look items up by document, each among a hundred
    # thousand at a million events.
    chosen = select(
        ITEMS.c.session_id,
        ITEMS.c.document_id,
        ITEMS.c.deflection,
        func.row_number()
        .over(
            partition_by=(ITEMS.c.session_id, ITEMS.c.document_id),
            order_by=ITEMS.c.event_id.desc(),
        )
        .label("rank"),
    ).where(
        ITEMS.c.role == "shown",
        ITEMS.c.at >= start,
        ITEMS.c.at < end,
        ITEMS.c.deflection.is_not(None),
    )
    if filters.category or filters.language:
        shown = EVENTS.alias("shown")
        chosen = chosen.join(shown, shown.c.id == ITEMS.c.event_id).where(*_about(shown, filters))
    last = chosen.subquery("last")
    vote = EVENTS.c.data["helpful"].as_boolean()
    good = or_(EVENTS.c.kind == SelfResolved.kind, and_(EVENTS.c.kind == Feedback.kind, vote))
    bad = and_(EVENTS.c.kind == Feedback.kind, vote.is_(False))
    nothing = cast(null(), Float())
    # The suggestions, their signals and their failures side by side, one row of each per
    # session and document, then grouped: joining them made SQLite scan every signal for
    # each suggestion once the suggestions were ranked.
    sides = union_all(
        select(
            last.c.session_id,
            last.c.document_id,
            last.c.deflection.label("probability"),
            literal_column("0").label("good"),
            literal_column("0").label("bad"),
            literal_column("0").label("failed"),
        ).where(last.c.rank == 1),
        select(
            EVENTS.c.session_id,
            EVENTS.c.article_id,
            nothing,
            case((good, 1), else_=0),
            case((bad, 1), else_=0),
            literal_column("0"),
        ).where(EVENTS.c.kind.in_((SelfResolved.kind, Feedback.kind)), EVENTS.c.at >= start),
        select(
            ITEMS.c.session_id,
            ITEMS.c.document_id,
            nothing,
            literal_column("0"),
            literal_column("0"),
            literal_column("1"),
        ).where(ITEMS.c.role == "failed", ITEMS.c.at >= start),
    ).subquery("sides")
    pairs = (
        select(
            func.max(sides.c.probability).label("probability"),
            func.max(sides.c.good).label("good"),
            func.max(sides.c.bad).label("bad"),
            func.max(sides.c.failed).label("failed"),
        )
        .group_by(sides.c.session_id, sides.c.document_id)
        .subquery("pairs")
    )
    labelled = (
        select(
            _Floor(pairs.c.probability * literal_column(str(GRID))).label("step"),
            pairs.c.probability,
            case(
                (pairs.c.good == 1, 1),
                (or_(pairs.c.bad == 1, pairs.c.failed == 1), 0),
                else_=None,
            ).label("label"),
        )
        .where(pairs.c.probability.is_not(None))
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


def session_labels(
    engine: sqlalchemy.Engine,
    start: datetime,
    end: datetime,
    filters: Filters,
    window: timedelta,
    now: datetime,
) -> list[SessionLabel]:
    """Per session first shown an answer in [start, end): the query-level probability of the
    last suggestions shown before the ticket that decides its outcome (its last ones, without
    a ticket), and its label from the times kb.insights.outcomes reads.

    One statement over the sessions shown something in the period, not over every session:
    the label needs only when the session was first shown an answer (suggestions or a known
    issue), its first ticket and its first "this solved it" or helpful vote from then on.
    Only suggestions_shown events that offered an answer are predictions: one with known
    issues alone records a probability of 0 no answer stood behind. Filters choose the
    suggestions_shown events by what they were about."""
    opening = EVENTS.alias("opening")
    opened = (
        select(opening.c.session_id, func.min(opening.c.at).label("at"))
        .where(
            opening.c.kind.in_((SuggestionsShown.kind, ProblemJoined.kind)),
            opening.c.at >= start,
            opening.c.at < end,
        )
        .group_by(opening.c.session_id)
        .cte("opened")
    )
    later = EVENTS.alias("later")
    confirms = or_(
        later.c.kind == SelfResolved.kind,
        and_(later.c.kind == Feedback.kind, later.c.data["helpful"].as_boolean()),
    )
    decided = (
        select(
            opened.c.session_id,
            opened.c.at.label("opened"),
            _first(later.c.kind == TicketCreated.kind, later).label("ticket"),
            _first(confirms, later).label("confirmed"),
        )
        .select_from(opened)
        .outerjoin(
            later,
            and_(
                later.c.session_id == opened.c.session_id,
                later.c.kind.in_((TicketCreated.kind, SelfResolved.kind, Feedback.kind)),
                later.c.at >= opened.c.at,
            ),
        )
        .group_by(opened.c.session_id, opened.c.at)
        .cte("decided")
    )
    shown = EVENTS.alias("shown")
    ranked = (
        select(
            decided.c.session_id,
            decided.c.opened,
            decided.c.ticket,
            decided.c.confirmed,
            shown.c.data["deflection"].as_float().label("probability"),
            func.row_number()
            .over(partition_by=shown.c.session_id, order_by=(shown.c.at.desc(), shown.c.id.desc()))
            .label("rank"),
        )
        .join(shown, shown.c.session_id == decided.c.session_id)
        .where(
            shown.c.kind == SuggestionsShown.kind,
            shown.c.at >= decided.c.opened,
            or_(decided.c.ticket.is_(None), shown.c.at <= decided.c.ticket),
            exists().where(ITEMS.c.event_id == shown.c.id, ITEMS.c.role == "shown"),
            *_about(shown, filters),
        )
        .subquery("ranked")
    )
    statement = select(
        ranked.c.probability, ranked.c.opened, ranked.c.ticket, ranked.c.confirmed
    ).where(ranked.c.rank == 1, ranked.c.probability.is_not(None))
    with engine.connect() as connection:
        return [
            session_label(
                float(probability),
                OutcomeTimes(opened=opened_at, ticket=ticket, confirmed=confirmed),
                window,
                now,
            )
            for probability, opened_at, ticket, confirmed in connection.execute(statement)
        ]


def _first(condition: ColumnElement[bool], event: Any) -> Any:
    """The earliest time at which `condition` holds among a session's events, or NULL."""
    return type_coerce(func.min(case((condition, event.c.at), else_=None)), UTCDateTime())


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
