"""The article and holdout readouts reached through Insights, from known events on each store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy

from kb.config import Settings
from kb.events import (
    ArticleView,
    Feedback,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.readout import Filters, Period, Readout
from kb.insights.reports import REPORTS, Insights
from kb.model import Article
from kb.store.events import EventStore
from kb.store.thresholds import ThresholdStore
from tests.store.reports_over import insights_at

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 16), date(2026, 11, 22))
ARTICLES = [
    Article(id="vpn", title="VPN drops", body="", path="vpn.md", category="network"),
    Article(id="printer", title="Printer jams", body="", path="printer.md", language="es"),
]


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def insights(engine: sqlalchemy.Engine, database_url: str, tmp_path: Path) -> Iterator[Insights]:
    with insights_at(NOW, engine, database_url, tmp_path, ARTICLES, holdout_share=0.5) as insights:
        yield insights


def numbers(readout: Readout) -> dict[str, tuple[object, object]]:
    return {number.key: (number.value, number.previous) for number in readout.numbers}


def test_the_articles_readout_counts_the_period_and_the_one_before(
    insights: Insights, engine: sqlalchemy.Engine
) -> None:
    store = EventStore(engine)
    # This week: vpn viewed twice (once from a suggestion) and voted helpful; printer once.
    store.record(ArticleView(session_id="a", at=at(17, 9), article_id="vpn", source="suggestion"))
    store.record(Feedback(session_id="a", at=at(17, 10), article_id="vpn", helpful=True))
    store.record(ArticleView(session_id="b", at=at(18, 9), article_id="vpn", source="search"))
    store.record(ArticleView(session_id="c", at=at(19, 9), article_id="printer"))
    # Last week: vpn viewed once.
    store.record(ArticleView(session_id="d", at=at(10, 9), article_id="vpn"))
    readout = insights.readout("articles", PERIOD, Filters())
    assert numbers(readout)["views"] == (3, 1)
    rows = {row["id"]: row for row in readout.table("articles").rows}
    assert (rows["vpn"]["views"], rows["vpn"]["suggestion_views"]) == (2, 1)
    assert (rows["vpn"]["helpful"], rows["printer"]["views"]) == (1, 1)
    # The filters are the article's own category and language.
    spanish = insights.readout("articles", PERIOD, Filters(language="es"))
    assert [row["id"] for row in spanish.table("articles").rows] == ["printer"]
    assert numbers(spanish)["views"] == (1, 0)


def test_the_holdout_readout_counts_closed_sessions_of_both_groups(
    insights: Insights, engine: sqlalchemy.Engine
) -> None:
    store = EventStore(engine)
    # Held out: h1 filed a ticket within its window, h2 did not. Treated: t1 and t2 did not,
    # t3 filed one two days later (outside the 24 h window). t4 started two hours before NOW:
    # its window is still open, so it is not counted yet.
    for session, holdout, start in (
        ("h1", True, at(17, 9)),
        ("h2", True, at(18, 9)),
        ("t1", False, at(17, 9)),
        ("t2", False, at(18, 9)),
        ("t3", False, at(19, 9)),
        ("t4", False, NOW - timedelta(hours=2)),
    ):
        store.record(SessionStarted(session_id=session, at=start, holdout=holdout))
    store.record(TicketCreated(session_id="h1", at=at(17, 11), ticket_id="INC-1"))
    store.record(TicketCreated(session_id="t3", at=at(21, 11), ticket_id="INC-2"))
    readout = insights.readout("holdout", PERIOD, Filters(category="network"))
    found = numbers(readout)
    assert found["held_out_sessions"] == (2, 0)
    assert found["treated_sessions"] == (3, 0)
    assert found["held_out_rate"] == (0.5, None)
    assert found["treated_rate"] == (0.0, None)
    assert found["true_deflection"] == (0.5, None)
    # The filters are named but not applied (held-out sessions have no category).
    assert readout.filters == Filters(category="network")


def test_the_calibration_readout_judges_the_thresholds_in_force(
    insights: Insights, engine: sqlalchemy.Engine, database_url: str
) -> None:
    store = EventStore(engine)
    # "a" was shown vpn at 0.75 (query-level 0.5) and it solved it; "b" was shown vpn at 0.5
    # (query-level 0.25) and filed a ticket about the same problem.
    for session, day, hit, query in (("a", 17, 0.75, 0.5), ("b", 18, 0.5, 0.25)):
        store.record(SessionStarted(session_id=session, at=at(day, 9)))
        store.record(
            SuggestionsShown(
                session_id=session,
                at=at(day, 9),
                query="vpn drops",
                suggestions=(ShownSuggestion("vpn", hit),),
                deflection=query,
            )
        )
    store.record(SelfResolved(session_id="a", at=at(17, 10), article_id="vpn"))
    store.record(TicketCreated(session_id="b", at=at(18, 10), ticket_id="INC-1", failed=("vpn",)))
    # An admin changed show_threshold on another worker: the readout marks the new value.
    ThresholdStore(engine, Settings(database_url=database_url)).change(
        "show_threshold", 0.45, "ada@example.com"
    )
    readout = insights.readout("calibration", PERIOD, Filters())
    found = numbers(readout)
    assert found["suggestion_outcomes"] == (2, 0)
    assert found["suggestion_auroc"] == (1.0, None)
    assert found["session_outcomes"] == (2, 0)
    marked = [row for row in readout.table("show_curve").rows if row["today"]]
    assert [(row["threshold"], row["kept"], row["precision"]) for row in marked] == [(0.45, 2, 0.5)]
    thresholds = {row["name"]: row for row in readout.table("thresholds").rows}
    assert set(thresholds) == {"show_threshold", "confident_threshold"}
    assert (thresholds["show_threshold"]["value"], thresholds["show_threshold"]["changed_by"]) == (
        0.45,
        "ada@example.com",
    )
    assert str(readout.notes[0]).startswith("Too few outcomes to conclude about suggestions")


def test_every_report_is_reachable_by_name(insights: Insights) -> None:
    assert REPORTS[0] == "overview"
    for report in REPORTS:
        readout = insights.readout(report, PERIOD, Filters())
        assert (readout.report, readout.period) == (report, PERIOD)
