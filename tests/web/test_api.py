"""The JSON API: shapes, errors, audience, and the events each call records."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from flask.testing import FlaskClient

from kb.services import Services

pytestmark = pytest.mark.model

HIT_KEYS = {
    "id",
    "kind",
    "title",
    "url",
    "snippet",
    "score",
    "deflection",
    "confidence",
    "label",
    "section",
    "category",
    "language",
}


def test_search_returns_public_hits_with_deflection(client: FlaskClient) -> None:
    response = client.get(
        "/api/v1/search", query_string={"q": "vpn certificate validation failure"}
    )
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["query"] == "vpn certificate validation failure"
    assert payload["hits"] and payload["took_ms"] >= 0
    for hit in payload["hits"]:
        assert set(hit) == HIT_KEYS and 0.0 <= hit["deflection"] <= 1.0
    article = next(hit for hit in payload["hits"] if hit["kind"] == "article")
    assert article["url"].startswith("/articles/") and "#" in article["url"]


def test_search_filters(client: FlaskClient) -> None:
    payload = client.get(
        "/api/v1/search", query_string={"q": "impresora", "language": "es", "k": 5}
    ).get_json()
    assert payload["hits"]
    assert {hit["id"] for hit in payload["hits"]} >= {"agregar-impresora"}
    printing = client.get(
        "/api/v1/search", query_string={"q": "printer", "category": "printing"}
    ).get_json()
    assert all(hit["id"] != "connect-corporate-wifi" for hit in printing["hits"])


def test_internal_knowledge_never_reaches_requesters(client: FlaskClient) -> None:
    for query in (
        "unlock AD account verify caller identity",
        "reissue VPN certificate CA",
        "leaver offboarding checklist",
        "certificate validation failure",
    ):
        payload = client.get("/api/v1/search", query_string={"q": query, "k": 50}).get_json()
        ids = {hit["id"] for hit in payload["hits"]}
        assert not ids & {
            "agent-unlock-ad-account",
            "vpn-certificate-reissue",
            "leaver-offboarding-checklist",
        }
        for hit in payload["hits"]:
            if hit["kind"] == "ticket":
                assert hit["title"].startswith("Similar resolved request")
    # An internal article's answer is a missing article's, word for word.
    missing = client.get("/api/v1/articles/no-such-article")
    assert missing.status_code == 404
    for internal in ("agent-unlock-ad-account", "vpn-certificate-reissue"):
        response = client.get(f"/api/v1/articles/{internal}")
        assert response.status_code == 404
        assert response.get_json() == missing.get_json()


def test_shared_ticket_notes_show_only_the_resolution(
    client: FlaskClient, portal_services: Services
) -> None:
    payload = client.get(
        "/api/v1/search", query_string={"q": "certificate validation failure vpn", "k": 50}
    ).get_json()
    tickets = [hit for hit in payload["hits"] if hit["kind"] == "ticket"]
    assert tickets
    for hit in tickets:
        document = portal_services.searcher.document(hit["id"])
        assert document.audience == "public"
        assert hit["snippet"] == document.metadata["resolution"]
        # Its own page, which shows the same resolution and nothing else of the ticket.
        assert hit["url"] == f"/resolved/{document.metadata['ticket_id']}"
        assert hit["section"] == ""


def test_suggest_records_what_was_shown(client: FlaskClient, portal_services: Services) -> None:
    response = client.post(
        "/api/v1/suggest",
        json={
            "subject": "Print jobs stuck",
            "description": "Everything I send sits in the queue and never prints.",
        },
    )
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["hits"] and isinstance(payload["confident"], bool)
    assert 0.0 <= payload["deflection"] <= 1.0
    assert "print-jobs-stuck-in-queue" in {hit["id"] for hit in payload["hits"]}
    assert portal_services.events.count("suggestions_shown") == 1


def test_suggestions_keep_their_estimates_in_their_order(client: FlaskClient) -> None:
    request = {"subject": "Printer offline", "description": "The office printer shows offline."}
    before = client.post("/api/v1/suggest", json=request).get_json()["hits"]
    assert len(before) > 1
    # A long record of "this solved it" for the last answer shown lifts its estimate above
    # the ones ranked before it; the estimates shown must still fall down the list.
    last = before[-1]["id"]
    for _ in range(60):
        client.post("/api/v1/resolved", json={"article_id": last})
    after = client.post("/api/v1/suggest", json=request).get_json()["hits"]
    assert [hit["id"] for hit in after] == [hit["id"] for hit in before]
    estimates = [hit["deflection"] for hit in after]
    assert estimates == sorted(estimates, reverse=True)
    assert estimates[-1] > before[-1]["deflection"]
    assert all(0.01 <= estimate <= 0.99 for estimate in estimates)


def test_article_is_sanitised_html(client: FlaskClient) -> None:
    payload = client.get("/api/v1/articles/vpn-connection-fails").get_json()
    assert payload["title"] and "<h2" in payload["html"]
    assert "<script" not in payload["html"]


def test_feedback_and_resolved(client: FlaskClient, portal_services: Services) -> None:
    assert (
        client.post(
            "/api/v1/feedback",
            json={"article_id": "outlook-not-syncing", "helpful": True, "comment": "worked"},
        ).status_code
        == 200
    )
    assert (
        client.post("/api/v1/resolved", json={"article_id": "outlook-not-syncing"}).status_code
        == 200
    )
    record = portal_services.events.track_records()["outlook-not-syncing"]
    assert record.helpful == 1 and record.resolved == 1


def test_ticket_is_created_with_the_trail(client: FlaskClient, portal_services: Services) -> None:
    client.get("/api/v1/search", query_string={"q": "printer offline"})
    client.post("/api/v1/suggest", json={"subject": "Printer offline", "description": ""})
    client.get("/api/v1/articles/print-jobs-stuck-in-queue")
    response = client.post(
        "/api/v1/tickets",
        json={
            "subject": "Printer offline",
            "description": "Floor 3 printer shows offline.",
            "requester_email": "ana.lopez@example.com",
            "category": "printing",
        },
    )
    assert response.status_code == 201
    number = response.get_json()["id"]
    ticket = portal_services.tickets.get(number)
    assert ticket.requester_email == "ana.lopez@example.com"
    assert "printer offline" in [search.lower() for search in ticket.trail["searches"]]
    assert "print-jobs-stuck-in-queue" in ticket.trail["viewed"]
    assert ticket.trail["shown"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("get", "/api/v1/search?q=", None, 400, "empty"),
        ("get", "/api/v1/search?q=" + "x" * 1001, None, 400, "under 1000"),
        ("get", "/api/v1/search?q=vpn&k=lots", None, 400, "whole number"),
        ("get", "/api/v1/search?q=vpn&k=500", None, 400, "whole number from 1 to 50"),
        ("post", "/api/v1/suggest", {}, 400, "subject"),
        ("post", "/api/v1/suggest", {"subject": 5}, 400, "must be text"),
        ("post", "/api/v1/suggest", {"subject": "x", "description": "y" * 20001}, 400, "20000"),
        (
            "post",
            "/api/v1/feedback",
            {"article_id": "outlook-not-syncing", "helpful": "yes"},
            400,
            "true or false",
        ),
        ("post", "/api/v1/feedback", {"article_id": "nope", "helpful": True}, 404, "no public"),
        (
            "post",
            "/api/v1/tickets",
            {"subject": "s", "description": "d", "requester_email": "not-an-email"},
            400,
            "email",
        ),
        (
            "post",
            "/api/v1/tickets",
            {"subject": "", "description": "d", "requester_email": "a@example.com"},
            400,
            "subject",
        ),
        (
            "post",
            "/api/v1/tickets",
            {"subject": "s", "description": "d", "type": "bug", "requester_email": "a@example.com"},
            400,
            "type",
        ),
        ("get", "/api/v1/articles/does-not-exist", None, 404, "no public article"),
        ("get", "/api/v1/nowhere", None, 404, "nothing here"),
        ("delete", "/api/v1/search", None, 405, "method"),
    ],
)
def test_errors_have_one_shape(client: FlaskClient, method, path, body, status, message) -> None:
    response = (
        getattr(client, method)(path, json=body)
        if body is not None
        else getattr(client, method)(path)
    )
    assert response.status_code == status
    payload = response.get_json()
    assert payload["ok"] is False and payload["status"] == status
    assert message in payload["error"]


def test_malformed_and_oversized_bodies(client: FlaskClient) -> None:
    broken = client.post("/api/v1/suggest", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["ok"] is False
    listed = client.post("/api/v1/tickets", json=["a", "list"])
    assert listed.status_code == 400
    huge = client.post("/api/v1/suggest", data="x" * 2_000_000, content_type="application/json")
    assert huge.status_code == 413 and huge.get_json()["status"] == 413


def test_openapi_documents_every_route(client: FlaskClient, app) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, f"{rule.rule} is missing from openapi.json"
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in document["paths"][path]
    hit_schema = document["components"]["schemas"]["Hit"]
    assert set(hit_schema["required"]) == HIT_KEYS
    shipped = json.loads(resources.files("kb.web").joinpath("openapi.json").read_text())
    assert shipped == document
