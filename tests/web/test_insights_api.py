"""/api/v1/insights/<report>: the readouts of Services.insights, for managers and admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.events import Search, SessionStarted, ShownSuggestion, SuggestionsShown, TicketCreated
from kb.insights.readout import Filters, parse_period
from kb.insights.reports import REPORTS
from kb.services import Services
from tests.helpers import FormClient, SignIn, csrf_headers

pytestmark = pytest.mark.model


@pytest.fixture
def recorded(portal_services: Services) -> None:
    """Two help sessions two days ago: one in English that filed a ticket, one in Spanish."""
    moment = datetime.now(UTC) - timedelta(days=2)
    for session, language in (("en-visit", "en"), ("es-visit", "es")):
        portal_services.events.record(
            SessionStarted(session_id=session, at=moment, language=language)
        )
        portal_services.events.record(
            SuggestionsShown(
                session_id=session,
                at=moment,
                query="vpn",
                suggestions=(ShownSuggestion("vpn-connection-fails", 0.6),),
                language=language,
            )
        )
    portal_services.events.record(
        TicketCreated(
            session_id="en-visit",
            at=moment + timedelta(minutes=5),
            ticket_id="INC-1",
            language="en",
        )
    )


def expected(services: Services, report: str, days: int, **filters: str) -> dict[str, object]:
    insights = services.insights
    period = parse_period(None, None, days, insights.today())
    found = insights.readout(report, period, Filters(**filters)).to_json()
    found.pop("generated")
    return found


def test_a_manager_gets_the_overview_readout(
    client: FlaskClient, sign_in: SignIn, portal_services: Services, recorded: None
) -> None:
    sign_in(client, "manager")
    response = client.get("/api/v1/insights/overview?days=7&language=en")
    assert response.status_code == 200
    body = response.get_json()
    assert body.pop("generated")
    assert body == expected(portal_services, "overview", 7, language="en")
    numbers = {number["key"]: number["value"] for number in body["numbers"]}
    assert (numbers["help_sessions"], numbers["tickets"], numbers["deflection_rate"]) == (1, 1, 0.0)
    assert body["period"]["days"] == 7 and body["filters"] == {"category": None, "language": "en"}


def test_the_problems_readout(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    sign_in(client, "admin")
    body = client.get("/api/v1/insights/problems?since=2026-11-01&until=2026-11-30").get_json()
    assert body["report"] == "problems"
    assert [table["key"] for table in body["tables"]] == ["candidates", "problems"]
    assert body["period"] == {"since": "2026-11-01", "until": "2026-11-30", "days": 30}


@pytest.mark.parametrize("report", [name for name in REPORTS if name != "problems"])
def test_every_report_is_the_readout_of_services_insights(
    client: FlaskClient, sign_in: SignIn, portal_services: Services, recorded: None, report: str
) -> None:
    sign_in(client, "manager")
    body = client.get(f"/api/v1/insights/{report}?days=7").get_json()
    assert body.pop("generated")
    assert body == expected(portal_services, report, 7)


def test_the_articles_readout_lists_the_articles_files(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    sign_in(client, "manager")
    body = client.get("/api/v1/insights/articles?days=7").get_json()
    [articles] = [table for table in body["tables"] if table["key"] == "articles"]
    listed = {row["id"] for row in articles["rows"]}
    assert "vpn-connection-fails" in listed
    assert listed == set(portal_services.authoring.listing().articles)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("days=week", "`days` must be a whole number"),
        ("days=0", "`days` must be between 1 and 731"),
        ("since=30/11/2026", "`since` must be a date like"),
        ("since=2026-11-20&until=2026-11-01", "ends before it starts"),
        ("category=" + "x" * 65, "category"),
    ],
)
def test_bad_values_are_400_with_a_message(
    client: FlaskClient, sign_in: SignIn, query: str, message: str
) -> None:
    sign_in(client, "manager")
    response = client.get(f"/api/v1/insights/overview?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["ok"] is False and message in body["error"]


def test_an_unknown_report_is_404_and_names_the_reports(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(client, "manager")
    response = client.get("/api/v1/insights/everything")
    assert response.status_code == 404
    assert "overview" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("roles", "status"),
    [((), 401), (("requester",), 403), (("agent",), 403), (("manager",), 200), (("admin",), 200)],
)
def test_only_managers_and_admins_get_readouts(
    app: Flask, sign_in: SignIn, roles: tuple[str, ...], status: int
) -> None:
    client = FormClient(app)
    if roles:
        sign_in(client, *roles)
    assert client.get("/api/v1/insights/overview").status_code == status


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize(("roles", "status"), [((), 401), (("requester",), 403)])
def test_no_report_is_given_to_requesters_or_anonymous_visitors(
    app: Flask, sign_in: SignIn, report: str, roles: tuple[str, ...], status: int
) -> None:
    client = FormClient(app)
    if roles:
        sign_in(client, *roles)
    assert client.get(f"/api/v1/insights/{report}").status_code == status


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("requester", 403)])
def test_bearer_tokens_act_with_their_owners_roles(
    app: Flask, portal_services: Services, role: str, status: int
) -> None:
    owner = portal_services.users.add(f"{role}-bot@example.com", "correct horse battery", (role,))
    _, secret = portal_services.users.create_token(owner.id, "dashboard")
    response = FlaskClient(app).get(
        "/api/v1/insights/overview", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == status


def test_a_manager_dismisses_a_gap_and_takes_it_back(
    client: FlaskClient, sign_in: SignIn, portal_services: Services
) -> None:
    moment = datetime.now(UTC) - timedelta(days=1)
    for session in ("lost-1", "lost-2"):
        portal_services.events.record(
            Search(session_id=session, at=moment, query="Printer on floor 3 jammed", language="en")
        )
    sign_in(client, "manager")

    def gaps() -> list[str]:
        body = client.get("/api/v1/insights/gaps?days=7").get_json()
        [table] = [table for table in body["tables"] if table["key"] == "gaps"]
        return [row["gap"] for row in table["rows"]]

    assert gaps() == ["Printer on floor 3 jammed"]
    response = client.post(
        "/api/v1/insights/gaps/dismissed",
        json={"text": "printer on floor 3 jammed"},
        headers=csrf_headers(client),
    )
    assert response.status_code == 201
    dismissed = response.get_json()["dismissed"]
    assert (dismissed["text"], dismissed["dismissed_by"]) == (
        "printer on floor 3 jammed",
        "manager@example.com",
    )
    assert gaps() == []
    restored = client.post(
        f"/api/v1/insights/gaps/dismissed/{dismissed['id']}/restore",
        json={},
        headers=csrf_headers(client),
    )
    assert restored.status_code == 200 and gaps() == ["Printer on floor 3 jammed"]
    again = client.post(
        f"/api/v1/insights/gaps/dismissed/{dismissed['id']}/restore",
        json={},
        headers=csrf_headers(client),
    )
    assert again.status_code == 404 and "no dismissed gap" in again.get_json()["error"]


@pytest.mark.parametrize("body", [{}, {"text": "  "}, {"text": "x", "why": "no"}])
def test_a_dismissal_needs_the_gaps_text(
    client: FlaskClient, sign_in: SignIn, body: dict[str, str]
) -> None:
    sign_in(client, "manager")
    response = client.post(
        "/api/v1/insights/gaps/dismissed", json=body, headers=csrf_headers(client)
    )
    assert response.status_code == 400


@pytest.mark.parametrize(("roles", "status"), [((), 401), (("requester",), 403), (("agent",), 403)])
def test_only_managers_and_admins_dismiss_gaps(
    app: Flask, sign_in: SignIn, roles: tuple[str, ...], status: int
) -> None:
    client = FormClient(app)
    if roles:
        sign_in(client, *roles)
    response = client.post(
        "/api/v1/insights/gaps/dismissed", json={"text": "vpn"}, headers=csrf_headers(client)
    )
    assert response.status_code == status
