"""The article effectiveness readout's arithmetic and rows, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kb.insights.articles import (
    ArticleActivity,
    Comment,
    OpenFlag,
    article_rows,
    articles_readout,
)
from kb.insights.readout import Filters, Period
from kb.model import Article

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 8))
VPN = Article(
    id="vpn",
    title="VPN drops",
    body="",
    path="vpn.md",
    category="network",
    language="en",
    updated=date(2026, 10, 1),
    review_by=date(2027, 1, 1),
)
WIFI = Article(id="wifi", title="Wi-Fi", body="", path="wifi.md", category="network", language="es")
PRINTER = Article(
    id="printer",
    title="Printer",
    body="",
    path="printer.md",
    category="printing",
    audience="internal",
)
ARTICLES = [VPN, WIFI, PRINTER]


@pytest.mark.parametrize(
    ("activity", "observed"),
    [
        # (helpful 3 + solved 1) / (4 + unhelpful 1 + failed 3) = 4 / 8.
        (ArticleActivity(helpful=3, solved=1, unhelpful=1, failed=3), 0.5),
        (ArticleActivity(solved=2), 1.0),
        (ArticleActivity(failed=2), 0.0),
        # Views alone say nothing about success.
        (ArticleActivity(views=9, suggestion_views=4), None),
    ],
)
def test_observed_success(activity: ArticleActivity, observed: float | None) -> None:
    assert activity.observed == observed


ACTIVITY = {
    "vpn": ArticleActivity(
        views=10, suggestion_views=6, helpful=2, failed=2, shown=8, opened=6, predicted=0.72
    ),
    "printer": ArticleActivity(views=3, unhelpful=1),
    # A document whose file is gone, and a resolved ticket's note (not an article).
    "old-guide": ArticleActivity(views=5),
    "ticket:INC-7": ArticleActivity(views=40),
}
FLAGS = {
    "vpn": [OpenFlag("outdated", "the client moved"), OpenFlag("failing", "failed 6 of 8 times")],
}


def test_rows_for_every_article_most_viewed_first() -> None:
    rows = article_rows(ARTICLES, ACTIVITY, FLAGS, Filters())
    assert [row["id"] for row in rows] == ["vpn", "old-guide", "printer", "wifi"]
    vpn = rows[0]
    assert vpn["open_rate"] == 6 / 8 and vpn["predicted"] == 0.72 and vpn["observed"] == 0.5
    assert vpn["outcomes"] == 4
    assert (
        tuple(map(str, vpn["flags"])) == ("outdated", "failing")
        and vpn["evidence"] == "failed 6 of 8 times"
    )
    assert (vpn["updated"], vpn["review_by"]) == (date(2026, 10, 1), date(2027, 1, 1))
    assert (
        str(rows[1]["title"]) == "old-guide (no longer in articles/)"
        and rows[1]["audience"] is None
    )
    assert rows[2]["audience"] == "internal"
    # An article nobody read is still listed, with zeros and no rates.
    assert (rows[3]["views"], rows[3]["open_rate"], rows[3]["observed"]) == (0, None, None)


@pytest.mark.parametrize(
    ("filters", "listed"),
    [
        (Filters(category="network"), ["vpn", "wifi"]),
        (Filters(language="es"), ["wifi"]),
        (Filters(category="network", language="en"), ["vpn"]),
        (Filters(category="printing"), ["printer"]),
        (Filters(category="nothing"), []),
    ],
)
def test_filters_choose_articles_by_their_own_category_and_language(
    filters: Filters, listed: list[str]
) -> None:
    assert [row["id"] for row in article_rows(ARTICLES, ACTIVITY, FLAGS, filters)] == listed


def test_readout_totals_against_the_previous_period_and_comments() -> None:
    at = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    readout = articles_readout(
        PERIOD,
        Filters(category="network"),
        ARTICLES,
        ACTIVITY,
        {"vpn": ArticleActivity(views=4, failed=1), "printer": ArticleActivity(views=50)},
        FLAGS,
        [
            Comment("vpn", at, False, "the screenshots are old"),
            Comment("vpn", at.replace(hour=12), True, "worked"),
            # Printer is filtered out, and its comment with it.
            Comment("printer", at, False, "wrong printer"),
        ],
    )
    views = readout.number("views")
    assert (views.value, views.previous, views.change) == (10, 4, 6)
    assert readout.number("failed").value == 2 and readout.number("failed").previous == 1
    assert readout.number("failing").value == 1
    assert [(row["comment"], str(row["vote"])) for row in readout.table("comments").rows] == [
        ("worked", "helpful"),
        ("the screenshots are old", "not helpful"),
    ]
    assert readout.charts[0].series == ("views", "suggestion_views")
    csv = readout.table("articles").csv_rows()
    assert csv[0][:3] == ["Article", "Title", "Audience"]
    assert csv[1][csv[0].index("Open flags")] == "outdated; failing"


def test_an_empty_portal_lists_articles_with_nothing_to_chart() -> None:
    readout = articles_readout(PERIOD, Filters(), [VPN], {}, {}, {}, [])
    [row] = readout.table("articles").rows
    assert row["views"] == 0 and readout.charts == ()
    assert readout.table("comments").rows == () and readout.table("comments").empty
