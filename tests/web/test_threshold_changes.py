"""Admins change the portal's thresholds from a form or the API, recorded with who and when and
in force for every worker at once; managers read them and cannot change them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.services import Services, build_services
from kb.web import create_app
from tests.helpers import SignIn, csrf_headers, html_between

pytestmark = pytest.mark.model

REQUEST = {"subject": "VPN certificate validation failure", "description": "since this morning"}


@pytest.fixture
def other_worker(portal_services: Services) -> Iterator[Services]:
    """A second set of services on the same database, as another worker or host has."""
    built = build_services(portal_services.settings, portal_services.embedder)
    yield built
    built.close()


def test_an_admin_saves_a_threshold_from_the_form_and_every_worker_answers_with_it(
    client: FlaskClient, sign_in: SignIn, portal_services: Services, other_worker: Services
) -> None:
    sign_in(client, "admin", email="ada@example.com")
    page = client.get("/admin/thresholds").get_data(as_text=True)
    form = html_between(page, '<form method="post" action="/admin/thresholds"', "</form>")
    assert 'name="show_threshold"' in form and 'value="0.3"' in form
    assert "never: the setting is in force" in form
    other = create_app(services=other_worker, test_config={"TESTING": True}).test_client()
    assert other.post("/api/v1/suggest", json=REQUEST).get_json()["hits"]

    saved = client.post(
        "/admin/thresholds",
        data={"show_threshold": "1", "confident_threshold": "0.6", "next": "/admin/users"},
    )
    assert saved.status_code == 302 and saved.location == "/admin/users"
    # The other worker was not restarted; its next request has the new value.
    assert other.post("/api/v1/suggest", json=REQUEST).get_json()["hits"] == []
    # Only the value that changed is recorded, under the admin who saved it.
    [change] = other_worker.thresholds.history()
    assert (change.name, change.value, change.changed_by) == (
        "show_threshold",
        1.0,
        "ada@example.com",
    )
    page = client.get("/admin/thresholds").get_data(as_text=True)
    assert "ada@example.com, " in html_between(page, "<code>show_threshold</code>", "</tr>")


def test_one_bad_value_saves_nothing_and_says_what_to_write(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    sign_in(client, "admin")
    refused = client.post(
        "/admin/thresholds", data={"show_threshold": "0.4", "confident_threshold": "1.5"}
    )
    assert refused.status_code == 400
    assert "`confident_threshold` must be a number from 0 to 1 written like 0.35" in (
        refused.get_data(as_text=True)
    )
    assert portal_services.thresholds.history() == []


def test_a_return_address_off_the_site_is_not_followed(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, "admin")
    saved = client.post(
        "/admin/thresholds", data={"show_threshold": "0.35", "next": "https://evil.example/"}
    )
    assert saved.location == "/admin/thresholds"


def test_managers_read_the_thresholds_and_cannot_change_them(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    portal_services.thresholds.change("confident_threshold", 0.7, "ada@example.com")
    sign_in(client, "manager")
    found = client.get("/api/v1/thresholds").get_json()
    assert found["thresholds"]["confident_threshold"]["value"] == 0.7
    assert found["thresholds"]["confident_threshold"]["default"] == 0.6
    assert found["thresholds"]["confident_threshold"]["changed"]["changed_by"] == "ada@example.com"
    assert found["thresholds"]["show_threshold"]["changed"] is None
    assert [change["name"] for change in found["history"]] == ["confident_threshold"]
    headers = csrf_headers(client)
    refused = client.put("/api/v1/thresholds", json={"show_threshold": 0.9}, headers=headers)
    assert refused.status_code == 403
    assert client.post("/admin/thresholds", data={"show_threshold": "0.9"}).status_code == 403
    assert client.get("/admin/thresholds").status_code == 403
    assert portal_services.thresholds.current().show_threshold == 0.3


def test_an_admin_changes_thresholds_through_the_api_all_or_none(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    sign_in(client, "admin", email="grace@example.com")
    headers = csrf_headers(client)
    refused = client.put(
        "/api/v1/thresholds",
        json={"show_threshold": 0.4, "confident_threshold": "high"},
        headers=headers,
    )
    assert refused.status_code == 400 and refused.get_json()["ok"] is False
    assert portal_services.thresholds.history() == []
    unknown = client.put("/api/v1/thresholds", json={"holdout_share": 0.5}, headers=headers)
    assert unknown.status_code == 400
    saved = client.put(
        "/api/v1/thresholds",
        json={"show_threshold": 0.4, "confident_threshold": 0.65},
        headers=headers,
    ).get_json()
    assert saved["thresholds"]["show_threshold"]["value"] == 0.4
    assert saved["thresholds"]["confident_threshold"]["changed"]["changed_by"] == (
        "grace@example.com"
    )
    assert portal_services.thresholds.current().confident_threshold == 0.65


def test_anonymous_visitors_neither_read_nor_change_thresholds(
    client: FlaskClient, app: Flask
) -> None:
    assert client.get("/api/v1/thresholds").status_code == 401
    assert client.put("/api/v1/thresholds", json={"show_threshold": 0.9}).status_code == 401
    assert client.get("/admin/thresholds").location.startswith("/login")


def test_an_admin_changes_the_thresholds_from_the_calibration_page(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    sign_in(client, "admin", email="ada@example.com")
    page = client.get("/insights/calibration?days=7").get_data(as_text=True)
    section = html_between(page, 'id="table-thresholds"', "</section>")
    form = html_between(section, '<form method="post" action="/admin/thresholds"', "</form>")
    # The two thresholds the page judges, not the known issues' cosine.
    assert 'name="show_threshold"' in form and 'name="confident_threshold"' in form
    assert "known_issue_threshold" not in form
    assert 'name="next" value="/insights/calibration?days=7#table-thresholds"' in form

    saved = client.post(
        "/admin/thresholds",
        data={
            "show_threshold": "0.3",
            "confident_threshold": "0.72",
            "next": "/insights/calibration?days=7#table-thresholds",
        },
    )
    assert saved.location == "/insights/calibration?days=7#table-thresholds"
    assert portal_services.thresholds.current().confident_threshold == 0.72
    page = client.get("/insights/calibration?days=7").get_data(as_text=True)
    table = html_between(page, 'data-table="thresholds"', "</table>")
    row = html_between(table, "confident_threshold", "</tr>")
    assert "0.72" in row and "ada@example.com" in row
    assert 'value="0.72"' in html_between(page, 'id="threshold-confident_threshold"', ">")


def test_a_manager_sees_the_thresholds_on_the_calibration_page_without_the_form(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, "manager")
    page = client.get("/insights/calibration").get_data(as_text=True)
    section = html_between(page, 'id="table-thresholds"', "</section>")
    assert "show_threshold" in section and "confident_threshold" in section
    assert 'action="/admin/thresholds"' not in page
