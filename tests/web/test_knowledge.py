"""Knowledge authoring through the test client, over a small indexed KB and the fast embedder."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.backends import open_generation_store
from kb.model import Filters, SearchQuery
from kb.services import Services
from kb.store.tickets import NewTicket
from kb.web import create_app
from tests.conftest import WriteArticle
from tests.helpers import FormClient, signer

VPN_BODY = """
# VPN setup

## Install the client

Install Cisco Secure Client from the Software Centre and sign in with your work account.
"""


@pytest.fixture
def kb(services: Services, write_article: WriteArticle) -> Services:
    write_article(
        "vpn-setup",
        VPN_BODY,
        title="Set up the VPN",
        related=["wifi-guest"],
        owner="priya@example.com",
        **{"x-team": "network"},
    )
    write_article(
        "wifi-guest",
        "Join the Guest network and accept the terms on the portal page.",
        title="Guest Wi-Fi access",
    )
    write_article(
        "firewall-runbook",
        "Open the change board ticket before editing firewall rules.",
        title="Firewall change runbook",
        audience="internal",
        related=["wifi-guest"],
    )
    report = services.index_files()
    assert not report.errors
    return services


@pytest.fixture
def knowledge_app(kb: Services) -> Flask:
    app = create_app(services=kb, test_config={"TESTING": True, "SECRET_KEY": "test"})
    app.test_client_class = FormClient
    return app


def client_as(app: Flask, *roles: str, email: str) -> FlaskClient:
    client = app.test_client()
    signer(app)(client, *roles, email=email)
    return client


@pytest.fixture
def agent(knowledge_app: Flask) -> FlaskClient:
    return client_as(knowledge_app, "agent", email="priya@example.com")


def page(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def editor_fields(client: FlaskClient, article_id: str) -> dict[str, str]:
    """The editor's form as the browser would post it back, unchanged."""
    html = page(client.get(f"/desk/knowledge/articles/{article_id}/edit"))
    return {**form_fields(html), "base_digest": hidden(html, "base_digest")}


def form_fields(html: str) -> dict[str, str]:
    """The named inputs, selects and the text of an editor page."""
    fields = dict(re.findall(r'<input id="\w+" name="(\w+)"[^>]*?value="([^"]*)"', html))
    for name in ("audience", "status", "type"):
        select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', html)
        assert select
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
        fields[name] = chosen.group(1) if chosen else ""
    body = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', html, re.S)
    assert body
    fields["body"] = body.group(1)
    return {name: unescape(value) for name, value in fields.items()}


NEW_ARTICLE = {
    "title": "Reset a forgotten PIN on the badge reader",
    "summary": "Badge PIN resets at reception",
    "category": "accounts-access",
    "tags": "badge, pin",
    "audience": "public",
    "status": "draft",
    "owner": "priya@example.com",
    "review_by": "",
    "related": "wifi-guest",
    "language": "en",
    "type": "how-to",
    "body": "## Steps\n\nShow your ID at reception; they reset the badge PIN in two minutes.\n",
    "message": "first version",
}


