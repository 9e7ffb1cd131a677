"""A known issue in a real browser: announced by the desk, on the portal home and first among
live suggestions, and "This is my problem too" with and without JavaScript."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from kb.events import ProblemJoined
from kb.indexer.sources import read_ticket_export
from kb.services import Services
from kb.web.visits import COOKIE
from tests.browser.test_request_form import watch_for_errors
from tests.conftest import TICKETS

pytestmark = pytest.mark.model

PUBLIC_TITLE = "VPN: certificate error when connecting"
NOTES = "Root CA rotated; Intune profile push failed"
TIMEOUT_MS = 15_000


@pytest.fixture
def announced(portal_services: Services) -> str:
    """The sample tickets imported and a VPN problem opened from three of them, announced."""
    tickets, errors = read_ticket_export(TICKETS)
    assert not errors
    stored = {t.external_id: t.number for t in portal_services.tickets.import_tickets(tickets)}
    incidents = [stored[f"INC-2026-00{item}"] for item in (83, 84, 86)]
    problems = portal_services.problems
    number = problems.open("Intune certificate profile", "priya", incidents).number
    problems.update(
        number, public_title=PUBLIC_TITLE, status="known_error", notes=NOTES, announced=True
    )
    return number


def context_for(browser: Browser, width: int, javascript: bool = True) -> BrowserContext:
    opened = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    opened.set_default_timeout(TIMEOUT_MS)
    return opened


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = context_for(browser, 1280)
    yield opened
    opened.close()


def session_of(context: BrowserContext) -> str:
    value = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == COOKIE)
    return value.partition(".")[0]


def joins(services: Services, context: BrowserContext) -> list[str]:
    return [
        event.problem
        for event in services.events.session(session_of(context))
        if isinstance(event, ProblemJoined)
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_home_page_shows_the_known_issue(
    browser: Browser,
    live_server: str,
    announced: str,
    width: int,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    opened = context_for(browser, width)
    page = opened.new_page()
    errors = watch_for_errors(page)
    page.goto(live_server)
    block = page.locator("section.known-issues")
    expect(block).to_be_visible()
    expect(block.locator(".result-title")).to_have_text(PUBLIC_TITLE)
    expect(block).to_contain_text("We know about this; we are working on it.")
    expect(block).not_to_contain_text(NOTES)
    button = block.get_by_role("button", name="This is my problem too")
    expect(button).to_be_visible()
    # Nothing in the block runs past the page's edge.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    name = f"known-issue-home-{width}.png"
    page.screenshot(path=str(tmp_path / name), full_page=True)
    shutil.copy2(tmp_path / name, artifacts_dir / name)
    assert errors == []
    opened.close()


def test_live_suggestions_put_the_known_issue_first_and_joining_files_nothing(
    context: BrowserContext, live_server: str, portal_services: Services, announced: str
) -> None:
    page: Page = context.new_page()
    errors = watch_for_errors(page)
    page.goto(f"{live_server}/request")
    subject = "VPN certificate validation failure"

    def is_final(response: Response) -> bool:
        # The panel asked for after the last keystroke; earlier ones may still be replaced.
        sent = parse_qs(response.request.post_data or "")
        return response.url.endswith("/request/suggestions") and sent.get("subject") == [subject]

    with page.expect_response(is_final):
        page.locator("#subject").press_sequentially(subject)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))")
    first = page.locator("#suggestions li.result").first
    expect(first).to_have_class("result known-issue")
    expect(first.locator(".result-title")).to_have_text(PUBLIC_TITLE)
    with page.expect_navigation():
        first.get_by_role("button", name="This is my problem too").click()
    expect(page.locator("h1")).to_have_text("Thanks: we have counted you in")
    expect(page.locator("main")).to_contain_text(PUBLIC_TITLE)
    assert joins(portal_services, context) == [announced]
    assert portal_services.events.count("ticket_created") == 0
    assert errors == []


def test_joining_from_a_search_works_without_javascript(
    browser: Browser, live_server: str, portal_services: Services, announced: str
) -> None:
    opened = context_for(browser, 1280, javascript=False)
    page = opened.new_page()
    page.goto(f"{live_server}/?q=vpn certificate error")
    first = page.locator("section.results li.result").first
    expect(first.locator(".result-title")).to_have_text(PUBLIC_TITLE)
    with page.expect_navigation():
        first.get_by_role("button", name="This is my problem too").click()
    expect(page.locator("h1")).to_have_text("Thanks: we have counted you in")
    assert joins(portal_services, opened) == [announced]
    opened.close()
