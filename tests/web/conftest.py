"""Portal fixtures: test clients over the app of tests/conftest.py."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_TOKEN = "test-csrf-token"


class FormClient(FlaskClient):
    """A browser that sends the page's CSRF token with every form, as the portal's pages do.

    Tests of the CSRF check itself use a plain FlaskClient (the `bare_client` fixture).
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        data = kwargs.get("data")
        method = str(kwargs.get("method", "GET")).upper()
        if isinstance(data, dict) and method == "POST" and "csrf_token" not in data:
            with self.session_transaction() as session:
                session.setdefault("csrf", CSRF_TOKEN)
                token = session["csrf"]
            kwargs["data"] = {**data, "csrf_token": token}
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = FormClient
    return app.test_client()


@pytest.fixture
def bare_client(app: Flask) -> FlaskClient:
    return FlaskClient(app)
