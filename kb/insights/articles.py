"""The article effectiveness readout: what each article did for requesters in a period. Pure.

Counts come from kb.insights.article_activity (SQL); what they mean is decided here:
- a ticket counts against an article only when it was filed after the article was viewed
  about the same problem (DESIGN.md; TicketCreated.failed), as in the track record;
- an article's observed success is its successes (helpful votes and "this solved it") over
  its successes and failures (unhelpful votes and those tickets): the outcomes the engine's
  track record blends into its probability, so the two can be set side by side;
- suggestions shown and opened are counted in sessions: a request typed letter by letter
  shows the same article many times, and one visit is one chance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kb.insights.metrics import ratio
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table
from kb.insights.wording import Text
from kb.model import Article

# The reason of the flag kb raises by itself on an article that fails often (kb.track_record).
FAILING = "failing"
# A flag's reason (kb.store.revisions.FLAG_REASONS) as the report names it.
FLAG_NAMES = {"wrong": Text("wrong"), "outdated": Text("outdated"), FAILING: Text("failing")}


@dataclass(frozen=True)
class ArticleActivity:
    """What requesters did with one article in a period."""

    views: int = 0
    suggestion_views: int = 0
    helpful: int = 0
    unhelpful: int = 0
    solved: int = 0
    # Tickets filed after viewing it about the same problem.
    failed: int = 0
    # Sessions it was suggested in, and those of them that opened it once suggested.
    shown: int = 0
    opened: int = 0
    # The mean over those sessions of the probability it was suggested with.
    predicted: float | None = None

    @property
    def successes(self) -> int:
        return self.helpful + self.solved

    @property
    def failures(self) -> int:
        return self.unhelpful + self.failed

    @property
    def observed(self) -> float | None:
        """Successes / (successes + failures), or None before any outcome."""
        return ratio(self.successes, self.successes + self.failures)


@dataclass(frozen=True)
class Comment:
    """A vote that came with a comment."""

    article_id: str
    at: datetime
    helpful: bool
    comment: str


@dataclass(frozen=True)
class OpenFlag:
    """An open flag on an article: why, and what was said (the evidence, for 'failing')."""

    reason: str
    comment: str | None


def article_rows(
    articles: Sequence[Article],
    activity: Mapping[str, ArticleActivity],
    flags: Mapping[str, Sequence[OpenFlag]],
    filters: Filters,
) -> list[dict[str, Any]]:
    """One row per article matching `filters` (its own category and language): every file,
    and documents with activity whose file is gone (unfiltered only). Most viewed first."""
    known = {article.id: article for article in articles}
    rows = [
        _row(article.id, article, activity.get(article.id, ArticleActivity()), flags)
        for article in articles
        if _matches(article, filters)
    ]
    if not (filters.category or filters.language):
        rows.extend(
            _row(article_id, None, counts, flags)
            for article_id, counts in activity.items()
            if article_id not in known and not article_id.startswith("ticket:")
        )
    return sorted(rows, key=lambda row: (-row["views"], str(row["title"]).lower(), row["id"]))


def _matches(article: Article, filters: Filters) -> bool:
    if filters.category and article.category != filters.category:
        return False
    return not (filters.language and article.language != filters.language)


def _row(
    article_id: str,
    article: Article | None,
    counts: ArticleActivity,
    flags: Mapping[str, Sequence[OpenFlag]],
) -> dict[str, Any]:
    own = flags.get(article_id, ())
    reasons = [flag.reason for flag in own]
    evidence = [flag.comment for flag in own if flag.reason == FAILING and flag.comment]
    return {
        "id": article_id,
        "title": article.title
        if article
        else Text("%(article)s (no longer in articles/)", article=article_id),
        "audience": article.audience if article else None,
        "status": article.status if article else None,
        "category": article.category if article else None,
        "language": article.language if article else None,
        "views": counts.views,
        "suggestion_views": counts.suggestion_views,
        "helpful": counts.helpful,
        "unhelpful": counts.unhelpful,
        "solved": counts.solved,
        "failed": counts.failed,
        "shown": counts.shown,
        "opened": counts.opened,
        "open_rate": ratio(counts.opened, counts.shown),
        "predicted": counts.predicted,
        "observed": counts.observed,
        "outcomes": counts.successes + counts.failures,
        "updated": article.updated if article else None,
        "review_by": article.review_by if article else None,
        "flags": tuple(FLAG_NAMES.get(reason, reason) for reason in dict.fromkeys(reasons)),
        "evidence": "; ".join(evidence),
    }


ARTICLE_COLUMNS = (
    Column("id", Text("Article")),
    Column("title", Text("Title")),
    Column("audience", Text("Audience")),
    Column("status", Text("Status")),
    Column("views", Text("Views"), "count"),
    Column("suggestion_views", Text("Views from suggestions"), "count"),
    Column("helpful", Text("Helpful"), "count"),
    Column("unhelpful", Text("Not helpful"), "count"),
    Column("solved", Text("This solved it"), "count"),
    Column("failed", Text("Tickets after viewing, same problem"), "count"),
    Column("shown", Text("Sessions suggested"), "count"),
    Column("opened", Text("Sessions opened the suggestion"), "count"),
    Column("open_rate", Text("Opened when suggested"), "rate"),
    Column("predicted", Text("Mean deflection probability"), "rate"),
    Column("observed", Text("Observed success"), "rate"),
    Column("outcomes", Text("Outcomes behind it"), "count"),
    Column("updated", Text("Last updated"), "date"),
    Column("review_by", Text("Review by"), "date"),
    Column("flags", Text("Open flags")),
    Column("evidence", Text("Why it is flagged as failing")),
)
COMMENT_COLUMNS = (
    Column("at", Text("When"), "time"),
    Column("id", Text("Article")),
    Column("title", Text("Title")),
    Column("vote", Text("Vote")),
    Column("comment", Text("Comment")),
)


def articles_readout(
    period: Period,
    filters: Filters,
    articles: Sequence[Article],
    current: Mapping[str, ArticleActivity],
    previous: Mapping[str, ArticleActivity],
    flags: Mapping[str, Sequence[OpenFlag]],
    comments: Sequence[Comment],
    generated: datetime | None = None,
) -> Readout:
    """The article effectiveness page from the period's and the previous period's activity.

    Internal articles are listed too (this is a staff page), with their audience shown.
    """
    rows = article_rows(articles, current, flags, filters)
    before = article_rows(articles, previous, flags, filters)
    titles = {article.id: article.title for article in articles}
    listed = {row["id"] for row in rows}
    said = [
        {
            "at": comment.at,
            "id": comment.article_id,
            "title": titles.get(comment.article_id, comment.article_id),
            "vote": Text("helpful") if comment.helpful else Text("not helpful"),
            "comment": comment.comment,
        }
        for comment in sorted(comments, key=lambda item: item.at, reverse=True)
        if comment.article_id in listed
    ]
    numbers = (
        _total("views", Text("Article views"), rows, before),
        _total("suggestion_views", Text("Views from suggestions"), rows, before),
        _total("helpful", Text("Helpful votes"), rows, before),
        _total("unhelpful", Text("Not helpful votes"), rows, before),
        _total("solved", Text('"This solved it"'), rows, before),
        _total("failed", Text("Tickets after viewing, same problem"), rows, before),
        Number(
            "failing",
            Text("Articles flagged as failing"),
            sum(any(flag.reason == FAILING for flag in flags.get(row["id"], ())) for row in rows),
            None,
            note=Text("open flags now; kb raises one on its own with the evidence"),
        ),
    )
    articles_table = Table(
        "articles",
        Text("Article effectiveness"),
        ARTICLE_COLUMNS,
        tuple(rows),
        empty=Text(
            "Every article is listed here; its numbers grow as requesters view, rate and "
            "solve their problems with it in the portal."
        ),
        note=Text(
            "Observed success = (helpful + this solved it) / (those + not helpful + tickets "
            "filed after viewing it about the same problem). A ticket about something else "
            "does not count against an article."
        ),
    )
    comments_table = Table(
        "comments",
        Text("Comments with votes"),
        COMMENT_COLUMNS,
        tuple(said),
        empty=Text("Comments requesters leave with a vote (helpful or not) appear here."),
    )
    viewed = tuple(row for row in rows if row["views"])
    return Readout(
        report="articles",
        title=Text("Article effectiveness"),
        period=period,
        filters=filters,
        numbers=numbers,
        tables=(articles_table, comments_table),
        charts=(
            Chart(
                "views",
                Text("Views and views from suggestions"),
                "bar",
                "articles",
                "title",
                ("views", "suggestion_views"),
            ),
        )
        if viewed
        else (),
        notes=(
            Text(
                "Internal articles are listed with their audience: agents read them, requesters "
                "never see them."
            ),
        ),
        generated=generated,
    )


def _total(
    key: str, label: Text, rows: Sequence[Mapping[str, Any]], before: Sequence[Mapping[str, Any]]
) -> Number:
    return Number(key, label, sum(row[key] for row in rows), sum(row[key] for row in before))
