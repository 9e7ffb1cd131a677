"""One error handler: each KbError class answers with its status and message, in one shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kb.errors import (
    BusyError,
    ConfigError,
    ConflictError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    InputTooLargeError,
    InvalidInputError,
    KbError,
    NotFoundError,
    QueryError,
)
from kb.services import Services
from kb.store.tickets import NewTicket
from tests.helpers import SignIn

pytestmark = pytest.mark.model

BUSY = "kb is busy saving another change; try again in a few seconds"
NOT_READY = "the knowledge base is not ready yet; try again in a minute"
BROKEN = "something went wrong on our side; the error has been logged"


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (NotFoundError("there is no ticket INC-000999"), 404, "there is no ticket INC-000999"),
        (InvalidInputError("`subject` is required", "subject"), 400, "`subject` is required"),
        (QueryError("the search query is empty"), 400, "the search query is empty"),
        (InputTooLargeError("keep the body under 1 KiB"), 413, "keep the body under 1 KiB"),
        (
            ConflictError("ana changed 'vpn' since you opened it"),
            409,
            "ana changed 'vpn' since you opened it",
        ),
        # Actionable, but the text names the KB home's folder and a process: not for visitors.
        (IndexLockedError("/srv/kb is being indexed by process 42"), 503, BUSY),
        (BusyError("another save is taking long; try again"), 503, BUSY),
        (IndexNotFoundError(Path("/srv/kb/.kb")), 503, NOT_READY),
        (IndexMismatchError("built with other settings"), 503, NOT_READY),
        (ConfigError("setting `fusion` must be weighted or rrf"), 500, BROKEN),
        (KbError("anything else"), 500, BROKEN),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_each_kb_error_has_its_status_and_message(
    client: FlaskClient, portal_services: Services, monkeypatch, error, status, message
) -> None:
    def fail(*arguments: object, **options: object) -> None:
        raise error

    monkeypatch.setattr(portal_services.selfservice, "search", fail)
    answer = client.get("/api/v1/search", query_string={"q": "vpn"})
    assert answer.status_code == status
    assert answer.get_json() == {"ok": False, "error": message, "status": status}
    assert (answer.headers.get("Retry-After") is not None) == (status == 503)
    page = client.get("/", query_string={"q": "vpn"})
    assert page.status_code == status and page.mimetype == "text/html"
    # A page says what happened for its status; an error written for the visitor adds its own
    # line as a sentence, a busy moment says to try again, a breakage keeps its detail back.
    shown = {
        BUSY: "Try again in a few seconds.",
        NOT_READY: "The Help Centre is not ready yet",
        BROKEN: "Something went wrong on our side",
    }.get(message, message[0].upper() + message[1:] + ".")
    text = page.get_data(as_text=True)
    assert shown.replace("'", "&#39;") in text
    if message in (NOT_READY, BROKEN):
        assert message not in text


def test_a_bug_in_a_desk_view_is_a_500_not_a_missing_ticket(
    client: FlaskClient, sign_in: SignIn, portal_services: Services, monkeypatch
) -> None:
    sign_in(client, "agent")
    filed = portal_services.tickets.create(NewTicket("Printer offline", "d", "a@b.org")).number

    def bug(*arguments: object) -> None:
        raise KeyError("chunk-7")  # as `fallback[document_id]` would, on a bad index

    monkeypatch.setattr(portal_services.desk, "suggestions", bug)
    for path in (f"/desk/tickets/{filed}", f"/api/v1/desk/tickets/{filed}"):
        answer = client.get(path)
        assert answer.status_code == 500, path
        assert "no ticket" not in answer.get_data(as_text=True)


def test_an_unknown_ticket_is_a_404_that_names_it(client: FlaskClient, sign_in: SignIn) -> None:
    sign_in(client, "agent")
    answer = client.get("/api/v1/desk/tickets/inc-000999")
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "there is no ticket INC-000999"
    assert client.get("/desk/tickets/INC-000999").status_code == 404
