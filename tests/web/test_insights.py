"""The insights pages over readouts whose every number is known: cards, charts beside their
tables, CSV downloads, periods and filters, sorting, empty states, roles and language."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.errors import NotFoundError
from kb.insights.export import table_csv
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table
from kb.insights.reports import REPORTS
from kb.services import DEMO_MARKER, Services
from kb.web import create_app
from kb.web.i18n import COOKIE
from kb.web.insight_rows import InsightRows
from kb.web.readout_charts import draw
from kb.workflow import NewTicket
from tests.helpers import PASSWORD, FormClient, SignIn, html_between, signer

TODAY = date(2026, 11, 30)
# Any report but the overview: the stand-in answers each with the ranked articles table.
RANKED = REPORTS[-1]


def trend(period: Period) -> Table:
    days = [period.since + timedelta(days=offset) for offset in range(period.days)]
    return Table(
        key="trend",
        title="Deflection by day",
        columns=(
            Column("day", "Day", "date"),
            Column("deflection", "Deflection rate", "rate"),
            Column("tickets", "Tickets", "count"),
        ),
        rows=tuple(
            {"day": day, "deflection": (index % 4) / 8, "tickets": index % 3}
            for index, day in enumerate(days)
        ),
        empty="Days appear once help sessions are recorded.",
    )


ARTICLES = Table(
    key="articles",
    title="Articles",
    columns=(
        Column("article", "Article"),
        Column("views", "Views", "count"),
        Column("success", "Success", "rate"),
        Column("page", "Desk page", "link"),
    ),
    rows=(
        {"article": "VPN, setup", "views": 12, "success": 0.5, "page": "/desk/knowledge/vpn"},
        {"article": "Printer jams", "views": 40, "success": None, "page": "/desk/knowledge/p"},
        {"article": "Wi-Fi", "views": 3, "success": 0.25, "page": "javascript:alert(1)"},
        {"article": "Toner", "views": 0, "success": None, "page": "/desk/knowledge/t"},
    ),
    empty="Articles appear once they are viewed.",
)


def candidates(incidents: Sequence[str]) -> Table:
    """Two groups of recurring incidents: the first, of `incidents`, has no problem yet."""
    return Table(
        key="candidates",
        title="Recurring incidents",
        columns=(
            Column("title", "Typical incident"),
            Column("count", "Incidents", "count"),
            Column("incidents", "All incidents"),
            Column("covered_by", "Article that covers it", "link"),
            Column("problems", "Problem records"),
        ),
        rows=(
            {
                "title": "VPN drops every hour",
                "count": len(incidents),
                "incidents": list(incidents),
                "covered_by": "vpn-setup",
                "problems": [],
            },
            {
                "title": "Printer offline",
                "count": 3,
                "incidents": ["INC-C", "INC-D", "INC-E"],
                "covered_by": None,
                "problems": ["PRB-000007"],
            },
        ),
        empty="Groups of recurring incidents appear here.",
    )


def searches_gone_nowhere() -> tuple[Table, ...]:
    """The searches report's two tables of content gaps, one search in each."""
    columns = (
        Column("query", "Search"),
        Column("languages", "Languages"),
        Column("searches", "Searches", "count"),
    )
    return (
        Table(
            "unconfident",
            "Searches with no confident answer",
            columns,
            ({"query": "la vpn se corta", "languages": ["es"], "searches": 9},),
            empty="Searches whose best answer was not confident appear here.",
        ),
        Table(
            "ticketed",
            "Searches followed by a ticket",
            columns,
            ({"query": "impresora atascada", "languages": ["es", "en"], "searches": 4},),
            empty="Searches after which the visit filed a ticket appear here.",
        ),
    )


GAP_ROW = {
    "gap": "vpn keeps dropping",
    "examples": ("vpn keeps dropping", "vpn disconnects every hour"),
    "lost": 6,
    "languages": ("es",),
    "categories": ("network",),
}


