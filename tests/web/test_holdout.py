"""Held-out help sessions see no suggestions anywhere, and their start says so in the events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.events import SessionStarted
from kb.services import Services, build_services
from kb.web import create_app

pytestmark = pytest.mark.model

REQUEST = {"subject": "VPN certificate validation failure", "description": "since this morning"}
QUERY = "vpn certificate validation failure"


def services_with_share(portal_services: Services, share: float) -> Iterator[Services]:
    built = build_services(
        replace(portal_services.settings, holdout_share=share), portal_services.embedder
    )
    yield built
    built.close()


@pytest.fixture
def everyone_held_out(portal_services: Services) -> Iterator[Services]:
    yield from services_with_share(portal_services, 1.0)


def visit(client: FlaskClient) -> str:
    cookie = client.get_cookie("kb_visit") or client.get_cookie("kb_session")
    assert cookie is not None, "the portal sets a visit cookie"
    return cookie.value.split(".")[0]


def starts(services: Services, client: FlaskClient) -> list[SessionStarted]:
    events = services.events.session(visit(client))
    return [event for event in events if isinstance(event, SessionStarted)]


def test_a_held_out_session_is_shown_no_suggestions(everyone_held_out: Services) -> None:
    client = create_app(services=everyone_held_out, test_config={"TESTING": True}).test_client()
    page = client.get(f"/?q={QUERY}").get_data(as_text=True)
    assert 'class="result-title" href' not in page
    suggested = client.post("/api/v1/suggest", json=REQUEST).get_json()
    assert suggested["hits"] == [] and suggested["known_issues"] == []
    assert suggested["confident"] is False
    assert client.get(f"/api/v1/search?q={QUERY}").get_json()["hits"] == []
    panel = client.post("/request/suggestions", data=REQUEST).get_data(as_text=True)
    assert "This solved my problem" not in panel
    # One start, recorded as held out; nothing recorded as shown.
    assert [event.holdout for event in starts(everyone_held_out, client)] == [True]
    kinds = [event.kind for event in everyone_held_out.events.session(visit(client))]
    assert "suggestions_shown" not in kinds and kinds.count("search") == 2


def test_a_treated_session_starts_once_and_sees_suggestions(
    app: Flask, portal_services: Services
) -> None:
    client = app.test_client()
    assert client.post("/api/v1/suggest", json=REQUEST).get_json()["hits"]
    assert client.get(f"/api/v1/search?q={QUERY}").get_json()["hits"]
    assert [event.holdout for event in starts(portal_services, client)] == [False]


def test_the_recorded_start_decides_in_every_worker(
    everyone_held_out: Services, portal_services: Services
) -> None:
    held = create_app(services=everyone_held_out, test_config={"TESTING": True}).test_client()
    held.post("/api/v1/suggest", json=REQUEST)
    # The same visit reaching a worker whose share is 0 stays held out: its start says so.
    treated = create_app(services=portal_services, test_config={"TESTING": True})
    other = treated.test_client()
    other.set_cookie(*_cookie(held))
    assert other.post("/api/v1/suggest", json=REQUEST).get_json()["hits"] == []
    assert len(starts(portal_services, other)) == 1


def test_a_ticket_filed_without_searching_starts_the_session(everyone_held_out: Services) -> None:
    client = create_app(services=everyone_held_out, test_config={"TESTING": True}).test_client()
    filed = client.post(
        "/api/v1/tickets",
        json={**REQUEST, "requester_email": "mia@example.com"},
    )
    assert filed.status_code == 201
    assert [event.holdout for event in starts(everyone_held_out, client)] == [True]


def _cookie(client: FlaskClient) -> tuple[str, str]:
    for name in ("kb_visit", "kb_session"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            return name, cookie.value
    raise AssertionError("the portal sets a visit cookie")
