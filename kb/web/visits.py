"""The help-session cookie: one id per portal visit, tying its events together."""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, g, request

from kb.services import Services

COOKIE = "kb_session"
VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# A help session ends after a quiet hour.
LIFETIME_SECONDS = 3600


def register(app: Flask) -> None:
    @app.before_request
    def open_visit() -> None:
        given = request.cookies.get(COOKIE, "")
        g.kb_session = given if VALID.match(given) else secrets.token_urlsafe(18)

    @app.after_request
    def keep_visit(response: Response) -> Response:
        if "kb_session" in g:
            response.set_cookie(
                COOKIE,
                g.kb_session,
                max_age=LIFETIME_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
            )
        return response


def session_id() -> str:
    return str(g.kb_session)


def services() -> Services:
    found: Services = current_app.extensions["kb"]
    return found
