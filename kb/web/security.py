"""Who is asking, and may they: sessions, bearer tokens, roles and CSRF protection.

- Pages sign in with a password; Flask's signed session cookie (HttpOnly, SameSite=Lax,
  Secure when the `secure_cookies` setting is on) carries a sign-in secret the store knows
  until sign-out, a new password or deactivation ends it.
- Integrations send `Authorization: Bearer kb_…`; such requests carry no cookies' authority.
- Every state-changing form carries the session's CSRF token; state-changing API calls must
  be JSON (which a cross-site form cannot send without CORS, and kb allows none) and, when
  signed in by cookie, also carry the token in the `X-CSRF-Token` header.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _

from kb.store.users import ROLES, User
from kb.web.errors import client_error
from kb.web.visits import renew_visit, services

F = TypeVar("F", bound=Callable[..., Any])
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# The session's sign-in secret; the store keeps its digest until sign-out (kb.store.users).
SIGN_IN = "sign_in"


def register(app: Flask) -> None:
    @app.before_request
    def identify() -> None:
        g.user = None
        g.by_token = False
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, secret = header.partition(" ")
            user = (
                services().users.user_for_token(secret.strip())
                if scheme.lower() == "bearer"
                else None
            )
            if user is None:
                raise client_error(
                    401, "the API token is unknown, revoked or malformed; send `Bearer kb_…`"
                )
            g.user, g.by_token = user, True
            return
        signed = session.get(SIGN_IN)
        if isinstance(signed, str):
            user = services().users.session_user(signed, current_app.permanent_session_lifetime)
            if user is not None:
                g.user = user
            else:
                session.clear()

    @app.before_request
    def check_csrf() -> None:
        if request.method not in UNSAFE_METHODS or g.by_token:
            return
        if request.routing_exception is not None:
            return  # no such route or method: let the 404 or 405 answer
        if request.path.startswith("/api/"):
            if not request.is_json:
                raise client_error(415, "send the body as JSON with Content-Type: application/json")
            if g.user is None:
                return
            given = request.headers.get(CSRF_HEADER, "")
        else:
            given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(str(given), str(expected)):
            if request.path.startswith("/api/"):
                raise client_error(
                    400,
                    "this form has expired or did not come from this site; "
                    "go back, reload the page and send it again",
                )
            raise client_error(
                400,
                _(
                    "This form has expired or did not come from this site. Go back, reload the "
                    "page and send it again."
                ),
            )

    @app.context_processor
    def identity() -> dict[str, Any]:
        return {"current_user": current_user(), "csrf_token": csrf_token}


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def signed_in() -> User:
    """The user of a view guarded by require_role, who is always signed in."""
    user = current_user()
    if user is None:
        raise RuntimeError("signed_in() outside a view guarded by require_role")
    return user


def actor() -> str:
    """The email that desk and editor changes are recorded under."""
    return signed_in().email


def sign_in(user: User) -> None:
    # A fresh session on every sign-in, so nothing set before it survives (fixation); the
    # help session too gets a new id, keeping what the visit did so far.
    end_sign_in()
    renew_visit(keep_trail=True)
    session.permanent = True
    session[SIGN_IN] = services().users.start_session(
        user.id, current_app.permanent_session_lifetime
    )
    session["csrf"] = secrets.token_urlsafe(24)
    g.user = user


def sign_out() -> None:
    end_sign_in()
    renew_visit(keep_trail=False)
    g.user = None


def end_sign_in() -> None:
    """End the session's sign-in on the server, so a copy of the cookie opens nothing."""
    secret = session.get(SIGN_IN)
    if isinstance(secret, str):
        services().users.end_session(secret)
    session.clear()


def require_role(*roles: str) -> Callable[[F], F]:
    """Allow the view only to users holding one of `roles`.

    Anonymous visitors are sent to sign in (pages) or get 401 (API); signed-in users
    without the role get 403. The roles are kept on the view for the route audit.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.path.startswith("/api/"):
                    raise client_error(401, "sign in or send an API token (Bearer) first")
                return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
            if not user.has_any(roles):
                if request.path.startswith("/api/"):
                    raise client_error(403, f"this needs the {' or '.join(roles)} role")
                raise client_error(403, _role_needed(roles))
            return view(*args, **kwargs)

        guarded.required_roles = roles  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


def _role_needed(roles: tuple[str, ...]) -> str:
    names = {
        "agent": _("This page is for service desk agents."),
        "manager": _("This page is for service desk managers."),
        "admin": _("This page is for administrators."),
    }
    wanted = [str(names[role]) for role in roles if role in names]
    if len(wanted) == 1:
        return wanted[0]
    return str(_("Your account does not have the role this page needs."))


def require_sign_in(view: F) -> F:
    """Allow the view to any signed-in user, whatever their roles."""
    return require_role(*ROLES)(view)


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target
