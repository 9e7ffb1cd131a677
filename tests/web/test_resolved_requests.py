"""A shared resolved request as a requester meets it: a link, its resolution, "This solved my
problem" and "Was this helpful?"."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from kb.services import Services

pytestmark = pytest.mark.model

SHARED = "INC-2026-0016"
RESOLUTION = "Tray 2 pickup roller worn and glazed."
DESCRIPTION = "We've pulled the paper out twice"
INTERNAL = "INC-2026-0039"


def test_a_resolved_request_suggestion_links_to_its_page(client: FlaskClient) -> None:
    panel = client.post(
        "/request/suggestions",
        data={"subject": "printer on 3rd floor keeps jamming", "description": "13.B2 paper jam"},
    ).get_data(as_text=True)
    assert f'href="/resolved/{SHARED}?from=suggestion"' in panel
    assert f'value="ticket:{SHARED}"' in panel and "This solved my problem" in panel


def test_the_page_shows_the_resolution_only_and_confirms_a_deflection(
    client: FlaskClient, portal_services: Services
) -> None:
    page = client.get(f"/resolved/{SHARED}").get_data(as_text=True)
    assert RESOLUTION in page and "printer on 3rd floor keeps jamming" in page
    # The requester's own words and name stay with the desk.
    assert DESCRIPTION not in page.replace("&#39;", "'") and "nora.fischer" not in page
    assert "This solved my problem" in page and "Was this helpful?" in page

    solved = client.post("/request/solved", data={"article_id": f"ticket:{SHARED}"})
    assert solved.status_code == 200
    assert f'href="/resolved/{SHARED}"' in solved.get_data(as_text=True)
    assert portal_services.events.count("self_resolved") == 1

    voted = client.post(
        f"/articles/ticket:{SHARED}/feedback", data={"helpful": "no", "comment": "Not my tray."}
    )
    assert voted.status_code == 302
    assert voted.headers["Location"].endswith(f"/resolved/{SHARED}?thanks=feedback#feedback")
    assert [item.comment for item in portal_services.events.comments()] == ["Not my tray."]


def test_an_internal_or_unknown_request_has_no_page(client: FlaskClient) -> None:
    for number in (INTERNAL, "INC-0000-0000"):
        page = client.get(f"/resolved/{number}")
        assert page.status_code == 404
        assert "There is no shared resolved request at this address." in page.get_data(as_text=True)