@dataclass
class KnownGaps:
    """Stands where Services.insights.content_gaps stands: records what is dismissed."""

    dismissed: list[tuple[str, str]] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)

    def dismiss(self, text: str, actor: str) -> None:
        self.dismissed.append((text, actor))

    def restore(self, dismissal_id: int) -> None:
        self.restored.append(dismissal_id)


def gap_tables() -> tuple[Table, ...]:
    """One content gap, and one gap dismissed before (number 3)."""
    return (
        Table(
            "gaps",
            "Content gaps",
            (
                Column("gap", "Gap"),
                Column("examples", "Examples"),
                Column("lost", "Sessions lost", "count"),
                Column("languages", "Languages"),
                Column("categories", "Categories"),
            ),
            (GAP_ROW,),
            empty="Searches and requests the knowledge base did not answer appear here.",
        ),
        Table(
            "dismissed",
            "Dismissed gaps",
            (Column("id", "Number", "count"), Column("gap", "Gap")),
            ({"id": 3, "gap": "asdf"},),
            empty="Gaps a manager dismisses appear here.",
        ),
    )


@dataclass
class KnownReadouts:
    """Readouts built here, number by number, standing where Services.insights stands: the
    overview, and every other report a ranked table of articles (the problems report its
    recurring incidents too, the searches report its searches that went nowhere, the gaps
    report its content gaps)."""

    empty: bool = False
    incidents: tuple[str, ...] = ("INC-A", "INC-B")
    content_gaps: KnownGaps = field(default_factory=KnownGaps)
    asked: list[tuple[str, Period, Filters]] = field(default_factory=list)

    def today(self) -> date:
        return TODAY

    def readout(self, report: str, period: Period, filters: Filters) -> Readout:
        if report not in REPORTS:
            raise NotFoundError(
                f"there is no report {report!r}; choose one of {', '.join(REPORTS)}"
            )
        self.asked.append((report, period, filters))
        if report == "overview":
            return self.overview(period, filters)
        return Readout(
            report=report,
            title="Article effectiveness",
            period=period,
            filters=filters,
            tables=self._tables(report),
            charts=(Chart("views", "Views by article", "bar", "articles", "article", ("views",)),),
        )

    def _tables(self, report: str) -> tuple[Table, ...]:
        if report == "problems":
            return (ARTICLES, candidates(self.incidents))
        if report == "searches":
            return (ARTICLES, *searches_gone_nowhere())
        if report == "gaps":
            return (ARTICLES, *gap_tables())
        return (ARTICLES,)

    def overview(self, period: Period, filters: Filters) -> Readout:
        table = trend(period)
        if self.empty:
            table = Table(table.key, table.title, table.columns, (), table.empty)
        return Readout(
            report="overview",
            title="Overview",
            period=period,
            filters=filters,
            numbers=(
                Number("sessions", "Help sessions", 0 if self.empty else 1234, 1000),
                Number("rate", "Deflection rate", None if self.empty else 0.42, 0.375, "rate"),
                Number(
                    "hours",
                    "Agent hours saved",
                    None if self.empty else 12.5,
                    None,
                    "number",
                    note="12 min a ticket",
                ),
            ),
            tables=(table,),
            charts=(
                Chart(
                    "trend",
                    "Deflection and tickets",
                    "line",
                    "trend",
                    "day",
                    ("deflection", "tickets"),
                ),
                Chart("tickets", "Tickets by day", "bar", "trend", "day", ("tickets",)),
            ),
            notes=("Deflection counts confirmed and potential sessions.",),
        )


@pytest.fixture
def readouts(services: Services) -> Iterator[KnownReadouts]:
    known = KnownReadouts()
    services.insights = known  # type: ignore[assignment]
    yield known


@pytest.fixture
def insights_app(services: Services, readouts: KnownReadouts) -> Flask:
    return create_app(services=services, test_config={"TESTING": True})


@pytest.fixture
def client(insights_app: Flask) -> FlaskClient:
    insights_app.test_client_class = FormClient
    return insights_app.test_client()


@pytest.fixture
def sign_in(insights_app: Flask) -> SignIn:
    return signer(insights_app)


