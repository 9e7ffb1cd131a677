"""The insights pages in Spanish: after two weeks of `kb demo`'s traffic, no report's own words
(titles, labels, notes, worded cells, chart keys) are left in English, on the page or in its
CSV, while the JSON API keeps them in English."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient

from kb.cli.demo import needs_from, replay
from kb.insights.readout import Filters, Period, Readout
from kb.insights.reports import REPORTS
from kb.insights.wording import Text
from kb.services import Services
from kb.web.i18n import COOKIE
from tests.conftest import TICKETS
from tests.helpers import SignIn

pytestmark = pytest.mark.model

DAYS = 14
# What the English of a Text leaves between its values; shorter runs ("%, ") say nothing.
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


@pytest.fixture
def spanish_manager(
    portal_services: Services, imported: dict[str, str], client: FlaskClient, sign_in: SignIn
) -> FlaskClient:
    """A manager reading the insights in Spanish, over two weeks of replayed portal traffic."""
    for _ in replay(
        portal_services, needs_from(TICKETS), days=DAYS, per_day=5, seed=11, end=datetime.now(UTC)
    ):
        pass
    sign_in(client, "manager")
    client.set_cookie(COOKIE, "es")
    return client


def english_words(readout: Readout) -> set[str]:
    """Every English run of words the readout shows: each Text's message between its values,
    and any title, label or note given as plain text (a report's words not made Text)."""
    found: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, Text):
            found.update(part.strip() for part in PLACEHOLDER.split(value.message))
            for inner in value.values.values():
                add(inner)
        elif isinstance(value, str):
            found.add(value.strip())
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item)

    add(readout.title)
    add(readout.notes)
    for number in readout.numbers:
        add((number.label, number.note))
    for table in readout.tables:
        add((table.title, table.note, table.empty))
        add(tuple(column.label for column in table.columns))
        for row in table.rows:
            add(tuple(value for value in row.values() if isinstance(value, Text)))
    for chart in readout.charts:
        # A mark named by plain text is a setting's name (show_threshold), which stays.
        add((chart.title, *(name for name in chart.marks if isinstance(name, Text))))
    return {words for words in found if re.search(r"[A-Za-z]{2,}", words)}


class Shown(HTMLParser):
    """The pieces of text a page shows, and the names images and regions are read out by."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        self.pieces.extend(value for name, value in attrs if name == "aria-label" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.pieces.append(" ".join(data.split()))


def shown(page: str) -> list[str]:
    parser = Shown()
    parser.feed(page)
    return parser.pieces


def left_in_english(words: set[str], pieces: list[str]) -> list[str]:
    """The words found in the pieces: a run of several words anywhere, one word as a whole
    piece (a header, a label), so an article title that holds it does not count."""
    joined = " ¦ ".join(pieces)
    return sorted(
        phrase
        for phrase in words
        if (" " in phrase and phrase in joined) or (" " not in phrase and phrase in pieces)
    )


@pytest.fixture
def readouts(portal_services: Services) -> Iterator[dict[str, Readout]]:
    insights = portal_services.insights
    period = Period.last(30, insights.today())
    yield {report: insights.readout(report, period, Filters()) for report in REPORTS}


def test_spanish_pages_show_no_english_readout_words(
    spanish_manager: FlaskClient, readouts: dict[str, Readout]
) -> None:
    seen_tables = 0
    for report, readout in readouts.items():
        path = "/insights/" + ("" if report == "overview" else report)
        answer = spanish_manager.get(f"{path}?days=30")
        assert answer.status_code == 200, report
        page = answer.get_data(as_text=True)
        assert '<html lang="es"' in page
        words = english_words(readout)
        assert str(readout.title) in words
        assert left_in_english(words, shown(page)) == [], report
        seen_tables += sum(1 for table in readout.tables if table.rows)
    # The check read pages with figures, not only empty states.
    assert seen_tables >= 5


def test_the_check_finds_english_left_on_a_page(
    client: FlaskClient, sign_in: SignIn, readouts: dict[str, Readout]
) -> None:
    sign_in(client, "manager")
    page = client.get("/insights/articles?days=30").get_data(as_text=True)
    found = left_in_english(english_words(readouts["articles"]), shown(page))
    assert "Article effectiveness" in found and "Views from suggestions" in found


def test_a_spanish_csv_has_the_pages_headers_and_the_api_stays_english(
    spanish_manager: FlaskClient, readouts: dict[str, Readout]
) -> None:
    answer = spanish_manager.get("/insights/articles.csv?days=30&table=articles")
    header = next(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert "Vistas desde sugerencias" in header and "Views from suggestions" not in header
    english = [str(column.label) for column in readouts["articles"].table("articles").columns]
    assert len(header) == len(english) and not set(header) & set(english)
    # Cells the report words itself (an outcome's name) are in Spanish too.
    outcomes = spanish_manager.get("/insights/overview.csv?days=30&table=outcomes")
    assert "Ventana aún abierta" in outcomes.get_data(as_text=True)
    api = spanish_manager.get("/api/v1/insights/articles?days=30").get_json()
    assert api["title"] == "Article effectiveness"
    page = spanish_manager.get("/insights/articles?days=30").get_data(as_text=True)
    assert "Eficacia de los artículos" in html.unescape(page)
