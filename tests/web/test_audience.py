"""Internal knowledge never reaches requesters: every requester path, tried with secret words.

An internal article, a draft, an archived article and an internal ticket note each carry a
word found nowhere else. No page, API answer, related list or error a requester can reach,
anonymous or signed in, may contain any of those words or titles.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.indexer.sources import read_article
from kb.model import Filters, SearchQuery
from kb.services import Services
from kb.store.tickets import NewTicket
from tests.helpers import FormClient, csrf_headers, signer

pytestmark = pytest.mark.model

# state: (word searched for, title, word only in the body and never searched for)
SECRETS = {
    "internal": ("zebrafinch", "Zebrafinch console override for VPN certificates", "obsidianquill"),
    "draft": ("quokkaflow", "Quokkaflow printer driver rollout", "saffronlattice"),
    "archived": ("marmosetline", "Marmosetline legacy dial-in access", "cobaltmeadow"),
    "ticket": ("narwhalgate", "Narwhalgate door badge reader offline", "amberkestrel"),
}
HIDDEN_IDS = ("hidden-internal", "hidden-draft", "hidden-archived")


@pytest.fixture
def secret_kb(writable_kb: Services) -> Services:
    """The sample KB plus one article or note per hidden state, each with its secret word."""
    folder = writable_kb.settings.articles_dir
    body = "## Steps\n\nUse the {word} procedure to restore VPN access, then {hidden}.\n"
    for state, front in (
        ("internal", "audience: internal\nstatus: published"),
        ("draft", "audience: public\nstatus: draft"),
        ("archived", "audience: public\nstatus: archived"),
    ):
        word, title, hidden = SECRETS[state]
        text = f"---\ntitle: {title}\n{front}\nrelated: [vpn-connection-fails]\n---\n"
        path = folder / f"hidden-{state}.md"
        path.write_text(text + body.format(word=word, hidden=hidden), "utf-8")
    # A public article whose author lists the hidden ones as related.
    (folder / "vpn-reading-list.md").write_text(
        "---\ntitle: VPN reading list\nrelated: [hidden-internal, hidden-draft, hidden-archived,"
        " vpn-connection-fails]\n---\nWhere to read more about the VPN.\n",
        "utf-8",
    )
    documents = [
        read_article(folder / f"{name}.md").to_document()
        for name in (*HIDDEN_IDS, "vpn-reading-list")
    ]
    ticket = writable_kb.tickets.create(
        NewTicket(
            SECRETS["ticket"][1], "The narwhalgate reader on floor 2 is dark.", "a@example.com"
        )
    )
    resolved = writable_kb.tickets.resolve(
        ticket.number, "agent@example.com", "Power-cycled the narwhalgate controller, amberkestrel."
    )
    knowledge = resolved.knowledge()
    assert knowledge is not None
    writable_kb.indexer.update([*documents, knowledge.to_document()])
    return writable_kb


@pytest.fixture(params=["anonymous", "requester"])
def requester(
    request: pytest.FixtureRequest, writable_app: Flask, secret_kb: Services
) -> Iterator[FlaskClient]:
    client = FormClient(writable_app)
    if request.param == "requester":
        signer(writable_app)(client, "requester", email="mia@example.com")
    yield client


def assert_no_secrets(text: str, where: str, *, titles: bool = True) -> None:
    """No hidden body word, id or (unless the query echoes them) title in `text`."""
    lowered = text.lower()
    for _, title, hidden in SECRETS.values():
        assert hidden not in lowered, f"{hidden!r} leaked through {where}"
        if titles:
            assert title.lower() not in lowered, f"{title!r} leaked through {where}"
    for document_id in HIDDEN_IDS:
        assert document_id not in lowered, f"{document_id!r} leaked through {where}"


def test_agents_can_find_every_secret(secret_kb: Services) -> None:
    """The fixture works: every secret is indexed, so the tests below can fail."""
    everything = Filters(statuses=("published", "review", "draft", "archived"))
    for state, (word, _, hidden) in SECRETS.items():
        hits = secret_kb.searcher.search(SearchQuery(word, k=3, filters=everything)).hits
        assert hits and hidden in hits[0].document.body, state


def test_search_and_suggest_never_show_hidden_knowledge(requester: FlaskClient) -> None:
    for word, title, _ in SECRETS.values():
        for query in (word, title, f"{word} procedure restore VPN access"):
            page = requester.get("/", query_string={"q": query})
            echo = {"titles": False}
            assert_no_secrets(page.get_data(as_text=True), f"the search for {query!r}", **echo)
            api = requester.get("/api/v1/search", query_string={"q": query, "k": 50})
            assert_no_secrets(api.get_data(as_text=True), f"/api/v1/search {query!r}", **echo)
            suggest = requester.post(
                "/api/v1/suggest",
                json={"subject": query, "description": title},
                headers=csrf_headers(requester),
            )
            assert suggest.status_code == 200
            assert_no_secrets(suggest.get_data(as_text=True), f"/api/v1/suggest {query!r}", **echo)
            form = requester.post(
                "/request", data={"subject": query, "description": title, "action": "check"}
            )
            assert_no_secrets(form.get_data(as_text=True), f"the request form {query!r}", **echo)


def test_hidden_articles_and_notes_are_not_found_by_address(
    requester: FlaskClient, secret_kb: Services
) -> None:
    number = secret_kb.tickets.knowledge()[-1].id
    for document_id in [*HIDDEN_IDS, f"ticket:{number}"]:
        for response in (
            requester.get(f"/articles/{document_id}"),
            requester.get(f"/api/v1/articles/{document_id}"),
            requester.post(
                "/api/v1/feedback",
                json={"article_id": document_id, "helpful": True},
                headers=csrf_headers(requester),
            ),
            requester.post(
                "/api/v1/resolved",
                json={"article_id": document_id},
                headers=csrf_headers(requester),
            ),
            requester.post(f"/articles/{document_id}/feedback", data={"helpful": "yes"}),
            requester.post("/request/solved", data={"article_id": document_id}),
        ):
            assert response.status_code == 404, (document_id, response.request.path)
            text = response.get_data(as_text=True).replace(document_id, "")
            assert_no_secrets(text, response.request.path)
    # Nor the ticket itself: a requester sees only their own requests.
    for path in (f"/requests/{number}", f"/my/requests/{number}"):
        response = requester.get(path)
        assert response.status_code in (302, 404), path
        assert_no_secrets(response.get_data(as_text=True), path)


def test_related_lists_on_public_articles_hide_them(requester: FlaskClient) -> None:
    # Each hidden article names vpn-connection-fails as related: the link is shown both
    # ways to agents, never to requesters.
    for path in ("/articles/vpn-connection-fails", "/api/v1/articles/vpn-connection-fails"):
        response = requester.get(path)
        assert response.status_code == 200
        assert_no_secrets(response.get_data(as_text=True), path)
    # A public article that lists them: only what the reader may open is named, as on the page.
    for path in ("/articles/vpn-reading-list", "/api/v1/articles/vpn-reading-list"):
        response = requester.get(path)
        assert response.status_code == 200
        assert_no_secrets(response.get_data(as_text=True), path)
    answer = requester.get("/api/v1/articles/vpn-reading-list").get_json()
    assert answer["related"] == ["vpn-connection-fails"]


def test_agent_pages_and_apis_are_closed_to_requesters(requester: FlaskClient) -> None:
    for path in ("/desk", "/desk/search?q=vpn", "/api/v1/desk/search?q=vpn"):
        response = requester.get(path)
        assert response.status_code in (302, 401, 403), path
        assert_no_secrets(response.get_data(as_text=True), path)