@pytest.fixture
def manager(client: FlaskClient, sign_in: SignIn) -> FlaskClient:
    sign_in(client, "manager")
    return client


# Every report's page and its first table as CSV.
ROUTES = [
    "/insights/",
    *(f"/insights/{report}" for report in REPORTS[1:]),
    *(f"/insights/{report}.csv" for report in REPORTS),
]


@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 302 and answer.location.startswith("/login?next=")


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("role", ["requester", "agent"])
def test_requesters_and_agents_may_not_see_insights(
    client: FlaskClient, sign_in: SignIn, path: str, role: str
) -> None:
    sign_in(client, role)
    answer = client.get(path)
    assert answer.status_code == 403
    assert "does not have the role" in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_insights(
    client: FlaskClient, sign_in: SignIn, path: str, role: str
) -> None:
    sign_in(client, role)
    assert client.get(path).status_code == 200


def test_the_overview_shows_each_number_with_the_previous_period(manager: FlaskClient) -> None:
    page = manager.get("/insights/?days=7").get_data(as_text=True)
    sessions = html_between(page, 'data-number="sessions"', "</li>")
    assert "1,234" in sessions and "▲" in sessions and "+234" in sessions
    assert "previous period: 1,000" in sessions
    rate = html_between(page, 'data-number="rate"', "</li>")
    assert "42.0%" in rate and "+4.5 points" in rate and "previous period: 37.5%" in rate
    hours = html_between(page, 'data-number="hours"', "</li>")
    assert "12.5" in hours and "12 min a ticket" in hours and "▲" not in hours
    assert "Deflection counts confirmed and potential sessions." in page
    period = Period.last(7, TODAY)
    assert f"({period.days} days)" in page


def test_each_chart_is_drawn_beside_a_table_of_the_same_numbers(manager: FlaskClient) -> None:
    page = manager.get("/insights/?days=7").get_data(as_text=True)
    section = html_between(page, 'id="table-trend"', "</section>")
    # Shares and counts are drawn on two scales, each a labelled image, once for a wide
    # screen and once for a phone.
    assert section.count('<svg class="chart chart-line chart-wide"') == 2
    assert section.count('<svg class="chart chart-line chart-narrow"') == 2
    assert 'role="img"' in section
    # Counts by day stand as columns in time order, one per day, not as a ranking.
    columns = html_between(section, '<svg class="chart chart-column chart-wide"', "</svg>")
    assert columns.count('class="bar"') == 7 and "chart-bar" not in section
    table = html_between(section, '<table class="grid readout-table"', "</table>")
    cells = re.findall(r'<td class="kind-(\w+)">([^<]*)</td>', table)
    expected = trend(Period.last(7, TODAY)).rows
    assert len(cells) == 3 * len(expected)
    for index, row in enumerate(expected):
        day, share, count = cells[3 * index : 3 * index + 3]
        assert day == ("date", row["day"].isoformat())
        assert share == ("rate", f"{row['deflection'] * 100:.1f}%")
        assert count == ("count", str(row["tickets"]))
    # A trend keeps its time order: no sorting offered.
    assert "sort-link" not in table


def test_the_csv_download_is_the_readouts_table(
    manager: FlaskClient, readouts: KnownReadouts
) -> None:
    answer = manager.get(f"/insights/{RANKED}.csv?table=articles&days=30&category=network")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    period = Period.last(30, TODAY)
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="kb-{RANKED}-articles-{period.since}-{period.until}.csv"'
    )
    assert answer.get_data(as_text=True) == table_csv(ARTICLES)
    assert readouts.asked[-1] == (RANKED, period, Filters(category="network"))
    # Without `table`, the first; a table the report does not have is a 400 naming the choices.
    assert manager.get("/insights/overview.csv?days=7").get_data(as_text=True) == table_csv(
        trend(Period.last(7, TODAY))
    )
    missing = manager.get(f"/insights/{RANKED}.csv?table=nothing")
    assert missing.status_code == 400 and "articles" in missing.get_data(as_text=True)


