"""Resolving and reopening while another writer holds the index lock (`kb index`, an editor).

The ticket change commits and the request answers at once; the note waits in the index
queue, which outlives a restart, and is indexed by a worker's drain or the next `kb index`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.backends import open_generation_store
from kb.model import Filters, SearchQuery
from kb.services import Services, build_services
from kb.store.tickets import NewTicket
from tests.helpers import SignIn

pytestmark = pytest.mark.model

RESOLUTION = "Replaced the fuser unit of the third-floor plotter; the smudges are gone."
WORDS = "fuser unit plotter smudges"


@contextmanager
def index_locked(services: Services) -> Iterator[None]:
    """Hold the index's writer lock, as a long `kb index` in another process does."""
    with open_generation_store(services.settings).lock(timeout=5):
        yield


def file_ticket(services: Services) -> str:
    ticket = services.tickets.create(
        NewTicket(
            subject="Plotter prints smudged lines",
            description="Every drawing from the third-floor plotter has grey smudges.",
            requester_name="Lee",
            requester_email="lee@example.com",
        )
    )
    return ticket.number


def found(services: Services, number: str) -> bool:
    """Whether an agent's search finds the ticket's note."""
    hits = services.searcher.search(SearchQuery(WORDS, k=5, filters=Filters())).hits
    return any(hit.document.id == f"ticket:{number}" for hit in hits)


@pytest.fixture
def agent(desk_client: FlaskClient, desk_sign_in: SignIn) -> FlaskClient:
    desk_sign_in(desk_client, "agent", email="priya@example.com")
    return desk_client


def test_resolving_answers_at_once_and_the_note_follows_when_the_lock_frees(
    agent: FlaskClient, writable_kb: Services
) -> None:
    number = file_ticket(writable_kb)
    with index_locked(writable_kb):
        response = agent.post(f"/desk/tickets/{number}/resolve", data={"resolution": RESOLUTION})
        assert response.status_code == 302
        page = agent.get(response.location).get_data(as_text=True)
        assert "becomes searchable knowledge once the index is free" in page
        assert 'id="indexing"' in page and "indexing…" in page
        ticket = writable_kb.tickets.get(number)
        assert ticket is not None and ticket.status == "resolved"
        assert ticket.resolution == RESOLUTION
        assert not found(writable_kb, number)
        # A worker's drain finds the lock still held and leaves the note queued.
        assert writable_kb.knowledge_queue.drain() is None
        assert writable_kb.desk.indexing(number)

    report = writable_kb.knowledge_queue.drain()
    assert report is not None and report.added == [f"ticket:{number}"]
    assert found(writable_kb, number)
    page = agent.get(f"/desk/tickets/{number}").get_data(as_text=True)
    assert "indexing…" not in page and RESOLUTION in page


def test_the_api_says_the_note_is_still_indexing(
    writable_app: Flask, writable_kb: Services
) -> None:
    number = file_ticket(writable_kb)
    user = writable_kb.users.add("bot@example.com", "correct horse battery", ("agent",))
    _, secret = writable_kb.users.create_token(user.id, "integration")
    client = FlaskClient(writable_app)
    headers = {"Authorization": f"Bearer {secret}"}
    with index_locked(writable_kb):
        resolved = client.post(
            f"/api/v1/desk/tickets/{number}/resolve",
            json={"resolution": RESOLUTION},
            headers=headers,
        )
        assert resolved.status_code == 200, resolved.get_json()
        body = resolved.get_json()
        assert body["status"] == "resolved"
        assert body["indexing"] is True and body["indexed_in"] is None

    writable_kb.knowledge_queue.drain()
    reopened = client.post(
        f"/api/v1/desk/tickets/{number}/reopen", json={"reason": "back again"}, headers=headers
    )
    assert reopened.get_json()["indexing"] is False and not found(writable_kb, number)
    again = client.post(
        f"/api/v1/desk/tickets/{number}/resolve", json={"resolution": RESOLUTION}, headers=headers
    ).get_json()
    assert again["indexing"] is False and again["indexed_in"]
    assert found(writable_kb, number)


def test_a_reopening_while_locked_takes_the_note_out_afterwards(writable_kb: Services) -> None:
    number = file_ticket(writable_kb)
    writable_kb.desk.resolve(number, "priya@example.com", RESOLUTION)
    assert found(writable_kb, number)
    with index_locked(writable_kb):
        reopened = writable_kb.desk.reopen(number, "priya@example.com", "smudges are back")
        assert reopened.status == "open" and writable_kb.desk.indexing(number)
        assert found(writable_kb, number)
    writable_kb.knowledge_queue.drain()
    assert not found(writable_kb, number) and not writable_kb.desk.indexing(number)


def test_the_queue_survives_a_restart_and_kb_index_drains_it(writable_kb: Services) -> None:
    number = file_ticket(writable_kb)
    with index_locked(writable_kb):
        _, report = writable_kb.desk.resolve(number, "priya@example.com", RESOLUTION)
        assert report is None
    # The worker stops before anything drained the queue; a new process reads it.
    restarted = build_services(writable_kb.settings, writable_kb.embedder)
    try:
        assert restarted.desk.indexing(number)
        restarted.index_files()
        assert not restarted.desk.indexing(number)
        assert found(restarted, number)
    finally:
        restarted.close()


def test_a_worker_thread_drains_the_queue_once_the_lock_frees(writable_kb: Services) -> None:
    number = file_ticket(writable_kb)
    queue = writable_kb.knowledge_queue
    with index_locked(writable_kb):
        writable_kb.desk.resolve(number, "priya@example.com", RESOLUTION)
        queue.start()
        assert writable_kb.desk.indexing(number)
    try:
        deadline = time.monotonic() + 60
        while writable_kb.desk.indexing(number):
            assert time.monotonic() < deadline, "the queue was not drained within 60 s"
            time.sleep(0.2)
    finally:
        queue.stop()
    assert found(writable_kb, number)
