"""A ticket counts against an article only when it is about the same problem (real model)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.services import Services
from tests.helpers import FormClient

pytestmark = pytest.mark.model


def visit(app: Flask) -> FlaskClient:
    """A new requester: a client with its own help-session cookie."""
    return FormClient(app)


def read_then_file(client: FlaskClient, query: str, article: str, subject: str) -> None:
    assert client.get("/", query_string={"q": query}).status_code == 200
    assert client.get(f"/articles/{article}", query_string={"from": "search"}).status_code == 200
    response = client.post(
        "/api/v1/tickets",
        json={"subject": subject, "description": subject, "requester_email": "ana@example.com"},
    )
    assert response.status_code == 201, response.get_json()


def test_a_ticket_about_the_same_problem_counts_against_the_article(
    app: Flask, portal_services: Services
) -> None:
    read_then_file(
        visit(app),
        "vpn certificate validation failure",
        "vpn-connection-fails",
        "VPN still fails: certificate validation failure",
    )
    records = portal_services.events.track_records()
    assert records["vpn-connection-fails"].failed == 1


def test_a_ticket_about_something_else_does_not(app: Flask, portal_services: Services) -> None:
    read_then_file(
        visit(app),
        "printer jobs stuck in the queue",
        "print-jobs-stuck-in-queue",
        "I need a second monitor for my home office",
    )
    records = portal_services.events.track_records()
    assert records.get("print-jobs-stuck-in-queue") is None or (
        records["print-jobs-stuck-in-queue"].failed == 0
    )


def test_an_article_that_fails_often_is_flagged_for_review_with_the_evidence(
    app: Flask, portal_services: Services
) -> None:
    for number in range(5):
        read_then_file(
            visit(app),
            "outlook keeps asking for my password",
            "outlook-not-syncing",
            f"Outlook asks for my password again and again ({number})",
        )
    [flag] = portal_services.flags.open_flags(["outlook-not-syncing"])["outlook-not-syncing"]
    assert flag.reason == "failing"
    assert flag.comment is not None and "5 tickets filed about the same problem" in flag.comment
    # A sixth failure does not flag it twice.
    read_then_file(
        visit(app), "outlook password prompt", "outlook-not-syncing", "Outlook password prompt"
    )
    assert len(portal_services.flags.open_flags()["outlook-not-syncing"]) == 1