def test_the_page_links_each_table_to_its_csv_with_the_period_and_filters(
    manager: FlaskClient,
) -> None:
    page = manager.get(f"/insights/{RANKED}?days=90&language=es").get_data(as_text=True)
    link = re.search(r'class="[^"]*csv-link" href="([^"]+)"', page)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith(f"/insights/{RANKED}.csv?")
    for part in ("days=90", "language=es", "table=articles"):
        assert part in href
    assert manager.get(href).get_data(as_text=True) == table_csv(ARTICLES)


@pytest.mark.parametrize(
    ("query", "period", "filters"),
    [
        ("", Period.last(30, TODAY), Filters()),
        ("days=7", Period.last(7, TODAY), Filters()),
        ("days=90&category=printing", Period.last(90, TODAY), Filters(category="printing")),
        (
            "since=2026-10-01&until=2026-10-31&language=es",
            Period(date(2026, 10, 1), date(2026, 10, 31)),
            Filters(language="es"),
        ),
        # Dates given win over the preset the form kept.
        (
            "days=7&since=2026-09-01&until=2026-09-10",
            Period(date(2026, 9, 1), date(2026, 9, 10)),
            Filters(),
        ),
        ("category=+network+&language=", Period.last(30, TODAY), Filters(category="network")),
    ],
)
def test_the_period_and_filters_reach_the_readout(
    manager: FlaskClient, readouts: KnownReadouts, query: str, period: Period, filters: Filters
) -> None:
    assert manager.get(f"/insights/?{query}").status_code == 200
    assert readouts.asked[-1] == ("overview", period, filters)


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-01",
        "since=30/11/2026",
        "since=2026-11-10&until=2026-11-01",
        "since=2020-01-01&until=2026-01-01",
        "days=week",
        "days=0",
        "category=" + "x" * 101,
    ],
)
def test_bad_periods_and_filters_are_a_400_saying_what_to_send(
    manager: FlaskClient, query: str
) -> None:
    for path in ("/insights/", "/insights/overview.csv"):
        answer = manager.get(f"{path}?{query}")
        assert answer.status_code == 400, (path, query)
        text = answer.get_data(as_text=True)
        assert any(word in text for word in ("since", "days", "period", "category")), text


@pytest.mark.parametrize(
    ("query", "english", "spanish"),
    [
        (
            "since=2026-11-10&until=2026-11-01",
            "The period ends before it starts: put From before To.",
            "El periodo termina antes de empezar: ponga Desde antes de Hasta.",
        ),
        (
            "since=2020-01-01&until=2026-01-01",
            "A period can be at most 731 days long.",
            "Un periodo puede durar como mucho 731 días.",
        ),
        ("since=30/11/2026", "Write the period's dates like 2026-11-30.", "Escriba las fechas"),
    ],
)
def test_a_bad_period_is_told_in_the_pages_language(
    manager: FlaskClient, query: str, english: str, spanish: str
) -> None:
    answer = manager.get(f"/insights/?{query}")
    assert answer.status_code == 400 and english in html.unescape(answer.get_data(as_text=True))
    manager.set_cookie(COOKIE, "es")
    answer = manager.get(f"/insights/?{query}")
    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400 and spanish in text and english not in text


def test_the_preset_periods_keep_the_filters_and_mark_the_current_one(
    manager: FlaskClient,
) -> None:
    page = manager.get(f"/insights/{RANKED}?days=7&category=network").get_data(as_text=True)
    presets = re.findall(r'<a class="preset" href="([^"]+)"( aria-current="true")?', page)
    assert [current for _, current in presets] == [' aria-current="true"', "", ""]
    assert all("category=network" in href for href, _ in presets)
    custom = manager.get("/insights/?since=2026-10-01&until=2026-10-31").get_data(as_text=True)
    assert 'aria-current="true"' not in html_between(custom, 'class="presets"', "</p>")
    assert 'value="2026-10-01"' in custom and 'value="2026-10-31"' in custom


