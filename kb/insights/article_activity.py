"""Per-article counts of a period for the article effectiveness readout, aggregated in SQL:
a handful of grouped queries over the events and their items, never every event in Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import and_, case, distinct, exists, func, select

from kb.events import ArticleView, Feedback, SelfResolved
from kb.insights.articles import ArticleActivity, Comment, OpenFlag
from kb.store.tables import EventItemRow, EventRow, FlagRow

EVENTS = EventRow.__table__
ITEMS = EventItemRow.__table__
FLAGS = FlagRow.__table__
# The newest comments a readout lists.
COMMENTS = 500


def article_activity(
    engine: sqlalchemy.Engine, start: datetime, end: datetime
) -> dict[str, ArticleActivity]:
    """What requesters did with each document in [start, end), by document id."""
    counts: dict[str, dict[str, Any]] = defaultdict(dict)
    in_period = and_(EVENTS.c.at >= start, EVENTS.c.at < end)
    source = EVENTS.c.data["source"].as_string()
    vote = EVENTS.c.data["helpful"].as_boolean()
    views = (
        select(
            EVENTS.c.article_id,
            func.count(),
            func.sum(case((source == "suggestion", 1), else_=0)),
        )
        .where(EVENTS.c.kind == ArticleView.kind, in_period)
        .group_by(EVENTS.c.article_id)
    )
    votes = (
        select(
            EVENTS.c.article_id,
            func.sum(case((vote.is_(True), 1), else_=0)),
            func.sum(case((vote.is_(False), 1), else_=0)),
        )
        .where(EVENTS.c.kind == Feedback.kind, in_period)
        .group_by(EVENTS.c.article_id)
    )
    solved = (
        select(EVENTS.c.article_id, func.count())
        .where(EVENTS.c.kind == SelfResolved.kind, in_period)
        .group_by(EVENTS.c.article_id)
    )
    failed = (
        select(ITEMS.c.document_id, func.count(distinct(ITEMS.c.event_id)))
        .where(ITEMS.c.role == "failed", ITEMS.c.at >= start, ITEMS.c.at < end)
        .group_by(ITEMS.c.document_id)
    )
    with engine.connect() as connection:
        for article_id, total, from_suggestions in connection.execute(views):
            counts[article_id].update(views=total, suggestion_views=int(from_suggestions or 0))
        for article_id, helpful, unhelpful in connection.execute(votes):
            counts[article_id].update(helpful=int(helpful or 0), unhelpful=int(unhelpful or 0))
        for article_id, total in connection.execute(solved):
            counts[article_id]["solved"] = total
        for article_id, total in connection.execute(failed):
            counts[article_id]["failed"] = total
        for article_id, shown, opened, predicted in connection.execute(_suggested(start, end)):
            counts[article_id].update(
                shown=shown,
                opened=int(opened or 0),
                predicted=None if predicted is None else float(predicted),
            )
    return {
        str(article_id): ArticleActivity(**fields)
        for article_id, fields in counts.items()
        if article_id is not None
    }


def _suggested(start: datetime, end: datetime) -> Any:
    """Per document: the sessions it was suggested in during [start, end), how many of them
    opened it at or after it was first suggested there, and the mean over those sessions of
    the mean probability it was suggested with."""
    per_session = (
        select(
            ITEMS.c.document_id,
            ITEMS.c.session_id,
            func.min(ITEMS.c.at).label("first"),
            func.avg(ITEMS.c.deflection).label("probability"),
        )
        .where(ITEMS.c.role == "shown", ITEMS.c.at >= start, ITEMS.c.at < end)
        .group_by(ITEMS.c.document_id, ITEMS.c.session_id)
        .subquery("suggested")
    )
    opened = exists().where(
        EVENTS.c.session_id == per_session.c.session_id,
        EVENTS.c.kind == ArticleView.kind,
        EVENTS.c.article_id == per_session.c.document_id,
        EVENTS.c.at >= per_session.c.first,
    )
    return select(
        per_session.c.document_id,
        func.count(),
        func.sum(case((opened, 1), else_=0)),
        func.avg(per_session.c.probability),
    ).group_by(per_session.c.document_id)


def open_flags(engine: sqlalchemy.Engine) -> dict[str, list[OpenFlag]]:
    """Every open flag by article, oldest first."""
    statement = (
        select(FLAGS.c.article_id, FLAGS.c.reason, FLAGS.c.comment)
        .where(FLAGS.c.cleared.is_(None))
        .order_by(FLAGS.c.at, FLAGS.c.id)
    )
    found: dict[str, list[OpenFlag]] = defaultdict(list)
    with engine.connect() as connection:
        for article_id, reason, comment in connection.execute(statement):
            found[article_id].append(OpenFlag(reason, comment))
    return dict(found)


def comments(
    engine: sqlalchemy.Engine,
    start: datetime,
    end: datetime,
    article_ids: Collection[str] | None = None,
    limit: int = COMMENTS,
) -> list[Comment]:
    """Votes with a comment in [start, end), newest first; on these articles when given."""
    text = EVENTS.c.data["comment"].as_string()
    statement = select(
        EVENTS.c.article_id, EVENTS.c.at, EVENTS.c.data["helpful"].as_boolean(), text
    ).where(
        EVENTS.c.kind == Feedback.kind,
        EVENTS.c.at >= start,
        EVENTS.c.at < end,
        text.is_not(None),
        text != "",
    )
    if article_ids is not None:
        statement = statement.where(EVENTS.c.article_id.in_(sorted(set(article_ids))))
    statement = statement.order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        return [
            Comment(str(article_id), at, bool(helpful), str(comment))
            for article_id, at, helpful, comment in connection.execute(statement)
        ]
