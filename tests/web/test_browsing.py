"""A requester browsing the Help Centre: the home page, topics, grouped results and facets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from kb.events import Feedback, SelfResolved
from kb.indexer.sources import load_articles
from kb.selfservice import requester_filters
from kb.services import Services
from kb.web.results import LESS_LIKELY_FLOOR, LESS_LIKELY_LIMIT
from tests.conftest import ARTICLES
from tests.helpers import html_between

pytestmark = pytest.mark.model

PERCENT = re.compile(r"\d{1,3}%")


def ids_in(fragment: str) -> list[str]:
    return re.findall(r'href="/articles/([a-z0-9-]+)', fragment)


def test_category_tiles_open_a_browse_page_not_a_search(client: FlaskClient) -> None:
    home = client.get("/").get_data(as_text=True)
    assert 'href="/topics/printing"' in home and "/?q=" not in home
    page = client.get("/topics/printing")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1" in text and "Printing" in text
    assert "No confident answer" not in text
    listed = ids_in(html_between(text, 'id="category-articles"', "</ul>"))
    assert "print-jobs-stuck-in-queue" in listed
    # Only the topic's public, published articles.
    searcher = client.application.extensions["kb"].searcher
    for article_id in listed:
        document = searcher.document(article_id)
        assert document is not None and document.category == "printing"
        assert document.audience == "public" and document.status == "published"


def test_a_topic_lists_the_most_helpful_articles_first(
    client: FlaskClient, portal_services: Services
) -> None:
    before = ids_in(client.get("/topics/printing").get_data(as_text=True))
    last = before[-1]
    client.post(f"/articles/{last}/feedback", data={"helpful": "yes"})
    after = ids_in(client.get("/topics/printing").get_data(as_text=True))
    assert after[0] == last and sorted(after) == sorted(before)


def test_an_unknown_topic_is_a_404_that_says_so(client: FlaskClient) -> None:
    page = client.get("/topics/no-such-topic")
    assert page.status_code == 404
    assert "There is no topic at this address." in page.get_data(as_text=True)


def test_an_internal_only_topic_shows_no_internal_article(
    client: FlaskClient, portal_services: Services
) -> None:
    internal = portal_services.searcher.document("agent-unlock-ad-account")
    assert internal is not None and internal.audience == "internal" and internal.category
    page = client.get(f"/topics/{internal.category}").get_data(as_text=True)
    assert "agent-unlock-ad-account" not in page


def test_the_home_page_shows_the_most_helpful_articles_lately(
    client: FlaskClient, portal_services: Services
) -> None:
    assert 'id="most-helpful"' not in client.get("/").get_data(as_text=True)
    client.post("/articles/wifi-keeps-disconnecting/feedback", data={"helpful": "yes"})
    client.post("/request/solved", data={"article_id": "vpn-connection-fails"})
    client.post("/request/solved", data={"article_id": "vpn-connection-fails"})
    client.post("/articles/print-jobs-stuck-in-queue/feedback", data={"helpful": "no"})
    page = client.get("/").get_data(as_text=True)
    listed = ids_in(html_between(page, 'id="most-helpful"', "</section>"))
    assert listed == ["vpn-connection-fails", "wifi-keeps-disconnecting"]


def test_most_helpful_never_lists_what_requesters_may_not_see(portal_services: Services) -> None:
    now = datetime.now(UTC)
    for article_id in ("agent-unlock-ad-account", "vpn-connection-fails"):
        portal_services.events.record(
            SelfResolved(session_id="s" * 22, at=now, article_id=article_id)
        )
    old = now - timedelta(days=60)
    portal_services.events.record(
        Feedback(session_id="s" * 22, at=old, article_id="wifi-keeps-disconnecting", helpful=True)
    )
    found = portal_services.browsing.most_helpful(now - timedelta(days=28))
    assert [document.id for document in found] == ["vpn-connection-fails"]


def newest_public(language: str) -> list[str]:
    """The sample articles a requester may open, in `language` first, the newest first."""
    public = [
        document
        for document in load_articles(ARTICLES).documents
        if document.audience == "public" and document.status == "published"
    ]
    public.sort(key=lambda document: document.id)
    public.sort(key=lambda document: document.metadata["updated"] or "", reverse=True)
    public.sort(key=lambda document: document.language != language)
    return [document.id for document in public]


@pytest.mark.parametrize(("headers", "language"), [({}, "en"), ({"Accept-Language": "es"}, "es")])
def test_a_kb_with_no_votes_yet_lists_the_recently_updated_articles(
    client: FlaskClient, headers: dict[str, str], language: str
) -> None:
    page = client.get("/", headers=headers).get_data(as_text=True)
    assert 'id="most-helpful"' not in page
    listed = ids_in(html_between(page, 'id="recently-updated"', "</section>"))
    assert listed == newest_public(language)[:5]
    # Never an internal article (this one is among the newest), nor a ticket.
    assert "vpn-certificate-reissue" not in page and "/resolved/" not in page


def test_the_recently_updated_list_gives_way_to_the_most_helpful(client: FlaskClient) -> None:
    client.post("/articles/wifi-keeps-disconnecting/feedback", data={"helpful": "yes"})
    page = client.get("/").get_data(as_text=True)
    assert 'id="recently-updated"' not in page
    assert ids_in(html_between(page, 'id="most-helpful"', "</section>")) == [
        "wifi-keeps-disconnecting"
    ]


@pytest.mark.parametrize("query", ["printer", "vpn certificate validation failure", "laptop"])
def test_results_are_confident_answers_then_a_short_less_likely_group(
    client: FlaskClient, portal_services: Services, query: str
) -> None:
    page = client.get("/", query_string={"q": query}).get_data(as_text=True)
    answers = portal_services.selfservice.search(query, "t" * 22, k=20)
    by_id = {suggestion.document.id: suggestion for suggestion in answers.suggestions}
    likely = html_between(page, 'id="likely-answers"', "</ol>") if "likely-answers" in page else ""
    less = html_between(page, 'id="less-likely"', "</ul>") if 'id="less-likely"' in page else ""
    for article_id in ids_in(likely):
        assert by_id[article_id].deflection >= 0.5, article_id
    assert len(re.findall(r'<li class="result', less)) <= LESS_LIKELY_LIMIT
    for article_id in ids_in(less):
        assert LESS_LIKELY_FLOOR <= by_id[article_id].deflection < 0.5
    # The less likely group has no row of percentages; nothing below the floor is listed.
    assert not PERCENT.search(less)
    shown = set(ids_in(likely)) | set(ids_in(less))
    for suggestion in answers.suggestions:
        if suggestion.deflection < LESS_LIKELY_FLOOR and suggestion.document.kind == "article":
            assert suggestion.document.id not in shown
    assert "Still need help?" in page


def test_might_help_is_never_printed_on_a_long_shot(client: FlaskClient) -> None:
    page = client.get("/", query_string={"q": "printer"}).get_data(as_text=True)
    for percent in re.findall(r"might help · (\d+)%", page):
        assert int(percent) >= 50


def test_facets_are_few_collapsible_and_narrow_the_results(client: FlaskClient) -> None:
    page = client.get("/", query_string={"q": "vpn"}).get_data(as_text=True)
    refine = html_between(page, '<details class="refine"', "</details>")
    links = re.findall(r'<a href="/\?q=vpn&amp;([^"]+)"', refine)
    assert links, refine
    for facet in ("category", "tag", "language"):
        assert len([link for link in links if link.startswith(f"{facet}=")]) <= 5
    # The refine panel comes before the answers in reading order and is collapsible.
    assert page.index('<details class="refine"') < page.index('id="results-heading"')
    # Each link narrows: fewer answers shown after following it.
    before = len(re.findall(r'<li class="result', page))
    after_page = client.get("/?q=vpn&" + links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert len(re.findall(r'<li class="result', after_page)) < before
    assert "Clear filters" in after_page


def test_facet_values_are_worded_for_people(client: FlaskClient) -> None:
    page = client.get("/", query_string={"q": "password"}).get_data(as_text=True)
    refine = html_between(page, '<details class="refine"', "</details>")
    assert ">accounts-access<" not in refine and ">en<" not in refine


def test_the_request_form_lists_categories_by_name(client: FlaskClient) -> None:
    form = html_between(client.get("/request").get_data(as_text=True), 'id="category"', "</select>")
    assert ">Passwords &amp; access<" in form
    assert ">accounts-access<" not in form


def test_a_resolved_request_suggestion_can_be_confirmed(
    client: FlaskClient, portal_services: Services
) -> None:
    page = client.post(
        "/request",
        data={
            "subject": "VPN says certificate validation failure",
            "description": "the VPN stops at connecting with a certificate error",
            "action": "check",
        },
    ).get_data(as_text=True)
    tickets = re.findall(
        r'<li class="result resolved-request".*?data-solved="([^"]+)"', page, flags=re.DOTALL
    )
    assert tickets, "a resolved request among the suggestions, with its button"
    solved = client.post("/request/solved", data={"article_id": tickets[0]})
    text = solved.get_data(as_text=True)
    assert solved.status_code == 200 and "Glad that solved it" in text
    assert "resolution of a similar request" in text
    assert portal_services.events.count("self_resolved") == 1
    assert portal_services.events.track_records([tickets[0]])[tickets[0]].resolved == 1


def test_article_crumbs_lead_to_the_topic_by_name(client: FlaskClient) -> None:
    page = client.get("/articles/print-jobs-stuck-in-queue").get_data(as_text=True)
    crumbs = html_between(page, '<p class="crumbs">', "</p>")
    assert 'href="/topics/printing">Printing</a>' in crumbs


def test_feedback_returns_to_the_thank_you_note(
    client: FlaskClient, portal_services: Services
) -> None:
    response = client.post(
        "/articles/wifi-keeps-disconnecting/feedback",
        data={"helpful": "no", "comment": "nothing about 5 GHz"},
    )
    assert response.status_code == 302 and response.location.endswith("#feedback")
    page = client.get(response.location).get_data(as_text=True)
    feedback = html_between(page, 'id="feedback"', "</section>")
    assert "Thanks for the feedback" in feedback and 'role="status"' in feedback


def test_searching_within_a_topic(client: FlaskClient, portal_services: Services) -> None:
    page = client.get("/topics/printing").get_data(as_text=True)
    assert 'name="category" value="printing"' in page
    found = client.get("/?q=stuck&category=printing").get_data(as_text=True)
    for article_id in ids_in(found):
        document = portal_services.searcher.document(article_id)
        assert document is not None and document.category == "printing"
    assert requester_filters(["printing"]).categories == ("printing",)
