"""The help-session cookie: minted by kb only, renewed at sign-in and sign-out (issue 10, 9)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.services import Services
from kb.web.visits import COOKIE
from tests.helpers import FormClient, SignIn

pytestmark = pytest.mark.model


def visit_of(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value.partition(".")[0]


def searches(services: Services, visit: str) -> list[str]:
    return [event.query for event in services.events.session(visit) if event.kind == "search"]


def test_a_visit_keeps_the_id_kb_minted(client: FlaskClient, portal_services: Services) -> None:
    client.get("/", query_string={"q": "vpn drops"})
    visit = visit_of(client)
    client.get("/", query_string={"q": "printer offline"})
    assert visit_of(client) == visit
    assert searches(portal_services, visit) == ["vpn drops", "printer offline"]


@pytest.mark.parametrize(
    "planted",
    [
        "A" * 24,  # any 16-64 characters were taken as they came
        "chosen-by-an-attacker-1234",
        "A" * 24 + "." + "B" * 22,  # the right shape, a signature kb did not make
    ],
)
def test_a_made_up_id_is_replaced(
    client: FlaskClient, portal_services: Services, planted: str
) -> None:
    client.set_cookie(COOKIE, planted)
    client.get("/", query_string={"q": "vpn drops"})
    visit = visit_of(client)
    assert visit not in planted
    assert searches(portal_services, planted.partition(".")[0]) == []
    assert searches(portal_services, visit) == ["vpn drops"]


def test_sign_in_renews_the_id_and_keeps_the_trail_sign_out_leaves_it(
    app: Flask, portal_services: Services, sign_in: SignIn
) -> None:
    browser = FormClient(app)
    browser.get("/", query_string={"q": "vpn drops"})
    before = visit_of(browser)
    filed = browser.post(
        "/request",
        data={
            "subject": "VPN drops",
            "description": "Every few minutes",
            "requester_email": "mia@example.com",
            "type": "incident",
            "action": "submit",
        },
    )
    assert filed.status_code == 302
    sign_in(browser, "requester", email="mia@example.com")
    signed_in = visit_of(browser)
    assert signed_in != before
    assert searches(portal_services, before) == []
    assert searches(portal_services, signed_in) == ["vpn drops"]
    # The confirmation page still opens for the visit that filed it.
    assert browser.get(filed.location).status_code == 200
    browser.post("/logout")
    after = visit_of(browser)
    assert after not in (before, signed_in)
    assert searches(portal_services, after) == []
    assert browser.get(filed.location).status_code == 404
