"""The request form in a real browser: live suggestions while typing, and the no-JavaScript path."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, expect

from kb.services import Services
from kb.web.visits import COOKIE

pytestmark = pytest.mark.model

SUBJECT = "VPN says certificate validation failure"
DESCRIPTION = "Since Monday the VPN client stops at connecting and shows a certificate error."
EMAIL = "li.wei@example.com"
# What a suggestion's badge reads, e.g. "likely to help · 64%".
CONFIDENCE = re.compile(r"(very likely to solve this|likely to help|might help) · \d{1,3}%")
SCREENSHOT = "request-form-with-suggestions.png"
TIMEOUT_MS = 15_000


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.close()


@pytest.fixture
def no_js_context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.close()


def watch_for_errors(page: Page) -> list[str]:
    """Collect uncaught script errors, console errors and failed responses, to assert none.

    The browser's own /favicon.ico probe is left out: the portal has no favicon, by design.
    """
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        # A failed load is logged as "Failed to load resource"; on_response reports it with its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    return errors


def is_final_suggest(response: Response) -> bool:
    """The panel asked for after the last keystroke: it carries the whole description."""
    if not response.url.endswith("/request/suggestions"):
        return False
    body = parse_qs(response.request.post_data or "")
    return body.get("subject") == [SUBJECT] and body.get("description") == [DESCRIPTION]


def session_of(context: BrowserContext) -> str:
    """The help session's id: the cookie holds it and, after a dot, kb's signature."""
    value = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == COOKIE)
    return value.partition(".")[0]


def test_live_suggestions_and_this_solved_my_problem(
    context: BrowserContext,
    live_server: str,
    portal_services: Services,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    page = context.new_page()
    errors = watch_for_errors(page)
    page.goto(f"{live_server}/request")
    expect(page.locator("#suggestions")).to_contain_text("Start typing a subject")

    # Real keystrokes, so every one fires an `input` event and the debounce decides when to ask.
    page.locator("#subject").press_sequentially(SUBJECT)
    with page.expect_response(is_final_suggest) as answered:
        page.locator("#description").press_sequentially(DESCRIPTION)
    response = answered.value
    assert response.ok, response.status

    # The panel shows the server's answer to the last keystroke, not an earlier one.
    expect(page.locator("#suggestions")).not_to_contain_text("Start typing a subject")
    results = page.locator("#suggestions li.result")
    expect(results.first).to_be_visible()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))")
    expect(results.first.locator(".confidence")).to_have_text(CONFIDENCE)
    expect(page.locator("#suggestion-summary")).to_be_visible()
    # Screen readers hear the summary once, from the polite status line.
    expect(page.locator("#suggestion-status")).to_have_text(
        page.locator("#suggestion-summary").inner_text()
    )

    screenshot = tmp_path / SCREENSHOT
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    shutil.copy2(screenshot, artifacts_dir / SCREENSHOT)

    answer = results.filter(has=page.locator("button[data-solved]")).first
    solve = answer.locator("button[data-solved]")
    article_id = solve.get_attribute("data-solved")
    assert article_id
    document = portal_services.searcher.document(article_id)
    assert document is not None
    expect(solve).to_have_text("This solved my problem")
    with page.expect_navigation():
        solve.click()

    expect(page.locator("h1")).to_have_text("Glad that solved it")
    # An article or a resolved request alike: the page names what solved it.
    expect(page.locator("main")).to_contain_text(document.title)

    events = portal_services.events
    assert events.count("self_resolved") == 1
    session = events.session(session_of(context))
    kinds = [event.kind for event in session]
    assert "suggestions_shown" in kinds, kinds
    resolved = [event for event in session if event.kind == "self_resolved"]
    assert [event.article_id for event in resolved] == [article_id]
    assert events.count("ticket_created") == 0
    assert errors == []


def test_request_form_without_javascript(
    no_js_context: BrowserContext, live_server: str, portal_services: Services
) -> None:
    page = no_js_context.new_page()
    page.goto(f"{live_server}/request")
    page.locator("#subject").fill(SUBJECT)
    page.locator("#description").fill(DESCRIPTION)
    page.locator("#category").select_option("network")

    # No script runs, so nothing is fetched while typing: the server renders the answers.
    expect(page.locator("#suggestions")).to_contain_text("Start typing a subject")
    with page.expect_navigation():
        page.get_by_role("button", name="Check for answers").click()
    results = page.locator("#suggestions li.result")
    expect(results.first).to_be_visible()
    expect(results.first.locator(".confidence")).to_have_text(CONFIDENCE)
    expect(page.locator("#suggestions button[data-solved]").first).to_have_text(
        "This solved my problem"
    )
    # What was typed survives the round trip.
    expect(page.locator("#subject")).to_have_value(SUBJECT)
    expect(page.locator("#description")).to_have_value(DESCRIPTION)
    expect(page.locator("#category")).to_have_value("network")

    page.locator("#requester_email").fill(EMAIL)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit request").click()
    expect(page).to_have_url(re.compile(r"/requests/INC-\d{6}$"))
    heading = page.locator("h1")
    expect(heading).to_have_text(re.compile(r"^Request INC-\d{6} received$"))
    expect(page.locator("body")).to_contain_text("What happens next")
    # Without a mail server the page says where the answer will appear, not that mail comes.
    expect(page.locator("body")).to_contain_text("The answer appears under My requests")

    found = re.search(r"INC-\d{6}", heading.inner_text())
    assert found is not None
    ticket = portal_services.tickets.get(found.group(0))
    assert ticket is not None
    assert ticket.subject == SUBJECT and ticket.requester_email == EMAIL
    assert ticket.category == "network"
    assert ticket.trail and ticket.trail["shown"], ticket.trail
    assert portal_services.events.count("self_resolved") == 0
