"""The insights pages in a real browser, after two weeks of `kb demo`'s traffic replayed
through the portal: each page opens, each chart's SVG is drawn with its table beside it, a
phone's screen holds the page, and the Content-Security-Policy refuses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect

from kb.cli.demo import needs_from, replay
from kb.insights.reports import REPORTS
from kb.services import Services
from tests.conftest import TICKETS
from tests.helpers import PASSWORD

pytestmark = pytest.mark.model

TIMEOUT_MS = 20_000
MANAGER = "mona@example.com"
# A chart's text shown smaller than this is hard to read, on a phone too.
MINIMUM_TEXT_PX = 10


@pytest.fixture
def demo_traffic(portal_services: Services, imported: dict[str, str]) -> Services:
    """Two weeks of help sessions replayed through the real portal, as `kb demo` does."""
    for _ in replay(
        portal_services, needs_from(TICKETS), days=14, per_day=5, seed=11, end=datetime.now(UTC)
    ):
        pass
    portal_services.users.add(MANAGER, PASSWORD, ("manager",), name="Mona Lind")
    return portal_services


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": request.param, "height": 900})
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.close()


def shown_text_size(chart: Locator) -> float:
    """The size, in CSS pixels, a chart's 12-unit text is shown at once the SVG is scaled."""
    return float(
        chart.evaluate("svg => 12 * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")
    )


def overlapping_labels(chart: Locator) -> list[str]:
    """Texts under the plot (the x axis) whose boxes run into their neighbour's."""
    return list(
        chart.evaluate(
            """svg => {
                const boxes = [...svg.querySelectorAll('text[text-anchor="middle"]')]
                    .map(text => [text.textContent, text.getBoundingClientRect()])
                    .sort((a, b) => a[1].left - b[1].left);
                const found = [];
                for (let i = 1; i < boxes.length; i++) {
                    const [name, box] = boxes[i], [before, last] = boxes[i - 1];
                    if (Math.abs(box.top - last.top) < 4 && box.left < last.right + 2) {
                        found.push(before + " / " + name);
                    }
                }
                return found;
            }"""
        )
    )


def refusals(page: Page) -> list[str]:
    """What the browser refused under the policy (it says so on the console), and errors."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"pageerror: {error}"))
    return found


def test_every_insights_page_draws_its_charts_beside_their_tables(
    context: BrowserContext, live_server: str, demo_traffic: Services, artifacts_dir: Path
) -> None:
    page = context.new_page()
    width = page.viewport_size["width"] if page.viewport_size else 0
    refused = refusals(page)
    page.goto(f"{live_server}/login")
    page.locator("#email").fill(MANAGER)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    # A manager lands on the overview.
    assert page.url == f"{live_server}/insights/"

    charts_seen = 0
    for report in REPORTS:
        path = "/insights/" + ("" if report == "overview" else report)
        response = page.goto(f"{live_server}{path}?days=30")
        assert response is not None and response.status == 200, (report, response)
        expect(page.locator("h1")).to_be_visible()
        current = page.locator('.report-nav a[aria-current="page"]')
        expect(current).to_have_attribute("href", f"{path}?days=30")
        for section in page.locator("section.report-table").all():
            # Each chart is drawn for a wide screen and for a phone; one of them is shown.
            figures = section.locator("figure.chart-figure svg:visible")
            assert figures.count() == section.locator("figure.chart-figure").count(), report
            for index in range(figures.count()):
                box = figures.nth(index).bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 40, report
                assert shown_text_size(figures.nth(index)) >= MINIMUM_TEXT_PX, (report, width)
                assert overlapping_labels(figures.nth(index)) == [], (report, width)
                charts_seen += 1
            if figures.count():
                # The same numbers as a table, row by row.
                expect(section.locator("table.readout-table tbody tr").first).to_be_visible()
        widest = page.evaluate("() => document.documentElement.scrollWidth")
        assert widest <= page.evaluate("() => window.innerWidth"), (report, widest)
        page.screenshot(path=artifacts_dir / f"insights-{report}-{width}.png", full_page=True)
    # Two weeks of traffic give the overview's trend at least.
    assert charts_seen >= 1
    assert refused == []
