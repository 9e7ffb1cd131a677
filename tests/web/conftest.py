"""Portal fixtures: test clients over the apps of tests/conftest.py, and signing in."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import FormClient, SignIn, signer


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = FormClient
    return app.test_client()


@pytest.fixture
def bare_client(app: Flask) -> FlaskClient:
    return FlaskClient(app)


@pytest.fixture
def sign_in(app: Flask) -> SignIn:
    return signer(app)


@pytest.fixture
def desk_client(writable_app: Flask) -> FlaskClient:
    """A client over a private copy of the sample KB, for tests that change the index."""
    writable_app.test_client_class = FormClient
    return writable_app.test_client()


@pytest.fixture
def desk_sign_in(writable_app: Flask) -> SignIn:
    return signer(writable_app)
