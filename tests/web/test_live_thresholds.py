"""Thresholds an admin changes take effect in every worker at once: two apps on one database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from kb.services import Services, build_services
from kb.web import create_app

pytestmark = pytest.mark.model

REQUEST = {"subject": "VPN certificate validation failure", "description": "since this morning"}


@pytest.fixture
def other_worker(portal_services: Services) -> Iterator[Services]:
    """A second set of services on the same database, as another worker or host has."""
    built = build_services(portal_services.settings, portal_services.embedder)
    yield built
    built.close()


def test_a_changed_threshold_reaches_another_worker_without_a_restart(
    app: Flask, other_worker: Services, portal_services: Services
) -> None:
    other = create_app(services=other_worker, test_config={"TESTING": True}).test_client()
    before = other.post("/api/v1/suggest", json=REQUEST).get_json()
    assert before["hits"] and before["confident"]
    searched = other.get("/api/v1/search?q=vpn certificate validation failure").get_json()
    assert searched["confident"]

    portal_services.thresholds.change("confident_threshold", 1.0, "ada@example.com")
    assert other.post("/api/v1/suggest", json=REQUEST).get_json()["confident"] is False
    searched = other.get("/api/v1/search?q=vpn certificate validation failure").get_json()
    assert searched["confident"] is False and searched["hits"]

    portal_services.thresholds.change("show_threshold", 1.0, "ada@example.com")
    assert other.post("/api/v1/suggest", json=REQUEST).get_json()["hits"] == []
    panel = other.post("/request/suggestions", data=REQUEST).get_data(as_text=True)
    assert "This solved my problem" not in panel

    portal_services.thresholds.change("show_threshold", 0.3, "grace@example.com")
    assert other.post("/api/v1/suggest", json=REQUEST).get_json()["hits"]
    [latest, *_] = other_worker.thresholds.history()
    assert (latest.name, latest.value) == ("show_threshold", 0.3)
    assert latest.changed_by == "grace@example.com"


def test_a_changed_known_issue_threshold_reaches_another_worker(
    app: Flask, other_worker: Services, portal_services: Services, imported: dict[str, str]
) -> None:
    problem = portal_services.problems.open(
        "Intune VPN profile not deployed",
        "priya@example.com",
        incidents=[imported["INC-2026-0083"], imported["INC-2026-0084"]],
        public_title="VPN: certificate error when connecting",
    )
    portal_services.problems.update(problem.number, announced=True)
    other = create_app(services=other_worker, test_config={"TESTING": True}).test_client()
    found = other.get("/api/v1/search?q=vpn certificate error").get_json()
    assert [issue["number"] for issue in found["known_issues"]] == [problem.number]
    portal_services.thresholds.change("known_issue_threshold", 1.0, "ada@example.com")
    assert other.get("/api/v1/search?q=vpn certificate error").get_json()["known_issues"] == []
