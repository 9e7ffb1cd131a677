"""Every route, walked as every role and as an anonymous visitor.

A route is either public (listed below, on purpose) or guarded by `require_role`; a new route
that is neither fails the first test. Guarded routes must send anonymous visitors to sign in
(pages) or answer 401 (API), answer 403 to users without the role, and let the role through.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from kb.services import Services
from kb.store.tickets import NewTicket
from kb.store.users import ROLES
from tests.helpers import FormClient, csrf_headers, signer

pytestmark = pytest.mark.model

PUBLIC_ENDPOINTS = {
    "static",
    # The requester's portal and API: anonymous by design, requester-safe by audience rules.
    "portal.home",
    "portal.category",
    "portal.resolved_request",
    "portal.article",
    "portal.feedback",
    "portal.new_request",
    "portal.suggestions",
    "portal.solved",
    "portal.request_filed",
    "portal.join_known_issue",
    "api.search",
    "api.suggest",
    "api.article",
    "api.feedback",
    "api.resolved",
    "api.tickets",
    "api.join_known_issue",
    "api.openapi",
    "account.login",
    "account.logout",
    "language.choose",
}
VISITORS = ("anonymous", *ROLES)


def guarded_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in PUBLIC_ENDPOINTS]


def required_roles(app: Flask, rule: Rule) -> tuple[str, ...]:
    roles: tuple[str, ...] = getattr(app.view_functions[rule.endpoint], "required_roles", ())
    return roles


def test_every_route_is_public_on_purpose_or_guarded(app: Flask) -> None:
    unguarded = [rule.rule for rule in guarded_rules(app) if not required_roles(app, rule)]
    assert unguarded == [], "add require_role(...) or list the endpoint as public"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS <= endpoints, PUBLIC_ENDPOINTS - endpoints


@pytest.fixture
def known_ids(writable_kb: Services) -> dict[str, str]:
    """Real values for the routes' variables, so guarded views reach their own checks."""
    ticket = writable_kb.tickets.create(
        NewTicket("Printer jam", "Tray 2 jams", "someone@example.com")
    )
    owner = writable_kb.users.add("owner@example.com", "correct horse battery", ("agent",))
    token, _ = writable_kb.users.create_token(owner.id, "audit")
    return {
        "number": ticket.number,
        "article_id": "vpn-connection-fails",
        "user_id": str(owner.id),
        "token_id": str(token.id),
        "report": "overview",
    }


@pytest.fixture(params=VISITORS)
def visitor(
    request: pytest.FixtureRequest, writable_app: Flask
) -> Iterator[tuple[str, FlaskClient]]:
    client = FormClient(writable_app)
    if request.param != "anonymous":
        signer(writable_app)(client, request.param, email=f"{request.param}@example.com")
    yield request.param, client


def url_for_rule(rule: Rule, known: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2)
        found = known.get(name, "1")
        return found if converter != "int" or found.isdigit() else "1"

    return re.sub(r"<(?:([^:>]+):)?([^>]+)>", value, rule.rule)


def test_guarded_routes_hold_for_every_visitor(
    visitor: tuple[str, FlaskClient], writable_app: Flask, known_ids: dict[str, str]
) -> None:
    role, client = visitor
    checked = 0
    for rule in guarded_rules(writable_app):
        allowed = required_roles(writable_app, rule)
        url = url_for_rule(rule, known_ids)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.rule.startswith("/api/"):
                response = client.open(url, method=method, json={}, headers=csrf_headers(client))
            else:
                response = client.open(url, method=method, data={})
            where = f"{method} {url} as {role}"
            if role == "anonymous":
                if rule.rule.startswith("/api/"):
                    assert response.status_code == 401, where
                else:
                    assert response.status_code == 302, where
                    assert response.location.startswith("/login?next="), where
            elif role in allowed:
                assert response.status_code not in (401, 403), where
                assert not (response.location or "").startswith("/login"), where
                assert response.status_code < 500, where
            else:
                assert response.status_code == 403, where
            checked += 1
    assert checked >= 20, "the walk must cover the desk, the editor and the admin pages"