def test_every_knowledge_route_needs_the_agent_role(knowledge_app: Flask) -> None:
    rules = [
        rule
        for rule in knowledge_app.url_map.iter_rules()
        if rule.endpoint.startswith("knowledge.")
    ]
    assert len(rules) >= 10
    anonymous = knowledge_app.test_client()
    requester = client_as(knowledge_app, "requester", email="mia@example.com")
    for rule in rules:
        view = knowledge_app.view_functions[rule.endpoint]
        assert getattr(view, "required_roles", None) == ("agent",), rule.endpoint
        url = rule.rule.replace("<article_id>", "vpn-setup").replace("<int:number>", "1")
        url = url.replace("<int:flag_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            sent = anonymous.open(url, method=method)
            assert sent.status_code == 302, (method, url)
            assert sent.headers["Location"].startswith("/login"), (method, url)
            assert requester.open(url, method=method).status_code == 403, (method, url)


def test_agent_creates_previews_and_saves_an_article_that_search_finds(
    agent: FlaskClient, kb: Services
) -> None:
    assert "New article" in page(agent.get("/desk/knowledge/new"))

    previewed = page(agent.post("/desk/knowledge/new", data={**NEW_ARTICLE, "action": "preview"}))
    assert '<h2 id="steps">Steps</h2>' in previewed
    assert not (kb.settings.articles_dir / "reset-a-forgotten-pin-on-the-badge-reader.md").exists()

    saved = agent.post("/desk/knowledge/new", data={**NEW_ARTICLE, "action": "save"})
    assert saved.status_code == 302
    article_id = "reset-a-forgotten-pin-on-the-badge-reader"
    assert saved.headers["Location"].startswith(f"/desk/knowledge/articles/{article_id}")
    text = (kb.settings.articles_dir / f"{article_id}.md").read_text("utf-8")
    assert "title: Reset a forgotten PIN on the badge reader\n" in text
    assert "tags: [badge, pin]\n" in text and "status: draft\n" in text
    assert text.endswith("Show your ID at reception; they reset the badge PIN in two minutes.\n")
    # No temporary file is left beside it.
    assert not [path for path in kb.settings.articles_dir.iterdir() if path.name.startswith(".")]

    filters = Filters(statuses=("draft",))
    hits = kb.searcher.search(SearchQuery("badge PIN reception", filters=filters)).hits
    assert hits and hits[0].id == article_id

    shown = page(agent.get(saved.headers["Location"]))
    assert "Article created." in shown and "first version" in shown and "priya@example.com" in shown
    assert "Guest Wi-Fi access" in shown  # its related article, by title
    listing = page(agent.get("/desk/knowledge?status=draft"))
    assert "Reset a forgotten PIN" in listing and "Set up the VPN" not in listing


def test_invalid_fields_are_named_and_the_text_is_kept(agent: FlaskClient, kb: Services) -> None:
    form = {**NEW_ARTICLE, "review_by": "soon", "related": "no-such article", "action": "save"}
    shown = page(agent.post("/desk/knowledge/new", data=form))
    assert "Not saved:" in shown and "Review by must be a date" in shown
    assert "Show your ID at reception" in shown
    assert len(list(kb.settings.articles_dir.glob("*.md"))) == 3


def test_live_preview_renders_as_the_portal_does_and_sanitises(agent: FlaskClient) -> None:
    with agent.session_transaction() as session:
        token = session["csrf"]
    answer = agent.post(
        "/desk/knowledge/preview",
        json={"body": "## Hello\n\n<script>alert(1)</script>[x](javascript:alert(1))"},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 200, page(answer)
    html = answer.get_json()["html"]
    assert '<h2 id="hello">Hello</h2>' in html
    assert "<script" not in html and "javascript:" not in html
    assert agent.post("/desk/knowledge/preview", json={"body": "x"}).status_code == 400
    wrong_shape = agent.post("/desk/knowledge/preview", json=["x"], headers={"X-CSRF-Token": token})
    assert wrong_shape.status_code == 400


def test_a_save_while_the_index_is_locked_answers_at_once_and_is_indexed_once_it_frees(
    agent: FlaskClient, kb: Services
) -> None:
    fields = editor_fields(agent, "vpn-setup")
    fields.update(
        body=fields["body"] + "\n\n## Split tunnelling\n\nThe Zephyrine plotter needs it on.\n",
        action="save",
    )

    def found() -> bool:
        query = SearchQuery("Zephyrine plotter", mode="keyword", filters=Filters())
        hits = kb.searcher.search(query).hits
        return any(hit.id == "vpn-setup" for hit in hits)

    # Another writer (a long `kb index`) holds the index's lock.
    with open_generation_store(kb.settings).lock(timeout=5):
        saved = agent.post("/desk/knowledge/articles/vpn-setup/edit", data=fields)
        assert saved.status_code == 302
        shown = page(agent.get(saved.headers["Location"]))
        assert "Saved." in shown and 'id="indexing"' in shown and "indexing…" in shown
        assert "becomes searchable a few seconds after the index frees" in shown
        path = kb.settings.articles_dir / "vpn-setup.md"
        assert "The Zephyrine plotter needs it on." in path.read_text("utf-8")
        assert [revision.number for revision in kb.authoring.history("vpn-setup")] == [2, 1]
        assert not found()
        # A worker's drain finds the lock still held and leaves the file queued.
        assert kb.knowledge_queue.drain() is None

    report = kb.knowledge_queue.drain()
    assert report is not None and report.updated == ["vpn-setup"]
    assert found()
    assert 'id="indexing"' not in page(agent.get("/desk/knowledge/articles/vpn-setup"))


def test_editing_keeps_unknown_front_matter_and_the_original_as_revision_one(
    agent: FlaskClient, kb: Services
) -> None:
    path = kb.settings.articles_dir / "vpn-setup.md"
    original = path.read_text("utf-8")
    fields = editor_fields(agent, "vpn-setup")
    assert fields["title"] == "Set up the VPN" and fields["related"] == "wifi-guest"
    fields.update(title="Set up the VPN at home", message="clearer title", action="save")

    saved = agent.post("/desk/knowledge/articles/vpn-setup/edit", data=fields)
    assert saved.status_code == 302
    text = path.read_text("utf-8")
    assert "x-team: network\n" in text and "title: Set up the VPN at home\n" in text
    history = kb.authoring.history("vpn-setup")
    assert [(r.number, r.author, r.message) for r in history] == [
        (2, "priya@example.com", "clearer title"),
        (1, None, "the file before kb's first save"),
    ]
    assert history[1].text == original and history[0].text == text
    assert kb.searcher.document("vpn-setup").title == "Set up the VPN at home"  # type: ignore[union-attr]


def test_second_agent_saving_an_older_text_gets_a_conflict_and_keeps_their_text(
    knowledge_app: Flask, agent: FlaskClient, kb: Services
) -> None:
    other = client_as(knowledge_app, "agent", email="sam@example.com")
    mine, theirs = editor_fields(agent, "vpn-setup"), editor_fields(other, "vpn-setup")

    mine.update(body=mine["body"] + "\nRestart the laptop if it still fails.\n", action="save")
    assert agent.post("/desk/knowledge/articles/vpn-setup/edit", data=mine).status_code == 302

    theirs.update(body=theirs["body"] + "\nCall the desk on 4444.\n", action="save")
    refused = other.post("/desk/knowledge/articles/vpn-setup/edit", data=theirs)
    assert refused.status_code == 409
    html = page(refused)
    assert "priya@example.com changed this article since you opened it" in html
    assert "Call the desk on 4444." in html  # their text, kept in the form
    assert '<span class="diff-remove">-Restart the laptop if it still fails.</span>' in html
    path = kb.settings.articles_dir / "vpn-setup.md"
    assert "Restart the laptop" in path.read_text("utf-8") and "4444" not in path.read_text("utf-8")

    # Having seen the diff, they save again on the new base: now on purpose.
    theirs["base_digest"] = hidden(html, "base_digest")
    assert other.post("/desk/knowledge/articles/vpn-setup/edit", data=theirs).status_code == 302
    assert "4444" in path.read_text("utf-8")
    texts = [revision.text for revision in kb.authoring.history("vpn-setup")]
    assert any("Restart the laptop" in text for text in texts)  # nothing lost


def test_a_change_made_outside_kb_is_kept_before_the_next_save(
    agent: FlaskClient, kb: Services
) -> None:
    fields = editor_fields(agent, "wifi-guest")
    agent.post(
        "/desk/knowledge/articles/wifi-guest/edit",
        data={**fields, "action": "save", "message": "m"},
    )
    path = kb.settings.articles_dir / "wifi-guest.md"
    outside = path.read_text("utf-8").replace("accept the terms", "accept the new terms")
    path.write_text(outside, "utf-8")  # e.g. a git pull

    fields = editor_fields(agent, "wifi-guest")
    fields.update(summary="Guests get Wi-Fi for a day", action="save")
    assert agent.post("/desk/knowledge/articles/wifi-guest/edit", data=fields).status_code == 302
    history = kb.authoring.history("wifi-guest")
    assert [revision.message for revision in history] == [
        "saved",
        "changed outside kb",
        "m",
        "the file before kb's first save",
    ]
    assert history[1].text == outside and "accept the new terms" in path.read_text("utf-8")


def test_diff_between_revisions_and_restoring_one(agent: FlaskClient, kb: Services) -> None:
    path = kb.settings.articles_dir / "wifi-guest.md"
    original = path.read_text("utf-8")
    fields = editor_fields(agent, "wifi-guest")
    fields.update(body="Guests ask reception for a voucher code.\n", action="save")
    agent.post("/desk/knowledge/articles/wifi-guest/edit", data=fields)

    diff = page(agent.get("/desk/knowledge/articles/wifi-guest/diff?from=1&to=2"))
    assert '<span class="diff-remove">-Join the Guest network' in diff
    assert '<span class="diff-add">+Guests ask reception for a voucher code.</span>' in diff

    article_page = page(agent.get("/desk/knowledge/articles/wifi-guest"))
    restored = agent.post(
        "/desk/knowledge/articles/wifi-guest/revisions/1/restore",
        data={"base_digest": hidden(article_page, "base_digest")},
    )
    assert restored.status_code == 302
    assert path.read_text("utf-8") == original
    assert kb.authoring.history("wifi-guest")[0].message == "restored revision 1"
    assert "Join the Guest network" in kb.searcher.document("wifi-guest").body  # type: ignore[union-attr]

    stale = agent.post(
        "/desk/knowledge/articles/wifi-guest/revisions/2/restore",
        data={"base_digest": hidden(article_page, "base_digest")},
    )
    assert stale.status_code == 409 and path.read_text("utf-8") == original
    assert agent.get("/desk/knowledge/articles/wifi-guest/diff?from=1&to=9").status_code == 404


def test_workflow_draft_review_published_archived_and_back(
    agent: FlaskClient, kb: Services
) -> None:
    agent.post("/desk/knowledge/new", data={**NEW_ARTICLE, "action": "save"})
    article_id = "reset-a-forgotten-pin-on-the-badge-reader"
    url = f"/desk/knowledge/articles/{article_id}"

    def move(status: str) -> int:
        digest = hidden(page(agent.get(url)), "base_digest")
        sent = agent.post(f"{url}/status", data={"status": status, "base_digest": digest})
        return sent.status_code

    assert move("published") == 400  # a draft goes to review first
    for status in ("review", "published", "archived", "draft"):
        assert move(status) == 302, status
        assert kb.searcher.document(article_id).status == status  # type: ignore[union-attr]
    messages = [revision.message for revision in kb.authoring.history(article_id)]
    assert messages[:4] == [
        "status: archived → draft",
        "status: published → archived",
        "status: review → published",
        "status: draft → review",
    ]
    # The editor offers only the workflow's next steps.
    fields = editor_fields(agent, article_id)
    fields.update(status="published", action="save")
    assert "cannot become published" in page(agent.post(f"{url}/edit", data=fields))


def test_flags_from_the_portal_and_the_needs_review_list(
    knowledge_app: Flask, agent: FlaskClient, kb: Services, write_article: WriteArticle
) -> None:
    past = (date.today() - timedelta(days=1)).isoformat()
    write_article("printer-jam", "Open tray 2 and pull the paper out.", review_by=past)
    write_article("new-laptop", "Order it in the catalogue.", status="review")
    kb.index_files()

    portal = page(agent.get("/articles/wifi-guest"))
    assert "Flag this article" in portal
    assert "Flag this article" not in page(knowledge_app.test_client().get("/articles/wifi-guest"))
    flagged = agent.post(
        "/desk/knowledge/articles/wifi-guest/flags",
        data={
            "reason": "outdated",
            "comment": "The portal page moved.",
            "next": "/articles/wifi-guest",
        },
    )
    assert flagged.status_code == 302 and flagged.headers["Location"] == "/articles/wifi-guest"
    assert (
        agent.post(
            "/desk/knowledge/articles/wifi-guest/flags", data={"reason": "boring"}
        ).status_code
        == 400
    )

    review = page(agent.get("/desk/knowledge"))
    section = review[review.index('id="needs-review"') : review.index('id="all-articles"')]
    assert "Guest Wi-Fi access" in section and "flagged outdated" in section
    assert "Printer jam" in section and f"review was due {past}" in section
    assert "New laptop" in section and "waiting for review" in section
    assert "Set up the VPN" not in section

    flag = kb.authoring.flags.for_article("wifi-guest")[0]
    shown = page(agent.get("/desk/knowledge/articles/wifi-guest"))
    assert "The portal page moved." in shown
    cleared = agent.post(f"/desk/knowledge/articles/wifi-guest/flags/{flag.id}/clear")
    assert cleared.status_code == 302
    review = page(agent.get("/desk/knowledge"))
    assert "flagged outdated" not in review
    assert agent.post("/desk/knowledge/articles/vpn-setup/flags/999/clear").status_code == 404


def test_a_new_article_that_repeats_an_existing_one_needs_save_anyway(
    agent: FlaskClient, kb: Services
) -> None:
    copy = {
        **NEW_ARTICLE,
        "title": "Set up the VPN",
        "body": VPN_BODY,
        "related": "",
        "action": "save",
    }
    warned = page(agent.post("/desk/knowledge/new", data=copy))
    assert "looks like an article that already exists" in warned
    assert "vpn-setup" in warned and 'value="save_anyway"' in warned
    assert not (kb.settings.articles_dir / "set-up-the-vpn.md").exists()

    different = {**NEW_ARTICLE, "action": "save"}
    assert agent.post("/desk/knowledge/new", data=different).status_code == 302

    saved = agent.post("/desk/knowledge/new", data={**copy, "action": "save_anyway"})
    assert saved.status_code == 302
    assert (kb.settings.articles_dir / "set-up-the-vpn.md").exists()
    assert (kb.settings.articles_dir / "vpn-setup.md").exists()


def test_create_article_from_a_resolved_ticket_links_them(agent: FlaskClient, kb: Services) -> None:
    ticket = kb.tickets.create(
        NewTicket(
            "Teams camera is black in meetings",
            "Video shows a black square since the update.",
            "mia@example.com",
            category="software",
        )
    )
    kb.desk.resolve(ticket.number, "priya@example.com", "Turned off hardware acceleration.")

    form = page(agent.get(f"/desk/knowledge/new?from_ticket={ticket.number}"))
    assert 'value="Teams camera is black in meetings"' in form
    assert "## Symptoms\n\nVideo shows a black square" in form
    assert "## Resolution\n\nTurned off hardware acceleration." in form
    assert 'name="from_ticket"' in form

    fields = form_fields(form)
    fields.update(action="save", from_ticket=ticket.number)
    saved = agent.post("/desk/knowledge/new", data=fields)
    assert saved.status_code == 302, page(saved)
    article_id = "teams-camera-is-black-in-meetings"
    assert kb.tickets.get(ticket.number).linked_article == article_id  # type: ignore[union-attr]
    assert ticket.number in page(agent.get(f"/desk/knowledge/articles/{article_id}"))
    assert agent.get("/desk/knowledge/new?from_ticket=INC-999999").status_code == 404


def test_the_editor_opens_pre_filled_from_a_link(agent: FlaskClient) -> None:
    form = page(
        agent.get(
            "/desk/knowledge/new",
            query_string={
                "title": "Printer offline after sleep",
                "body": "## Symptoms\n\n- printer offline\n- printer asleep",
                "category": "printing",
                "language": "es",
            },
        )
    )
    fields = form_fields(form)
    assert fields["title"] == "Printer offline after sleep"
    assert fields["body"] == "## Symptoms\n\n- printer offline\n- printer asleep"
    assert fields["category"] == "printing" and fields["language"] == "es"
    assert fields["owner"] == "priya@example.com" and fields["status"] == "draft"
    long = form_fields(page(agent.get("/desk/knowledge/new", query_string={"title": "x" * 400})))
    assert len(long["title"]) == 300 and long["language"] == "en"


def test_links_both_ways_lookup_similar_and_the_portal_shows_only_public_linkers(
    knowledge_app: Flask, agent: FlaskClient
) -> None:
    found = agent.get("/desk/knowledge/lookup?q=guest wi").get_json()
    assert found == {"articles": [{"id": "wifi-guest", "title": "Guest Wi-Fi access"}]}
    assert agent.get("/desk/knowledge/lookup?q=").get_json() == {"articles": []}

    shown = page(agent.get("/desk/knowledge/articles/wifi-guest"))
    linked_from = shown[shown.index("Linked from") : shown.index("Similar articles")]
    assert "Set up the VPN" in linked_from and "Firewall change runbook" in linked_from
    similar = shown[shown.index("Similar articles") : shown.index("Tickets it solved")]
    assert "Set up the VPN" in similar or "Firewall change runbook" in similar

    requester_view = page(knowledge_app.test_client().get("/articles/wifi-guest"))
    assert 'id="linked-from"' in requester_view and "Set up the VPN" in requester_view
    assert "Firewall change runbook" not in requester_view


@pytest.mark.model
def test_with_the_real_model_a_reworded_copy_is_a_duplicate_and_a_neighbour_is_not(
    writable_app: Flask, writable_kb: Services
) -> None:
    writable_app.test_client_class = FormClient
    agent = client_as(writable_app, "agent", email="priya@example.com")
    source = writable_kb.authoring.open("vpn-first-time-setup").article
    sentences = re.split(r"(?<=[.!?])\s+", source.body)
    reworded = " ".join(part for number, part in enumerate(sentences) if number % 3 != 2)
    copy = {**NEW_ARTICLE, "title": "First-time VPN setup", "body": reworded, "related": ""}
    warned = page(agent.post("/desk/knowledge/new", data={**copy, "action": "save"}))
    assert 'id="duplicates"' in warned and "vpn-first-time-setup" in warned

    # The closest pair of different sample articles are not taken for repeats of each other.
    neighbour = writable_kb.authoring.open("vpn-connection-fails").article
    found = writable_kb.authoring.duplicates(neighbour.title, neighbour.body)
    assert [document.id for document, _ in found] == ["vpn-connection-fails"]
    started = writable_kb.authoring.duplicates(
        "Set up the VPN for a new starter", "Install Cisco Secure Client and sign in."
    )
    assert started == []


def test_requester_comments_reach_the_article_page_and_the_needs_review_list(
    knowledge_app: Flask, agent: FlaskClient, kb: Services, write_article: WriteArticle
) -> None:
    requester = knowledge_app.test_client()
    requester.post(
        "/articles/wifi-guest/feedback",
        data={"helpful": "no", "comment": "The terms page never loads on my phone."},
    )
    requester.post("/articles/vpn-setup/feedback", data={"helpful": "yes", "comment": "Clear!"})
    requester.post("/articles/vpn-setup/feedback", data={"helpful": "no"})

    shown = page(agent.get("/desk/knowledge/articles/wifi-guest"))
    comments = shown[shown.index('id="requester-comments"') : shown.index('id="links"')]
    assert "The terms page never loads on my phone." in comments and "not helpful" in comments
    assert "Clear!" in page(agent.get("/desk/knowledge/articles/vpn-setup"))

    review = page(agent.get("/desk/knowledge"))
    section = review[review.index('id="needs-review"') : review.index('id="all-articles"')]
    assert "Guest Wi-Fi access" in section and "not helpful, with a comment (1×)" in section
    assert "The terms page never loads on my phone." in section
    # A helpful comment, or a vote without one, is no reason to review.
    assert "Set up the VPN" not in section

    # An update after the comment answers it: the article leaves the list.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    write_article(
        "wifi-guest",
        "Join Guest and open the terms page.",
        title="Guest Wi-Fi access",
        updated=tomorrow,
    )
    kb.index_files()
    review = page(agent.get("/desk/knowledge"))
    section = review[review.index('id="needs-review"') : review.index('id="all-articles"')]
    assert "Guest Wi-Fi access" not in section