def test_tables_sort_by_a_column_from_their_headers(manager: FlaskClient) -> None:
    page = manager.get(f"/insights/{RANKED}").get_data(as_text=True)
    views = html_between(page, "<th", "</th>")
    assert "sort-link" in views
    headers = dict(re.findall(r'href="([^"]+)#table-articles">([A-Za-z ]+)<span', page))
    by_views = next(href for href, label in headers.items() if label == "Views")
    ordered = manager.get(by_views.replace("&amp;", "&")).get_data(as_text=True)
    names = re.findall(r'<td class="kind-text">([^<]+)</td>', ordered)
    assert names == ["Printer jams", "VPN, setup", "Wi-Fi", "Toner"]
    assert 'aria-sort="descending"' in ordered
    rising = manager.get(f"/insights/{RANKED}?sort=articles:success").get_data(as_text=True)
    # Unknown values come last, whichever the direction.
    assert re.findall(r'<td class="kind-text">([^<]+)</td>', rising) == [
        "Wi-Fi",
        "VPN, setup",
        "Printer jams",
        "Toner",
    ]
    for bad in ("articles:colour", "nothing:views", "views"):
        assert manager.get(f"/insights/{RANKED}?sort={bad}").status_code == 400


def test_a_link_column_links_only_to_this_site_or_the_web(manager: FlaskClient) -> None:
    page = manager.get(f"/insights/{RANKED}").get_data(as_text=True)
    assert '<a href="/desk/knowledge/vpn">/desk/knowledge/vpn</a>' in page
    assert 'href="javascript:' not in page


def test_recurring_incidents_open_a_problem_from_the_page(
    manager: FlaskClient, services: Services, readouts: KnownReadouts
) -> None:
    filed = [
        services.tickets.create(NewTicket(subject, "It drops.", "ann@example.com")).number
        for subject in ("VPN drops", "VPN drops again")
    ]
    readouts.incidents = tuple(filed)
    page = manager.get("/insights/problems").get_data(as_text=True)
    section = html_between(page, 'id="table-candidates"', "</section>")
    form = html_between(section, '<form method="post" action="/desk/problems">', "</form>")
    assert 'name="csrf_token"' in form
    fields = re.findall(r'<input type="hidden" name="(title|incident)" value="([^"]*)">', form)
    assert fields == [("title", "VPN drops every hour")] + [("incident", n) for n in filed]
    # The group already linked to a problem leads to it instead.
    assert '<a class="button small-button secondary-button" href="/desk/problems/PRB-000007">' in (
        section
    )
    data: dict[str, Any] = {"title": fields[0][1], "incident": [n for _, n in fields[1:]]}
    opened = manager.post("/desk/problems", data=data)
    assert opened.status_code == 302
    number = opened.location.split("/")[-1].split("?")[0]
    problem = services.problems.get(number)
    assert problem.title == "VPN drops every hour" and list(problem.incidents) == filed


def test_what_a_row_offers_follows_the_roles(client: FlaskClient, sign_in: SignIn) -> None:
    sign_in(client, "admin")
    page = client.get("/insights/problems").get_data(as_text=True)
    section = html_between(page, 'id="table-candidates"', "</section>")
    assert "Opening a problem takes the agent or manager role." in section
    assert "<form" not in section and "/desk/problems/" not in section
    # Only agents open the knowledge editor's article pages.
    assert "/desk/knowledge/articles/vpn-setup" not in section
    client.post("/logout")
    sign_in(client, "agent", "manager")
    page = client.get("/insights/problems").get_data(as_text=True)
    section = html_between(page, 'id="table-candidates"', "</section>")
    assert '<a href="/desk/knowledge/articles/vpn-setup">vpn-setup</a>' in section
    assert "takes the agent" not in section and "Open a problem" in section


def test_a_bar_chart_and_its_table(manager: FlaskClient) -> None:
    page = manager.get(f"/insights/{RANKED}").get_data(as_text=True)
    section = html_between(page, 'id="table-articles"', "</section>")
    chart = html_between(section, '<svg class="chart chart-bar chart-wide"', "</svg>")
    # The ranking draws the articles with views, highest first; the table lists them all.
    assert chart.count('class="bar"') == 3
    labels = re.findall(r'text-anchor="end" fill="[^"]+">([^<]+)</text>', chart)
    assert labels == ["Printer jams", "VPN, setup", "Wi-Fi"]
    caption = "Views by article, the 3 highest of 4 rows: the table below holds the same numbers."
    assert caption in section


