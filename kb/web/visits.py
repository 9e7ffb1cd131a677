"""The help-session cookie: one id per portal visit, tying its events together.

kb mints every id itself: the cookie holds the id and an HMAC of it under the app's secret
key, so a value a client makes up (or plants in someone's browser) is replaced by a new id.
The id is renewed at sign-in, carrying the visit's trail over, and at sign-out, leaving it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import Flask, Response, current_app, g, request

from kb.services import Services

COOKIE = "kb_session"
# A help session ends after a quiet hour.
LIFETIME_SECONDS = 3600
ID_BYTES = 18
_SIGNED = re.compile(r"^([A-Za-z0-9_-]{24})\.([A-Za-z0-9_-]{22})$")


def register(app: Flask) -> None:
    @app.before_request
    def open_visit() -> None:
        g.kb_session = _verified(request.cookies.get(COOKIE, "")) or _new_id()

    @app.after_request
    def keep_visit(response: Response) -> Response:
        if "kb_session" in g:
            response.set_cookie(
                COOKIE,
                f"{g.kb_session}.{_signature(g.kb_session)}",
                max_age=LIFETIME_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
            )
        return response


def session_id() -> str:
    return str(g.kb_session)


def renew_visit(*, keep_trail: bool) -> None:
    """Give the visit a new id; with `keep_trail`, what it did so far moves to the new id."""
    old, new = session_id(), _new_id()
    if keep_trail:
        services().selfservice.continue_visit(old, new)
    g.kb_session = new


def services() -> Services:
    found: Services = current_app.extensions["kb"]
    return found


def _new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def _signature(visit_id: str) -> str:
    key = str(current_app.secret_key).encode("utf-8")
    digest = hmac.new(key, f"kb-help-session:{visit_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def _verified(cookie: str) -> str | None:
    found = _SIGNED.match(cookie)
    if found is None or not hmac.compare_digest(found.group(2), _signature(found.group(1))):
        return None
    return found.group(1)
