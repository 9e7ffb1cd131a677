"""Signing in and out, CSRF, rate limiting, tokens, a requester's own requests, user admin."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.services import Services
from kb.store.tickets import NewTicket
from kb.store.users import FAILURES_PER_EMAIL
from kb.web import create_app
from tests.helpers import PASSWORD, FormClient, SignIn

pytestmark = pytest.mark.model


def test_sign_in_and_out(client: FlaskClient, app: Flask) -> None:
    app.extensions["kb"].users.add("mia@example.com", PASSWORD, ("requester",), name="Mia")
    page = client.get("/login?next=/my/requests")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    signed = client.post(
        "/login",
        data={"email": "mia@example.com", "password": PASSWORD, "next": "/my/requests"},
    )
    assert signed.status_code == 302 and signed.location == "/my/requests"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Mia" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "Sign in" in client.get("/").get_data(as_text=True)
    assert client.get("/my/requests").status_code == 302


def test_wrong_password_and_open_redirects(client: FlaskClient, app: Flask) -> None:
    app.extensions["kb"].users.add("mia@example.com", PASSWORD, ("requester",))
    wrong = client.post("/login", data={"email": "mia@example.com", "password": "nope"})
    assert wrong.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        signed = client.post(
            "/login", data={"email": "mia@example.com", "password": PASSWORD, "next": target}
        )
        assert signed.location == "/", target
        client.post("/logout")


def test_sign_in_is_rate_limited(client: FlaskClient, app: Flask) -> None:
    app.extensions["kb"].users.add("mia@example.com", PASSWORD, ("agent",))
    for _ in range(FAILURES_PER_EMAIL):
        client.post("/login", data={"email": "mia@example.com", "password": "guess"})
    # Even the right password is refused while the limit holds.
    blocked = client.post("/login", data={"email": "mia@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)


@pytest.mark.parametrize(
    ("trusted_proxies", "counted_against"), [(0, "127.0.0.1"), (1, "203.0.113.7")]
)
def test_sign_in_failures_count_against_the_address_the_trusted_proxies_report(
    portal_services: Services, trusted_proxies: int, counted_against: str
) -> None:
    portal_services.settings = replace(portal_services.settings, trusted_proxies=trusted_proxies)
    app = create_app(services=portal_services, test_config={"TESTING": True})
    app.test_client_class = FormClient
    client = app.test_client()
    # The proxy appends the visitor's address; a client may have written another before it.
    forwarded = {"X-Forwarded-For": "198.51.100.99, 203.0.113.7"}
    client.post("/login", data={"email": "eve@example.com", "password": "x"}, headers=forwarded)
    users = portal_services.users
    assert users.failure_count("eve@example.com", counted_against) == (1, 1)
    for spoofed in {"127.0.0.1", "198.51.100.99", "203.0.113.7"} - {counted_against}:
        assert users.failure_count("eve@example.com", spoofed) == (1, 0)


def test_forms_without_the_csrf_token_are_refused(
    bare_client: FlaskClient, app: Flask, portal_services: Services
) -> None:
    response = bare_client.post(
        "/articles/wifi-keeps-disconnecting/feedback", data={"helpful": "yes"}
    )
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert portal_services.events.count("feedback") == 0

    page = bare_client.get("/articles/wifi-keeps-disconnecting").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    accepted = bare_client.post(
        "/articles/wifi-keeps-disconnecting/feedback",
        data={"helpful": "yes", "csrf_token": token.group(1)},
    )
    assert accepted.status_code == 302
    assert portal_services.events.count("feedback") == 1


def test_api_writes_must_be_json_and_signed_in_ones_carry_the_token(
    client: FlaskClient, sign_in: SignIn
) -> None:
    as_form = client.post("/api/v1/feedback", data={"article_id": "x", "helpful": "true"})
    assert as_form.status_code == 415
    assert as_form.get_json()["error"].startswith("send the body as JSON")

    sign_in(client, "requester")
    body = {"subject": "vpn drops", "description": ""}
    refused = client.post("/api/v1/suggest", json=body)
    assert refused.status_code == 400 and refused.get_json()["ok"] is False
    page = client.get("/request").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    accepted = client.post("/api/v1/suggest", json=body, headers={"X-CSRF-Token": token.group(1)})
    assert accepted.status_code == 200


def test_a_new_password_ends_other_sessions(app: Flask, sign_in: SignIn) -> None:
    first, second = FormClient(app), FormClient(app)
    user = sign_in(first, "requester")
    sign_in(second, "requester")
    app.extensions["kb"].users.update(user.id, password="a brand new password")
    assert first.get("/account").status_code == 302
    assert second.get("/my/requests").status_code == 302


def test_a_cookie_saved_before_sign_out_opens_nothing(app: Flask, sign_in: SignIn) -> None:
    browser, thief = FormClient(app), FormClient(app)
    sign_in(browser, "agent")
    saved = browser.get_cookie("session")
    assert saved is not None and browser.get("/desk").status_code == 200
    browser.post("/logout")
    thief.set_cookie("session", saved.value)
    assert thief.get("/desk").status_code == 302
    assert thief.get("/api/v1/desk/tickets").status_code == 401


def test_deactivation_ends_sessions_and_tokens_even_after_reactivation(
    app: Flask, sign_in: SignIn
) -> None:
    browser, admin = FormClient(app), FormClient(app)
    agent = sign_in(browser, "agent")
    saved = browser.get_cookie("session")
    assert saved is not None
    _, secret = app.extensions["kb"].users.create_token(agent.id, "script")
    bearer = {"Authorization": f"Bearer {secret}"}
    assert FlaskClient(app).get("/api/v1/desk/tickets", headers=bearer).status_code == 200
    sign_in(admin, "admin")
    admin.post(f"/admin/users/{agent.id}", data={"roles": ["agent"]})  # unticked: inactive
    admin.post(f"/admin/users/{agent.id}", data={"roles": ["agent"], "active": "on"})
    again = FormClient(app)
    again.set_cookie("session", saved.value)
    assert again.get("/desk").status_code == 302
    assert FlaskClient(app).get("/api/v1/desk/tickets", headers=bearer).status_code == 401
    fresh = FormClient(app)
    sign_in(fresh, "agent")  # a new sign-in works
    assert fresh.get("/desk").status_code == 200


def test_my_requests_show_only_mine(client: FlaskClient, app: Flask, sign_in: SignIn) -> None:
    tickets = app.extensions["kb"].tickets
    mine = tickets.create(NewTicket("Laptop is slow", "Very slow", "requester@example.com"))
    theirs = tickets.create(NewTicket("Printer jam", "Jammed", "someone.else@example.com"))
    sign_in(client, "requester")
    page = client.get("/my/requests").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page
    assert client.get(f"/my/requests/{mine.number}").status_code == 200
    assert client.get(f"/my/requests/{theirs.number}").status_code == 404


def test_account_tokens_are_shown_once_and_revocable(
    client: FlaskClient, app: Flask, sign_in: SignIn
) -> None:
    sign_in(client, "requester")
    page = client.post("/account/tokens", data={"name": "my script"}).get_data(as_text=True)
    secret = re.search(r'<code id="new-token">(kb_[^<]+)</code>', page)
    assert secret is not None
    assert secret.group(1) not in client.get("/account").get_data(as_text=True)
    integration = FlaskClient(app)
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert integration.get("/account", headers=headers).status_code == 200
    token = app.extensions["kb"].users.tokens()[0]
    client.post(f"/account/tokens/{token.id}/revoke")
    assert integration.get("/account", headers=headers).status_code == 401


def test_admin_adds_users_and_changes_roles(
    client: FlaskClient, app: Flask, sign_in: SignIn
) -> None:
    users = app.extensions["kb"].users
    admin = sign_in(client, "admin")
    added = client.post(
        "/admin/users",
        data={"email": "new.agent@example.com", "password": PASSWORD, "roles": ["agent"]},
    )
    assert added.status_code == 302
    user = users.find("new.agent@example.com")
    assert user is not None and user.roles == {"agent"}
    client.post(f"/admin/users/{user.id}", data={"roles": ["agent", "manager"], "active": "on"})
    assert users.find("new.agent@example.com").roles == {"agent", "manager"}  # type: ignore[union-attr]
    client.post(f"/admin/users/{user.id}", data={"roles": ["agent"]})
    assert users.find("new.agent@example.com").active is False  # type: ignore[union-attr]

    duplicate = client.post(
        "/admin/users",
        data={"email": "new.agent@example.com", "password": PASSWORD, "roles": ["agent"]},
    )
    assert duplicate.status_code == 400 and "already has an account" in duplicate.get_data(
        as_text=True
    )
    demote = client.post(f"/admin/users/{admin.id}", data={"roles": ["agent"], "active": "on"})
    assert demote.status_code == 400 and "your own admin role" in demote.get_data(as_text=True)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "new.agent@example.com" in page


def test_a_signed_in_requester_files_under_their_own_email(
    client: FlaskClient, app: Flask, sign_in: SignIn
) -> None:
    sign_in(client, "requester", email="mia@example.com")
    form = client.get("/request").get_data(as_text=True)
    assert 'value="mia@example.com"' in form
    filed = client.post(
        "/request",
        data={
            "subject": "Headset crackles",
            "description": "Jabra headset crackles in calls",
            "requester_email": "mia@example.com",
            "type": "incident",
            "action": "submit",
        },
    )
    assert filed.status_code == 302
    page = client.get("/my/requests").get_data(as_text=True)
    assert "Headset crackles" in page and "new" in page


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("requester",), "/"),
        (("agent",), "/desk"),
        (("agent", "admin"), "/desk"),
        (("admin",), "/admin/users"),
        (("manager",), "/insights/"),
        (("agent", "manager"), "/insights/"),
    ],
)
def test_signing_in_lands_on_the_work_of_ones_roles(
    client: FlaskClient, app: Flask, roles: tuple[str, ...], landing: str
) -> None:
    app.extensions["kb"].users.add("lee@example.com", PASSWORD, roles)
    form = client.get("/login").get_data(as_text=True)
    assert 'name="next" value=""' in form
    signed = client.post(
        "/login", data={"email": "lee@example.com", "password": PASSWORD, "next": ""}
    )
    assert signed.location == landing
    assert client.get("/login").location == landing
    client.post("/logout")
    asked = client.post(
        "/login", data={"email": "lee@example.com", "password": PASSWORD, "next": "/my/requests"}
    )
    assert asked.location == "/my/requests"