def test_a_ranking_draws_every_series_ranked_by_the_first(insights_app: Flask) -> None:
    table = Table(
        "articles",
        "Articles",
        (
            Column("title", "Title"),
            Column("views", "Views", "count"),
            Column("suggested", "Views from suggestions", "count"),
            Column("success", "Success", "rate"),
        ),
        (
            {"title": "VPN", "views": 12, "suggested": 9, "success": 0.5},
            {"title": "Printer", "views": 40, "suggested": 2, "success": 0.25},
            {"title": "Toner", "views": 0, "suggested": 0, "success": None},
        ),
        empty="",
    )
    chart = Chart("views", "Views", "bar", "articles", "title", ("views", "suggested", "success"))
    with insights_app.test_request_context("/insights/articles"):
        drawings = draw(chart, table)
    # The share gets its own scale, the counts share one; each drawn wide and narrow.
    assert [len(drawing.svgs) for drawing in drawings] == [2, 2]
    shares, counts = drawings
    assert shares.title == counts.title == "Views, the 2 highest of 3 rows"
    wide = str(counts.svgs[0])
    assert "chart-wide" in wide and "chart-narrow" in str(counts.svgs[1])
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', wide)
    assert bars == [
        "Printer, Views: 40",
        "Printer, Views from suggestions: 2",
        "VPN, Views: 12",
        "VPN, Views from suggestions: 9",
    ]
    assert re.findall(r'<rect class="bar"[^>]*><title>([^<]+)</title>', str(shares.svgs[0])) == [
        "VPN, Success: 50%",
        "Printer, Success: 25%",
    ]
    assert ">Views from suggestions</text>" in wide  # in the legend


def test_an_empty_period_says_what_will_appear_and_why(
    manager: FlaskClient, readouts: KnownReadouts
) -> None:
    readouts.empty = True
    page = manager.get("/insights/").get_data(as_text=True)
    assert "Nothing was recorded in this period." in page
    assert "A new desk has none yet" in page
    assert "Days appear once help sessions are recorded." in page
    assert "<svg" not in page and "csv-link" not in page


def test_the_sub_navigation_lists_every_report_and_marks_this_one(manager: FlaskClient) -> None:
    page = manager.get(f"/insights/{RANKED}?days=7").get_data(as_text=True)
    nav = html_between(page, '<nav class="report-nav"', "</nav>")
    expected = ["/insights/?days=7"] + [f"/insights/{name}?days=7" for name in REPORTS[1:]]
    assert re.findall(r'<a href="([^"]+)"', nav) == expected
    assert nav.count("aria-current") == 1
    assert f'<a href="/insights/{RANKED}?days=7" aria-current="page">' in nav
    assert manager.get("/insights/overview?days=7").location == "/insights/?days=7"
    missing = manager.get("/insights/holidays")
    assert missing.status_code == 404 and ", ".join(REPORTS) in missing.get_data(as_text=True)


def test_the_masthead_shows_what_the_roles_allow(client: FlaskClient, sign_in: SignIn) -> None:
    sign_in(client, "manager")
    page = client.get("/insights/").get_data(as_text=True)
    masthead = html_between(page, '<nav class="site-nav"', "</nav>")
    assert 'href="/insights/">Insights</a>' in masthead
    assert 'href="/desk/problems">Problems</a>' in masthead
    assert "/desk/knowledge" not in masthead and "/admin/users" not in masthead
    client.post("/logout")
    sign_in(client, "agent")
    masthead = html_between(
        client.get("/desk").get_data(as_text=True), '<nav class="site-nav"', "</nav>"
    )
    assert "/insights/" not in masthead and 'href="/desk">Desk</a>' in masthead


