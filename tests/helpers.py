"""Helpers tests share: a form-posting client, signing in, an embedder on a copied export."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kb.config import Settings
from kb.indexer.embed import SentenceTransformerEmbedder
from kb.store.users import User

CSRF_TOKEN = "test-csrf-token"
PASSWORD = "correct horse battery"
SignIn = Callable[..., User]


class FormClient(FlaskClient):
    """A browser that sends the page's CSRF token with every form, as the portal's pages do.

    Tests of the CSRF check itself use a plain FlaskClient (the `bare_client` fixture).
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        data = kwargs.get("data")
        method = str(kwargs.get("method", "GET")).upper()
        is_form = data is None and "json" not in kwargs or isinstance(data, dict)
        if is_form and method == "POST" and "csrf_token" not in (data or {}):
            with self.session_transaction() as session:
                session.setdefault("csrf", CSRF_TOKEN)
                token = session["csrf"]
            kwargs["data"] = {**(data or {}), "csrf_token": token}
        return super().open(*args, **kwargs)


def signer(app: Flask) -> SignIn:
    """sign_in(client, *roles, email=...): make the user if needed and sign the client in."""

    def sign_in(client: FlaskClient, *roles: str, email: str | None = None) -> User:
        users = app.extensions["kb"].users
        email = email or f"{'-'.join(roles) or 'someone'}@example.com"
        user = users.find(email) or users.add(email, PASSWORD, roles, name=email.split("@")[0])
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


def csrf_headers(client: FlaskClient) -> dict[str, str]:
    """The header a page's script sends with JSON writes: the session's CSRF token."""
    with client.session_transaction() as session:
        session.setdefault("csrf", CSRF_TOKEN)
        return {"X-CSRF-Token": str(session["csrf"])}


def embedder_beside(
    exported_home: Path, folder: Path, **settings: Any
) -> SentenceTransformerEmbedder:
    """The real model's embedder on a KB home in `folder` holding a copy of the model's export
    (no second export with PyTorch); `settings` as for Settings."""
    home = folder / "home"
    shutil.copytree(exported_home / "models", home / "models", dirs_exist_ok=True)
    return SentenceTransformerEmbedder(Settings(home=home, **settings))


def html_between(page: str, start: str, end: str) -> str:
    """The part of a page from the first `start` to the next `end` after it; fails if absent."""
    assert start in page, f"{start!r} not on the page"
    begin = page.index(start)
    stop = page.find(end, begin)
    assert stop != -1, f"{end!r} not after {start!r}"
    return page[begin : stop + len(end)]
