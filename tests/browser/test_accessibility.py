"""Every page in a real browser at 1280 and 390 px: axe-core finds no serious or critical
WCAG violation, and on a phone no page is wider than the screen.

axe-core is vendored in tests/browser/axe (MPL-2.0, its LICENSE beside it) and evaluated
through the DevTools protocol, which the pages' Content-Security-Policy does not govern.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kb.services import Services
from tests.helpers import PASSWORD

pytestmark = pytest.mark.model

AXE = Path(__file__).parent / "axe" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}
ARTICLE = "print-jobs-stuck-in-queue"
SHARED_REQUEST = "INC-2026-0016"
TIMEOUT_MS = 20_000


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def open_context(browser: Browser, width: int) -> Iterator[Any]:
    opened: list[BrowserContext] = []

    def open_one() -> BrowserContext:
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield open_one
    for context in opened:
        context.close()


class Audit:
    """Runs axe and the width check on each page it is shown; keeps what it found."""

    def __init__(self, width: int, artifacts: Path) -> None:
        self.width = width
        self.artifacts = artifacts
        self.source = AXE.read_text(encoding="utf-8")
        self.violations: dict[str, list[str]] = {}
        self.overflow: dict[str, int] = {}
        self.pages: list[str] = []

    def check(self, page: Page, name: str) -> None:
        self.pages.append(name)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        results = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        found = [
            f"{violation['id']} ({violation['impact']}): "
            + "; ".join(node["target"][0] for node in violation["nodes"][:3])
            for violation in results["violations"]
            if violation["impact"] in BLOCKING
        ]
        if found:
            self.violations[name] = found
        document_width = int(page.evaluate("() => document.documentElement.scrollWidth"))
        if document_width > page.evaluate("() => window.innerWidth"):
            self.overflow[name] = document_width
        page.screenshot(path=self.artifacts / f"a11y-{name}-{self.width}.png", full_page=True)

    def visit(self, page: Page, address: str, name: str) -> None:
        response = page.goto(address)
        assert response is not None and response.status < 500, (address, response)
        self.check(page, name)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_every_page_passes_axe_and_fits_the_screen(
    open_context: Any,
    live_server: str,
    portal_services: Services,
    imported: dict[str, str],
    width: int,
    artifacts_dir: Path,
) -> None:
    users = portal_services.users
    users.add("rita@example.com", PASSWORD, ("requester",), name="Rita Gómez")
    users.add("priya@example.com", PASSWORD, ("agent", "manager", "admin"), name="Priya Raman")
    incidents = [imported[f"INC-2026-00{item}"] for item in (83, 84, 86)]
    problem = portal_services.problems.open("Intune certificate profile", "priya", incidents)
    portal_services.problems.update(
        problem.number, public_title="VPN: certificate error", status="known_error", announced=True
    )
    audit = Audit(width, artifacts_dir)
    base = live_server

    requester = open_context().new_page()
    audit.visit(requester, f"{base}/", "home")
    audit.visit(requester, f"{base}/?q=printer+jobs+stuck", "search")
    audit.visit(requester, f"{base}/?q=zzqx+blorf", "search-nothing")
    audit.visit(requester, f"{base}/articles/{ARTICLE}", "article")
    audit.visit(requester, f"{base}/topics/printing", "topic")
    audit.visit(requester, f"{base}/resolved/{SHARED_REQUEST}", "resolved")
    audit.visit(requester, f"{base}/articles/no-such-article", "error")
    audit.visit(requester, f"{base}/login", "login")
    sign_in(requester, base, "rita@example.com")
    requester.goto(f"{base}/request")
    requester.locator("#subject").press_sequentially("Print jobs stuck in the queue", delay=10)
    requester.locator("#description").fill("Nothing prints from my laptop since this morning.")
    expect(requester.locator("#suggestions")).not_to_contain_text("Start typing")
    audit.check(requester, "request")
    with requester.expect_navigation():
        requester.get_by_role("button", name="Submit request").click()
    expect(requester.locator("h1")).to_be_visible()
    audit.check(requester, "filed")
    filed = requester.url.rsplit("/", 1)[-1]
    audit.visit(requester, f"{base}/my/requests", "my-requests")
    audit.visit(requester, f"{base}/my/requests/{filed}", "my-request")
    audit.visit(requester, f"{base}/account", "account")

    agent = open_context().new_page()
    sign_in(agent, base, "priya@example.com")
    audit.visit(agent, f"{base}/desk", "desk-queue")
    audit.visit(agent, f"{base}/desk/tickets/{filed}", "desk-ticket")
    audit.visit(agent, f"{base}/desk/tickets/{incidents[0]}", "desk-ticket-resolved")
    audit.visit(agent, f"{base}/desk/search?q=vpn+certificate", "desk-search")
    audit.visit(agent, f"{base}/desk/exported/{SHARED_REQUEST}", "desk-exported-ticket")
    audit.visit(agent, f"{base}/desk/knowledge", "knowledge")
    audit.visit(agent, f"{base}/desk/knowledge/articles/{ARTICLE}", "knowledge-article")
    audit.visit(agent, f"{base}/desk/knowledge/articles/{ARTICLE}/edit", "editor")
    audit.visit(agent, f"{base}/desk/knowledge/new", "editor-new")
    audit.visit(agent, f"{base}/desk/problems", "problems")
    audit.visit(agent, f"{base}/desk/problems/{problem.number}", "problem")
    audit.visit(agent, f"{base}/admin/users", "admin-users")

    too_wide = audit.overflow if width <= 390 else {}
    listed = "\n".join(f"{name}: {found}" for name, found in audit.violations.items())
    assert (audit.violations, too_wide) == ({}, {}), f"{listed}\nwider than {width} px: {too_wide}"
    assert len(audit.pages) == 25