def test_the_pages_in_spanish(manager: FlaskClient) -> None:
    page = manager.get(f"/insights/{RANKED}", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert "Descargar CSV" in page and "Últimos 7 días" in page and "Download CSV" not in page


def test_no_inline_script_or_style(manager: FlaskClient) -> None:
    page = manager.get("/insights/?days=7").get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_a_demo_home_says_so_on_every_insights_page(
    services: Services, readouts: KnownReadouts
) -> None:
    services.settings.home.mkdir(parents=True, exist_ok=True)
    (services.settings.home / DEMO_MARKER).write_text("{}\n", "utf-8")
    app = create_app(services=services, test_config={"TESTING": True})
    app.test_client_class = FormClient
    client = app.test_client()
    signer(app)(client, "manager")
    for name in REPORTS:
        page = client.get(f"/insights/{name}", follow_redirects=True).get_data(as_text=True)
        assert 'class="demo-banner"' in page and "simulated by kb demo" in page, name


def test_a_real_home_shows_no_demo_banner(manager: FlaskClient) -> None:
    assert "demo-banner" not in manager.get("/insights/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("roles", "expected"),
    [(("agent", "manager"), "/desk/knowledge/articles/vpn-setup"), (("manager",), None)],
)
def test_articles_link_to_the_desk_editor_for_agents_only(
    insights_app: Flask, roles: tuple[str, ...], expected: str | None
) -> None:
    user = insights_app.extensions["kb"].users.add(
        f"{'-'.join(roles)}-reader@example.com", PASSWORD, roles
    )
    with insights_app.test_request_context():
        for report, table in (("articles", "articles"), ("articles", "comments")):
            rows = InsightRows(report, user)
            assert rows.link(table, "id", {"id": "vpn-setup"}) == expected
            assert rows.link(table, "title", {"title": "VPN"}) is None


def test_searches_that_went_nowhere_open_the_editor_on_a_draft(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, "agent", "manager")
    page = client.get("/insights/searches").get_data(as_text=True)
    section = html_between(page, 'id="table-unconfident"', "</section>")
    found = re.search(r'<a class="button[^"]*" href="([^"]+)">Write an article</a>', section)
    assert found is not None
    editor = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="La vpn se corta"' in editor
    assert "Searches this article should answer:\n\n- la vpn se corta\n" in editor
    assert 'name="language" value="es"' in editor
    # Searches in more than one language leave the editor's language to its writer.
    ticketed = html_between(page, 'id="table-ticketed"', "</section>")
    link = re.search(r'href="([^"]+)">Write an article', ticketed)
    assert link is not None and "language=" not in link.group(1)
    # Other tables of the report are not content gaps.
    assert "Write an article" not in html_between(page, 'id="table-articles"', "</section>")


def test_a_manager_without_the_agent_role_is_told_who_writes_articles(
    manager: FlaskClient,
) -> None:
    page = manager.get("/insights/searches").get_data(as_text=True)
    for table in ("unconfident", "ticketed"):
        section = html_between(page, f'id="table-{table}"', "</section>")
        assert "Write an article" not in section and "/desk/knowledge/new" not in section
        assert "Writing an article takes the agent role" in section
        assert "csv-link" in section


def test_a_content_gap_opens_the_editor_on_a_draft_of_its_searches(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, "agent", "manager")
    page = client.get("/insights/gaps").get_data(as_text=True)
    section = html_between(page, 'id="table-gaps"', "</section>")
    found = re.search(r'<a class="button[^"]*" href="([^"]+)">Write an article</a>', section)
    assert found is not None
    editor = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="Vpn keeps dropping"' in editor
    listed = "- vpn keeps dropping\n- vpn disconnects every hour\n"
    assert f"Searches this article should answer:\n\n{listed}" in editor
    assert 'name="language" value="es"' in editor and 'name="category" value="network"' in editor
    assert "Writing an article takes the agent role" not in section


def test_a_gap_is_dismissed_and_put_back_by_form_posts_from_the_page(
    manager: FlaskClient, readouts: KnownReadouts
) -> None:
    page = manager.get("/insights/gaps?days=7").get_data(as_text=True)
    section = html_between(page, 'id="table-gaps"', "</section>")
    # A manager without the agent role may dismiss, not write; the page says so.
    assert (
        "Write an article" not in section and "Writing an article takes the agent role" in section
    )
    assert "left out from then on" in section
    # The actions come right after the gap's text, not past a wide table's right edge.
    headers = re.findall(r'<th scope="col"[^>]*>(?:<a[^>]*>)?([^<]+)', section)
    assert headers[:3] == ["Gap", "Actions", "Examples"]
    form = html_between(
        section, '<form method="post" action="/insights/gaps/dismiss?days=7">', "</form>"
    )
    assert 'name="csrf_token"' in form and "Dismiss" in form
    assert '<input type="hidden" name="text" value="vpn keeps dropping">' in form
    gaps = readouts.content_gaps
    forged = manager.post("/insights/gaps/dismiss", data={"text": "x", "csrf_token": "forged"})
    assert forged.status_code == 400 and gaps.dismissed == []
    answer = manager.post("/insights/gaps/dismiss?days=7", data={"text": "vpn keeps dropping"})
    assert answer.status_code == 302
    assert answer.location == "/insights/gaps?days=7#table-dismissed"
    assert gaps.dismissed == [("vpn keeps dropping", "manager@example.com")]
    listed = html_between(page, 'id="table-dismissed"', "</section>")
    back = '<form method="post" action="/insights/gaps/dismissed/3/restore?days=7">'
    assert back in listed and "Put back" in html_between(listed, back, "</form>")
    answer = manager.post("/insights/gaps/dismissed/3/restore?days=7")
    assert answer.location == "/insights/gaps?days=7#table-gaps" and gaps.restored == [3]
    assert manager.post("/insights/gaps/dismiss", data={"text": " "}).status_code == 400


def test_searches_that_are_content_gaps_are_dismissed_from_the_searches_page(
    manager: FlaskClient, readouts: KnownReadouts
) -> None:
    page = manager.get("/insights/searches?days=7").get_data(as_text=True)
    for table, search in (("unconfident", "la vpn se corta"), ("ticketed", "impresora atascada")):
        section = html_between(page, f'id="table-{table}"', "</section>")
        form = html_between(
            section, '<form method="post" action="/insights/gaps/dismiss?days=7">', "</form>"
        )
        assert f'<input type="hidden" name="text" value="{search}">' in form
        assert "Dismiss" in form and "left out of Content gaps" in section
    # Searches with no click are not content gaps: nothing to dismiss there.
    assert "gaps/dismiss" not in html_between(page, 'id="table-articles"', "</section>")
    answer = manager.post("/insights/gaps/dismiss?days=7", data={"text": "la vpn se corta"})
    # The dismissal is shown where it can be put back.
    assert answer.location == "/insights/gaps?days=7#table-dismissed"
    assert readouts.content_gaps.dismissed == [("la vpn se corta", "manager@example.com")]


@pytest.mark.parametrize("path", ["/insights/gaps/dismiss", "/insights/gaps/dismissed/3/restore"])
def test_only_managers_and_admins_dismiss_gaps(
    client: FlaskClient, sign_in: SignIn, readouts: KnownReadouts, path: str
) -> None:
    anonymous = client.post(path, data={"text": "asdf"})
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")
    for role in ("requester", "agent"):
        sign_in(client, role)
        assert client.post(path, data={"text": "asdf"}).status_code == 403
        client.post("/logout")
    assert readouts.content_gaps.dismissed == [] and readouts.content_gaps.restored == []
    sign_in(client, "admin")
    assert client.post(path, data={"text": "asdf"}).status_code == 302


def test_a_manager_sees_the_thresholds_but_an_admin_changes_them(manager: FlaskClient) -> None:
    page = manager.get("/insights/calibration").get_data(as_text=True)
    assert "/admin/thresholds" not in page
    assert "An admin changes these thresholds on this page" in page
    assert "An admin changes these" not in manager.get("/insights/").get_data(as_text=True)
