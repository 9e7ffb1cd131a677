"""The portal pages through Flask's test client: what a requester sees and does."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.indexer.sources import read_article
from kb.services import Services
from kb.web.render import render_markdown

pytestmark = pytest.mark.model


def test_home_has_a_search_box_and_topics(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'name="q"' in page and "Open a request" in page


def test_search_page_shows_highlighted_results(client: FlaskClient) -> None:
    page = client.get("/?q=printer+jobs+stuck").get_data(as_text=True)
    assert "<mark>" in page
    assert "Stuck print jobs" in page or "print-jobs-stuck-in-queue" in page
    assert "Still need help?" in page


def test_search_without_a_confident_answer_says_so(client: FlaskClient) -> None:
    page = client.get("/?q=banana+bread+recipe+with+walnuts").get_data(as_text=True)
    assert "No confident answer" in page or "No matching answers" in page
    assert "Open a request" in page


def test_article_page_renders_with_toc_related_and_feedback(client: FlaskClient) -> None:
    page = client.get("/articles/vpn-connection-fails").get_data(as_text=True)
    assert "<h1" in page and "On this page" in page
    assert "Related articles" in page
    assert "Was this helpful?" in page


def test_every_search_anchor_exists_on_its_article_page(
    client: FlaskClient, portal_services: Services
) -> None:
    payload = client.get("/api/v1/search", query_string={"q": "certificate error", "k": 20})
    for hit in payload.get_json()["hits"]:
        if hit["url"] and "#" in hit["url"]:
            path, anchor = hit["url"].split("#")
            assert f'id="{anchor}"' in client.get(path).get_data(as_text=True), hit["url"]


def test_feedback_form_records_a_vote(client: FlaskClient, portal_services: Services) -> None:
    response = client.post(
        "/articles/wifi-keeps-disconnecting/feedback",
        data={"helpful": "no", "comment": "did not mention 5 GHz"},
    )
    assert response.status_code == 302
    assert "Thanks for the feedback" in client.get(response.location).get_data(as_text=True)
    assert portal_services.events.track_records()["wifi-keeps-disconnecting"].unhelpful == 1


def test_internal_and_unknown_articles_are_the_same_404(client: FlaskClient) -> None:
    internal = client.get("/articles/agent-unlock-ad-account")
    unknown = client.get("/articles/no-such-article")
    assert internal.status_code == unknown.status_code == 404
    # The pages differ only where they name their own address (the language switch's way back).
    internal_page = internal.get_data(as_text=True).replace("agent-unlock-ad-account", "ID")
    assert internal_page == unknown.get_data(as_text=True).replace("no-such-article", "ID")


def test_request_form_without_javascript(client: FlaskClient, portal_services: Services) -> None:
    form = {
        "subject": "VPN certificate validation failure",
        "description": "since Monday",
        "requester_email": "li.wei@example.com",
        "type": "incident",
        "category": "network",
    }
    checked = client.post("/request", data={**form, "action": "check"}).get_data(as_text=True)
    assert "This solved my problem" in checked and "%" in checked
    solved = client.post("/request/solved", data={"article_id": "vpn-connection-fails"})
    assert "Glad that solved it" in solved.get_data(as_text=True)
    assert portal_services.events.count("self_resolved") == 1

    filed = client.post("/request", data={**form, "action": "submit"})
    assert filed.status_code == 302
    confirmation = client.get(filed.location).get_data(as_text=True)
    number = re.search(r"(INC-\d{6})", confirmation).group(1)
    assert "What happens next" in confirmation
    assert portal_services.tickets.get(number).trail["shown"]


def test_request_form_reports_what_is_missing(client: FlaskClient) -> None:
    page = client.post(
        "/request",
        data={"subject": "", "description": "", "requester_email": "nope", "action": "submit"},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Add a short subject." in text and "Give an email address" in text


def test_confirmation_is_private_to_the_visit(app, client: FlaskClient) -> None:
    filed = client.post(
        "/request",
        data={
            "subject": "Need a monitor",
            "description": "second screen please",
            "requester_email": "sam@example.com",
            "type": "service_request",
            "action": "submit",
        },
    )
    other_visit = app.test_client()
    assert other_visit.get(filed.location).status_code == 404


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
        "<iframe src='https://example.com'></iframe>",
        '<div style="background:url(javascript:alert(1))" onmouseover="alert(1)">hover</div>',
    ],
)
def test_hostile_markdown_is_neutralised(hostile: str) -> None:
    html = render_markdown(f"# Title\n\n{hostile}\n").html.lower()
    assert "<script" not in html and "javascript:" not in html and "<iframe" not in html
    assert "onerror" not in html and "onclick" not in html and "onmouseover" not in html


def test_hostile_queries_are_escaped(client: FlaskClient) -> None:
    page = client.get("/", query_string={"q": '<script>alert("x")</script> vpn'})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<script>alert("x")</script>' not in text
    assert "&lt;script&gt;" in text


def test_the_table_of_contents_shows_headings_escaped_once(
    writable_kb: Services, writable_app: Flask
) -> None:
    folder = writable_kb.settings.articles_dir
    (folder / "image-tags.md").write_text(
        "---\ntitle: Image tags\n---\n## The `<img>` tag & its alt text\n\nText.\n\n"
        "## Fish & chips\n\nMore.\n\n## Third <b>bold</b> heading\n\nEnd.\n",
        "utf-8",
    )
    writable_kb.indexer.update([read_article(folder / "image-tags.md").to_document()])
    page = writable_app.test_client().get("/articles/image-tags").get_data(as_text=True)
    toc = page[page.index('class="toc"') :]
    toc = toc[: toc.index("</nav>")]
    assert "The &lt;img&gt; tag &amp; its alt text</a>" in toc
    assert "Fish &amp; chips</a>" in toc and "Third bold heading</a>" in toc
    assert "&amp;lt;" not in toc and "&amp;amp;" not in toc
