"""Article effectiveness from recorded events: the SQL counts, checked against sessions worked
out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy

from kb.events import (
    ArticleView,
    Feedback,
    SelfResolved,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.article_activity import article_activity, comments, open_flags
from kb.insights.articles import ArticleActivity, Comment, OpenFlag, articles_readout
from kb.insights.readout import Filters, Period
from kb.model import Article
from kb.store.events import EventStore
from kb.store.revisions import FlagStore

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 3))
T = PERIOD.start + timedelta(hours=9)


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def shown(session: str, minute: float, *pairs: tuple[str, float]) -> SuggestionsShown:
    return SuggestionsShown(
        session_id=session,
        at=T + minutes(minute),
        query="vpn keeps dropping",
        suggestions=tuple(ShownSuggestion(item, probability) for item, probability in pairs),
    )


def record_sessions(store: EventStore) -> None:
    # s1: vpn suggested twice while typing (0.8, then 0.6), printer once (0.4); vpn opened
    # from the suggestion, voted helpful with a comment, and solved it.
    store.record(shown("s1", 0, ("vpn", 0.8), ("printer", 0.4)))
    store.record(shown("s1", 1, ("vpn", 0.6)))
    store.record(
        ArticleView(session_id="s1", at=T + minutes(2), article_id="vpn", source="suggestion")
    )
    store.record(
        Feedback(
            session_id="s1", at=T + minutes(3), article_id="vpn", helpful=True, comment="worked"
        )
    )
    store.record(SelfResolved(session_id="s1", at=T + minutes(4), article_id="vpn"))
    # s2: vpn read from a link a minute before it was suggested (0.5): not opened as a
    # suggestion; voted not helpful, then a ticket about the same problem counts against it.
    store.record(ArticleView(session_id="s2", at=T + minutes(9), article_id="vpn", source="link"))
    store.record(shown("s2", 10, ("vpn", 0.5)))
    store.record(
        Feedback(
            session_id="s2", at=T + minutes(11), article_id="vpn", helpful=False, comment="outdated"
        )
    )
    store.record(
        TicketCreated(
            session_id="s2", at=T + minutes(12), ticket_id="INC-1", viewed=("vpn",), failed=("vpn",)
        )
    )
    # s3: printer read, then a ticket about something else: it counts against nothing.
    store.record(ArticleView(session_id="s3", at=T + minutes(20), article_id="printer"))
    store.record(
        TicketCreated(session_id="s3", at=T + minutes(21), ticket_id="INC-2", viewed=("printer",))
    )
    store.record(Feedback(session_id="s3", at=T + minutes(22), article_id="printer", helpful=False))
    # s4, the day before the period: not counted in it.
    before = T - timedelta(days=1)
    store.record(ArticleView(session_id="s4", at=before, article_id="vpn", source="suggestion"))
    store.record(
        Feedback(session_id="s4", at=before, article_id="vpn", helpful=True, comment="old")
    )


def test_per_article_counts_in_the_period(engine: sqlalchemy.Engine) -> None:
    record_sessions(EventStore(engine))
    found = article_activity(engine, PERIOD.start, PERIOD.end)
    assert found == {
        "vpn": ArticleActivity(
            views=2,
            suggestion_views=1,
            helpful=1,
            unhelpful=1,
            solved=1,
            failed=1,
            # Two sessions suggested it, one opened it after; s1's mean 0.7 and s2's 0.5.
            shown=2,
            opened=1,
            predicted=found["vpn"].predicted,
        ),
        "printer": ArticleActivity(views=1, unhelpful=1, shown=1, opened=0, predicted=0.4),
    }
    assert round(found["vpn"].predicted or 0, 6) == 0.6
    assert found["vpn"].observed == 2 / 4
    previous = article_activity(engine, PERIOD.previous().start, PERIOD.previous().end)
    assert previous == {"vpn": ArticleActivity(views=1, suggestion_views=1, helpful=1)}


def test_comments_of_the_period_newest_first(engine: sqlalchemy.Engine) -> None:
    record_sessions(EventStore(engine))
    assert comments(engine, PERIOD.start, PERIOD.end) == [
        Comment("vpn", T + minutes(11), False, "outdated"),
        Comment("vpn", T + minutes(3), True, "worked"),
    ]
    assert comments(engine, PERIOD.start, PERIOD.end, article_ids=["printer"]) == []


def test_open_flags_with_the_evidence(engine: sqlalchemy.Engine) -> None:
    flags = FlagStore(engine)
    flags.add("vpn", "failing", "failed 5 of 6 times in the portal", "kb (article effectiveness)")
    cleared = flags.add("printer", "outdated", None, "agent@example.com")
    flags.clear(cleared.id, "agent@example.com")
    assert open_flags(engine) == {"vpn": [OpenFlag("failing", "failed 5 of 6 times in the portal")]}


def test_the_readout_from_recorded_events(engine: sqlalchemy.Engine) -> None:
    record_sessions(EventStore(engine))
    FlagStore(engine).add("vpn", "failing", "failed 5 of 6 times", "kb (article effectiveness)")
    articles = [
        Article(id="vpn", title="VPN drops", body="", path="vpn.md", category="network"),
        Article(id="printer", title="Printer", body="", path="printer.md", audience="internal"),
    ]
    readout = articles_readout(
        PERIOD,
        Filters(),
        articles,
        article_activity(engine, PERIOD.start, PERIOD.end),
        article_activity(engine, PERIOD.previous().start, PERIOD.previous().end),
        open_flags(engine),
        comments(engine, PERIOD.start, PERIOD.end),
    )
    vpn, printer = readout.table("articles").rows
    assert (vpn["id"], vpn["failed"], tuple(map(str, vpn["flags"])), vpn["evidence"]) == (
        "vpn",
        1,
        ("failing",),
        "failed 5 of 6 times",
    )
    assert printer["audience"] == "internal" and printer["failed"] == 0
    assert readout.number("views").value == 3 and readout.number("views").previous == 1
    assert [row["comment"] for row in readout.table("comments").rows] == ["outdated", "worked"]
