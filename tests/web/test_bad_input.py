"""Bad input through HTTP: refused with a 400 naming the field, never a 500 (issue 10, 3-5)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from werkzeug.exceptions import NotFound

from kb.events import Feedback
from kb.services import Services
from kb.workflow import NewTicket
from tests.helpers import SignIn, csrf_headers

pytestmark = pytest.mark.model

SURROGATE = "\ud800"
DEEP = "[" * 2000 + "]" * 2000


@pytest.fixture
def agent(client: FlaskClient, sign_in: SignIn) -> FlaskClient:
    sign_in(client, "agent", email="priya@example.com")
    return client


@pytest.fixture
def number(portal_services: Services) -> str:
    ticket = NewTicket("Printer offline", "Jobs stay in the queue.", "li@example.com")
    return portal_services.tickets.create(ticket).number


def json_calls(number: str) -> list[tuple[str, str, dict[str, object], str]]:
    """Each JSON endpoint with a good body, and the text field a bad value goes into."""
    return [
        ("post", "/api/v1/suggest", {"subject": "printer", "description": ""}, "subject"),
        (
            "post",
            "/api/v1/tickets",
            {"subject": "s", "description": "d", "requester_email": "a@example.com"},
            "description",
        ),
        ("post", "/api/v1/resolved", {"article_id": "print-jobs-stuck-in-queue"}, "article_id"),
        (
            "post",
            "/api/v1/feedback",
            {"article_id": "print-jobs-stuck-in-queue", "helpful": True, "comment": "ok"},
            "comment",
        ),
        ("post", f"/api/v1/desk/tickets/{number}/notes", {"body": "checked"}, "body"),
        ("patch", f"/api/v1/desk/tickets/{number}", {"category": "printing"}, "category"),
        ("post", f"/api/v1/desk/tickets/{number}/resolve", {"resolution": "r"}, "resolution"),
        ("post", f"/api/v1/desk/tickets/{number}/reopen", {"reason": "back"}, "reason"),
        ("post", "/desk/knowledge/preview", {"body": "# Title"}, "body"),
    ]


def send(client: FlaskClient, method: str, path: str, raw: str) -> object:
    return getattr(client, method)(
        path, data=raw, content_type="application/json", headers=csrf_headers(client)
    )


def test_a_lone_surrogate_is_refused_naming_the_field(agent: FlaskClient, number: str) -> None:
    for method, path, body, field in json_calls(number):
        raw = json.dumps({**body, field: f"bad {SURROGATE} text"})  # spelt "\ud800" in JSON
        answer = send(agent, method, path, raw)
        assert answer.status_code == 400, (path, answer.get_data(as_text=True))
        assert answer.get_json()["error"].startswith(f"`{field}` holds a lone surrogate"), path


def test_deep_nesting_and_other_broken_bodies_are_400s(agent: FlaskClient, number: str) -> None:
    for method, path, _, _ in json_calls(number):
        for raw, message in (
            (DEEP, "nests deeper than"),
            ('{"subject": ' + DEEP + "}", "nests deeper than"),
            ('{"subject": "\\u0000"}', "holds a NUL"),
            ('{"n": ' + "9" * 5000 + "}", "not valid JSON"),
            ("[1, 2]", "send a JSON object"),
        ):
            answer = send(agent, method, path, raw)
            assert answer.status_code == 400, (path, raw[:20], answer.status_code)
            assert message in answer.get_json()["error"], (path, answer.get_json())
        invalid = getattr(agent, method)(
            path,
            data=b'{"body": "\xff"}',
            content_type="application/json",
            headers=csrf_headers(agent),
        )
        assert invalid.status_code == 400 and "not UTF-8" in invalid.get_json()["error"]


def test_wrong_types_are_named(client: FlaskClient) -> None:
    answer = client.post("/api/v1/feedback", json={"article_id": 7, "helpful": True})
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "`article_id` must be text, not a number"


@pytest.mark.parametrize("digits", ["²", "٣", "３", "-1", "1e3", "9" * 5000])
def test_numbers_in_the_query_string_are_ascii_digits(agent: FlaskClient, digits: str) -> None:
    for path in (
        f"/api/v1/search?q=printer&k={digits}",
        f"/api/v1/desk/tickets?limit={digits}",
        f"/api/v1/desk/tickets?page={digits}",
        f"/desk?page={digits}",
        f"/desk/knowledge/articles/vpn-connection-fails/diff?to={digits}",
    ):
        answer = agent.get(path)
        assert answer.status_code == 400, (path, answer.status_code)
        assert "whole number" in answer.get_data(as_text=True)


def test_nul_in_a_form_query_or_address_is_refused(agent: FlaskClient, number: str) -> None:
    note = agent.post(f"/desk/tickets/{number}/notes", data={"body": "a\x00b", "kind": "internal"})
    assert note.status_code == 400 and "`body` holds a NUL" in note.get_data(as_text=True)
    search = agent.get("/api/v1/search", query_string={"q": "printer\x00"})
    assert search.status_code == 400 and search.get_json()["error"].startswith("`q` holds a NUL")
    article = agent.get("/articles/vpn%00")
    assert article.status_code == 400


def test_a_ticket_page_opens_with_a_lone_surrogate_stored_before_the_checks(
    agent: FlaskClient, portal_services: Services
) -> None:
    filed = portal_services.tickets.create(
        NewTicket("VPN drops", "Every few minutes.", "li@example.com", help_session="visit-1")
    )
    # Written as an older kb did: the JSON column took "\ud800" escaped.
    portal_services.events.record(
        Feedback(
            session_id="visit-1",
            at=filed.created.replace(microsecond=0),
            article_id="vpn-connection-fails",
            helpful=False,
            comment=f"did not help {SURROGATE}",
        )
    )
    page = agent.get(f"/desk/tickets/{filed.number}")
    assert page.status_code == 200
    assert "did not help \ufffd" in page.get_data(as_text=True)
    assert agent.get(f"/api/v1/desk/tickets/{filed.number}").status_code == 200


@pytest.mark.parametrize("digits", ["١", "²", "３", "1" * 10])
def test_numbers_in_addresses_are_ascii_digits(agent: FlaskClient, digits: str) -> None:
    adapter = agent.application.url_map.bind("localhost")
    for path in (
        f"/desk/knowledge/articles/vpn-connection-fails/revisions/{digits}/restore",
        f"/admin/users/{digits}",
        f"/account/tokens/{digits}/revoke",
    ):
        with pytest.raises(NotFound):
            adapter.match(path, method="POST")
        answer = agent.post(path, headers=csrf_headers(agent))
        assert answer.status_code == 404, path
    assert adapter.match("/admin/users/12", method="POST")[1] == {"user_id": 12}
