"""An agent in a real browser: sign in, resolve a ticket, turn it into a published article.

Then a requester, in another browser context, finds that article in the portal's search.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, expect

from kb.services import Services
from kb.store.tickets import NewTicket
from tests.helpers import PASSWORD

pytestmark = pytest.mark.model

SUBJECT = "Teams shows my camera as black in meetings"
DESCRIPTION = "The camera works in the Camera app but Teams shows a black tile since Friday."
RESOLUTION = (
    "Windows privacy settings blocked desktop apps from the camera. Turned on "
    "Settings > Privacy & security > Camera > Let desktop apps access your camera, "
    "then restarted Teams; the picture came back."
)
SCREENSHOT = "agent-ticket-resolved.png"


@pytest.fixture
def app(writable_app: Flask) -> Flask:
    """The live server serves a private, writable copy of the sample KB in this module."""
    return writable_app


@pytest.fixture
def agent_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def test_agent_resolves_a_ticket_and_publishes_an_article_a_requester_finds(
    agent_context: BrowserContext,
    browser: Browser,
    live_server: str,
    writable_kb: Services,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    writable_kb.users.add("priya@example.com", PASSWORD, ("agent",), name="Priya Raman")
    ticket = writable_kb.tickets.create(
        NewTicket(SUBJECT, DESCRIPTION, "mia.tanaka@example.com", category="software")
    )
    page = agent_context.new_page()

    # Sign in: the desk sends an anonymous visitor to the sign-in page and back.
    page.goto(f"{live_server}/desk")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.locator("#email").fill("priya@example.com")
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Ticket queue")

    # Work the queue: open the ticket, take it, resolve it.
    page.get_by_role("link", name=SUBJECT).click()
    expect(page.locator("h1")).to_have_text(SUBJECT)
    with page.expect_navigation():
        page.get_by_role("button", name="Take it").click()
    expect(page.locator("#assignee")).to_have_value("priya@example.com")
    page.locator("#resolution-text").fill(RESOLUTION)
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve ticket").click()
    expect(page.locator(".notice.success")).to_contain_text("Resolved")
    expect(page.locator("#resolution")).to_have_text(RESOLUTION)
    screenshot = tmp_path / SCREENSHOT
    page.screenshot(path=str(screenshot), full_page=True)
    shutil.copy2(screenshot, artifacts_dir / SCREENSHOT)

    # Turn it into an article: the editor is pre-filled from the ticket.
    page.get_by_role("link", name="Create article from ticket").click()
    expect(page.locator("#title")).to_have_value(SUBJECT)
    expect(page.locator("#body")).to_contain_text("desktop apps access your camera")
    page.locator("#title").fill("Teams camera is black but the Camera app works")
    page.locator("#audience").select_option("public")
    page.locator("#message").fill("from " + ticket.number)
    with page.expect_navigation():
        page.locator("button[value=save], button[value=save_anyway]").first.click()
    if page.locator("#duplicates").count():
        with page.expect_navigation():
            page.get_by_role("button", name="Save anyway").click()

    # Review, then publish, each a step of the workflow with its own revision.
    for step in ("Send to review", "Publish"):
        with page.expect_navigation():
            page.get_by_role("button", name=step).click()
    article_url = page.url
    article_id = article_url.rstrip("/").split("/")[-1].split("?")[0]
    document = writable_kb.searcher.document(article_id)
    assert document is not None and document.status == "published"
    resolved = writable_kb.tickets.get(ticket.number)
    assert resolved is not None and resolved.linked_article == article_id

    # Minutes later (here: at once) a requester finds it in the portal.
    requester = browser.new_context()
    try:
        portal = requester.new_page()
        portal.goto(f"{live_server}/?q=teams+camera+black+tile")
        first = portal.locator(".result-title").first
        expect(first).to_have_text("Teams camera is black but the Camera app works")
        with portal.expect_navigation():
            first.click()
        expect(portal.locator("h1")).to_have_text("Teams camera is black but the Camera app works")
        expect(portal.locator("body")).to_contain_text("desktop apps access your camera")
    finally:
        requester.close()
