"""The Content-Security-Policy in a real browser: every page and its scripts work under it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from kb.services import Services
from kb.store.tickets import NewTicket
from tests.helpers import PASSWORD

pytestmark = pytest.mark.model


@pytest.fixture
def app(writable_app: Flask) -> Flask:
    return writable_app


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": request.param, "height": 900})
    yield opened
    opened.close()


def refusals(page: Page) -> list[str]:
    """What the browser refused under the policy (it says so on the console), and script errors."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            if not message.text.startswith("Failed to load resource"):
                found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"pageerror: {error}"))
    return found


def test_pages_and_their_scripts_run_under_the_policy(
    context: BrowserContext,
    live_server: str,
    writable_kb: Services,
    artifacts_dir: Path,
) -> None:
    width = context.pages[0].viewport_size["width"] if context.pages else 0
    writable_kb.users.add("priya@example.com", PASSWORD, ("agent",), name="Priya Raman")
    ticket = writable_kb.tickets.create(
        NewTicket("Printer offline", "Jobs stay in the queue.", "li@example.com")
    )
    page = context.new_page()
    width = page.viewport_size["width"] if page.viewport_size else width
    refused = refusals(page)

    page.goto(f"{live_server}/?q=printer+jobs+stuck")
    expect(page.locator("mark").first).to_be_visible()
    page.goto(f"{live_server}/articles/print-jobs-stuck-in-queue")
    expect(page.locator("h1")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"policy-article-{width}.png", full_page=True)

    # The request form's script asks for suggestions while the requester types.
    page.goto(f"{live_server}/request")
    page.locator("#subject").press_sequentially("Print jobs stuck in the queue", delay=10)
    expect(page.locator("#suggestions")).not_to_contain_text("Start typing", timeout=20_000)

    page.goto(f"{live_server}/login?next=/desk")
    page.locator("#email").fill("priya@example.com")
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/desk/tickets/{ticket.number}")
    expect(page.locator("h1")).to_have_text("Printer offline")

    # The editor's script renders a live preview through the JSON endpoint.
    page.goto(f"{live_server}/desk/knowledge/articles/print-jobs-stuck-in-queue/edit")
    page.locator("#body").press_sequentially("\n\n## Checked under the policy\n", delay=5)
    expect(page.locator("#preview h2", has_text="Checked under the policy")).to_be_visible(
        timeout=20_000
    )
    page.screenshot(path=artifacts_dir / f"policy-editor-{width}.png", full_page=True)
    assert refused == []
