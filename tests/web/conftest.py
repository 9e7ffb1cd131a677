"""Portal fixtures: the sample KB with a fresh database per test, an app and a client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.services import Services, build_services
from kb.web import create_app


@pytest.fixture
def portal_services(sample_kb: Services, tmp_path: Path) -> Iterator[Services]:
    """The indexed sample KB (shared, read-only) with this test's own ticket and event store."""
    settings = replace(
        sample_kb.settings,
        database_url=f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        secret_key="test-secret",
    )
    services = build_services(settings, sample_kb.embedder)
    yield services
    services.close()


@pytest.fixture
def app(portal_services: Services) -> Flask:
    return create_app(services=portal_services, test_config={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
