"""How pages sit on the screen in a real browser, in English and Spanish, at 1280 and 390 px:
the masthead keeps each link whole (and on one row on a wide screen, whatever the roles), and
on a phone what a person came for is on the first screen, not under a column of filters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kb.services import Services
from tests.helpers import PASSWORD

pytestmark = pytest.mark.model

# Opens a page at a width, in a language, signed in as the email given (or not signed in).
OpenPage = Callable[..., Page]
SCREEN_HEIGHT = 900
TIMEOUT_MS = 20_000
# Each shown masthead item's text, and on how many lines the browser laid out its longest
# text (the links of a closed menu, or of the row a phone does not show, are left out).
MASTHEAD_LINES = """() => Array.from(
  document.querySelectorAll('.masthead .bar a, .masthead .bar button')
).filter(item => item.checkVisibility()).map(item => {
  const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
  let lines = 0;
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    if (!text.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(text);
    const tops = new Set(Array.from(range.getClientRects(), rect => Math.round(rect.top)));
    lines = Math.max(lines, tops.size);
  }
  return [item.textContent.trim(), lines];
})"""
# The top of each of the masthead's items shown at this width, in its own row or not.
MASTHEAD_TOPS = """() => Array.from(
  document.querySelectorAll('.masthead .bar > *, .site-nav > *')
).filter(item => item.checkVisibility()).map(item => [
  item.textContent.trim(), item.getBoundingClientRect().top, item.getBoundingClientRect().bottom
])"""
# One row of the brand, the language switch and the menu is about 52 px high; two rows are
# more than 80.
ONE_ROW_HEIGHT = 60


@pytest.fixture
def people(portal_services: Services) -> dict[str, str]:
    users = portal_services.users
    users.add("rita@example.com", PASSWORD, ("requester",), name="Rita Gómez")
    users.add("priya@example.com", PASSWORD, ("agent", "manager", "admin"), name="Priya Raman")
    return {"requester": "rita@example.com", "agent": "priya@example.com"}


@pytest.fixture
def open_page(browser: Browser, live_server: str) -> Iterator[OpenPage]:
    opened: list[BrowserContext] = []

    def open_one(width: int, language: str, email: str | None = None) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": SCREEN_HEIGHT}, locale=language
        )
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        page = context.new_page()
        if email is not None:
            page.goto(f"{live_server}/login")
            page.locator("#email").fill(email)
            page.locator("#password").fill(PASSWORD)
            with page.expect_navigation():
                page.locator("main button[type=submit]").click()
        return page

    yield open_one
    for context in opened:
        context.close()


def broken_items(page: Page) -> list[str]:
    """The masthead items whose words the browser broke over two lines or more."""
    return [text for text, lines in page.evaluate(MASTHEAD_LINES) if lines > 1]


def rows_of_masthead(page: Page) -> int:
    """How many rows the masthead's brand, links and language switch take."""
    rows: list[float] = []
    for _, top, bottom in page.evaluate(MASTHEAD_TOPS):
        if not any(top < row_bottom and bottom > row_top for row_top, row_bottom in rows):
            rows.append((top, bottom))
    return len(rows)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_masthead_keeps_each_link_whole(
    open_page: OpenPage, live_server: str, people: dict[str, str], width: int, language: str,
    artifacts_dir: Path,
) -> None:
    for who, email in (("visitor", None), *people.items()):
        page = open_page(width, language, email)
        page.goto(f"{live_server}/request")
        page.screenshot(
            path=artifacts_dir / f"layout-masthead-{who}-{language}-{width}.png",
            clip={"x": 0, "y": 0, "width": width, "height": 200},
        )
        assert broken_items(page) == [], (who, language, width)
        if width >= 1280:
            assert rows_of_masthead(page) == 1, (who, language)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_the_masthead_is_one_row_and_its_menu_holds_the_links(
    open_page: OpenPage, live_server: str, people: dict[str, str], language: str,
    artifacts_dir: Path,
) -> None:
    for who, address, links in (
        ("visitor", "/", ["/", "/login", "/request"]),
        ("requester", "/request", ["/", "/my/requests", "/account", "/request"]),
        ("agent", "/desk", ["/desk", "/desk/knowledge", "/insights/", "/my/requests"]),
        ("agent", "/admin/users", ["/desk", "/admin/users", "/account"]),
    ):
        page = open_page(390, language, people.get(who))
        page.goto(f"{live_server}{address}")
        bar = page.locator(".masthead .bar").bounding_box()
        assert bar is not None and bar["height"] <= ONE_ROW_HEIGHT, (who, address, bar)
        assert rows_of_masthead(page) == 1, (who, address)
        # The brand is whole, not cut short with an ellipsis.
        assert page.evaluate(
            "() => { const brand = document.querySelector('.brand');"
            " return brand.scrollWidth <= brand.clientWidth; }"
        ), (who, address)
        menu = page.locator("details.site-menu")
        menu.locator("summary").click()
        for link in links:
            expect(menu.locator(f'a[href="{link}"]')).to_be_visible()
        panel = menu.locator(".menu").bounding_box()
        assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
        name = address.strip("/").replace("/", "-") or "home"
        page.screenshot(
            path=artifacts_dir / f"layout-phone-menu-{who}-{name}-{language}.png",
            clip={"x": 0, "y": 0, "width": 390, "height": 560},
        )
        page.keyboard.press("Escape")
        expect(menu.locator(".menu")).to_be_hidden()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # The phone's menu signs out too.
    menu.locator("summary").click()
    with page.expect_navigation():
        menu.locator("button[type=submit]").click()
    menu.locator("summary").click()
    expect(menu.locator('a[href="/login"]')).to_be_visible()


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_the_queue_comes_before_its_filters(
    open_page: OpenPage, live_server: str, people: dict[str, str], imported: dict[str, str],
    language: str, artifacts_dir: Path,
) -> None:
    page = open_page(390, language, people["agent"])
    page.goto(f"{live_server}/desk?status=resolved&filtered=1")
    first_ticket = page.locator("table.queue tbody tr").first.bounding_box()
    page.screenshot(path=artifacts_dir / f"layout-desk-queue-{language}-390.png", full_page=True)
    assert first_ticket is not None and first_ticket["y"] < SCREEN_HEIGHT
    # The filters are one tap away and still filter.
    page.locator("details.queue-filters > summary").click()
    page.locator("#queue-q").fill("printer")
    with page.expect_navigation():
        page.locator("#queue-filters button[type=submit]").click()
    assert "q=printer" in page.url


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_the_topics_sit_two_to_a_row(
    open_page: OpenPage, live_server: str, language: str, artifacts_dir: Path
) -> None:
    page = open_page(390, language)
    page.goto(f"{live_server}/")
    page.screenshot(path=artifacts_dir / f"layout-home-{language}-390.png", full_page=True)
    boxes = [tile.bounding_box() for tile in page.locator(".tile").all()]
    tops = [box["y"] for box in boxes if box is not None]
    assert len(tops) >= 8
    assert tops[0] == tops[1], "the first two topics share a row"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_account_menu_works_by_keyboard_and_signs_out(
    open_page: OpenPage, live_server: str, people: dict[str, str], artifacts_dir: Path
) -> None:
    """On a wide screen; a phone's account links are in its site menu (the test above)."""
    width = 1280
    page = open_page(width, "en", people["agent"])
    page.goto(f"{live_server}/desk")
    menu = page.locator("details.account-menu")
    page.locator("details.account-menu > summary").focus()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("link", name="My requests")).to_be_visible()
    page.screenshot(
        path=artifacts_dir / f"layout-account-menu-{width}.png",
        clip={"x": 0, "y": 0, "width": width, "height": 320},
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.keyboard.press("Escape")
    expect(menu.get_by_role("link", name="My requests")).to_be_hidden()
    page.locator("details.account-menu > summary").click()
    with page.expect_navigation():
        menu.get_by_role("button", name="Sign out").click()
    expect(page.locator(".site-nav").get_by_role("link", name="Sign in")).to_be_visible()


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_live_suggestions_show_while_typing_the_description(
    open_page: OpenPage, live_server: str, language: str, artifacts_dir: Path
) -> None:
    page = open_page(390, language)
    page.goto(f"{live_server}/request")
    page.locator("#subject").press_sequentially("Print jobs stuck in the queue", delay=10)
    description = page.locator("#description")
    description.press_sequentially("Nothing prints from my laptop since this morning.", delay=10)
    first = page.locator("#suggestions li.result").first
    expect(first).to_be_visible()
    page.screenshot(path=artifacts_dir / f"layout-request-typing-{language}-390.png")
    # Still in the description, with no scrolling: the first answer starts on the screen.
    assert page.evaluate("() => document.activeElement.id") == "description"
    box = first.bounding_box()
    assert box is not None and box["y"] < SCREEN_HEIGHT - 40, box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_spanish_portal_fits_a_phone(
    open_page: OpenPage, live_server: str, artifacts_dir: Path
) -> None:
    page = open_page(390, "es")
    too_wide = {}
    for name, address in (
        ("search", "/?q=la+impresora+no+imprime"),
        ("search-nothing", "/?q=zzqx+blorf"),
        ("article", "/articles/print-jobs-stuck-in-queue"),
        ("topic", "/topics/printing"),
        ("resolved", "/resolved/INC-2026-0016"),
        ("error", "/articles/no-such-article"),
        ("login", "/login"),
    ):
        page.goto(f"{live_server}{address}")
        assert page.locator("html").get_attribute("lang") == "es"
        page.screenshot(path=artifacts_dir / f"layout-es-{name}-390.png", full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            too_wide[name] = width
        assert broken_items(page) == [], name
    assert too_wide == {}


# Words of `selector`'s text that the browser broke over two lines (each word's own rects).
BROKEN_WORDS = """selector => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      for (const match of text.textContent.matchAll(/[^\\s]+/g)) {
        const range = document.createRange();
        range.setStart(text, match.index);
        range.setEnd(text, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects(), rect => Math.round(rect.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""
# What sticks out of its answer card on the right, by how many pixels.
OUT_OF_CARD = """() => Array.from(document.querySelectorAll('li.result')).flatMap(card => {
  const edge = card.getBoundingClientRect().right;
  return Array.from(card.querySelectorAll('*'))
    .filter(item => item.getBoundingClientRect().right > edge + 0.5)
    .map(item => [item.className || item.tagName, item.getBoundingClientRect().right - edge]);
})"""


@pytest.mark.parametrize("language", ["en", "es"])
def test_on_a_phone_table_cells_and_answer_cards_keep_their_words_whole(
    open_page: OpenPage, live_server: str, language: str, artifacts_dir: Path
) -> None:
    """A Spanish article's table broke words inside them ("Caus|a prob|able") and the
    suggestion's label "muy probablemente lo resuelva · 99%" ran past its card."""
    page = open_page(390, language)
    page.goto(f"{live_server}/articles/vpn-no-conecta")
    assert page.evaluate(BROKEN_WORDS, ".body th, .body td, .meta") == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/request")
    page.locator("#subject").press_sequentially("La VPN no conecta", delay=10)
    page.locator("#description").fill("Desde esta mañana dice que el certificado no es válido.")
    expect(page.locator("#suggestions li.result").first).to_be_visible()
    page.screenshot(path=artifacts_dir / f"layout-suggestion-cards-{language}-390.png")
    assert page.evaluate(OUT_OF_CARD) == []



# Each element of the admin page's tables that does not lie inside both its table's visible
# box and the screen, by how far it sticks out on the right (scrolled out of sight is clipped).
OUT_OF_ADMIN_TABLES = """width => Array.from(
  document.querySelectorAll('table[data-table]')
).flatMap(table => {
  const edge = Math.min(table.parentElement.getBoundingClientRect().right, width);
  return Array.from(table.querySelectorAll('td *'))
    .filter(item => item.checkVisibility() && item.getBoundingClientRect().right > edge + 0.5)
    .map(item => [table.dataset.table, item.tagName, item.textContent.trim(),
                  item.getBoundingClientRect().right - edge]);
})"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_admin_tables_show_every_control_without_scrolling_sideways(
    open_page: OpenPage, live_server: str, portal_services: Services, people: dict[str, str],
    width: int, artifacts_dir: Path,
) -> None:
    """At 390 px the users table ran 140 px past the screen: its roles, password and Save were
    cut off at the right edge, inside a scroll box that showed no sign of scrolling; the
    tokens table hid its Revoke button 237 px to the right the same way."""
    users = portal_services.users
    owner = users.find(people["agent"])
    assert owner is not None
    users.create_token(owner.id, "Service desk integration")
    page = open_page(width, "en", people["agent"])
    page.goto(f"{live_server}/admin/users")
    page.screenshot(path=artifacts_dir / f"layout-admin-users-{width}.png", full_page=True)
    assert page.evaluate(OUT_OF_ADMIN_TABLES, width) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    rita = page.locator('[data-table="users"] tr', has_text="rita@example.com")
    expect(rita.get_by_role("button", name="Save")).to_be_in_viewport()
    # Changing a role still works from a phone.
    rita.locator('input[value="agent"]').check()
    with page.expect_navigation():
        rita.get_by_role("button", name="Save").click()
    rita = page.locator('[data-table="users"] tr', has_text="rita@example.com")
    expect(rita.locator('input[value="agent"]')).to_be_checked()
