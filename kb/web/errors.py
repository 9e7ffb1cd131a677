"""One place turns errors into responses: JSON `{"ok": false, "error", "status"}` or a page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from kb.errors import IndexNotFoundError, KbError, QueryError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

MESSAGES = {
    400: "the request could not be understood",
    404: "nothing here: the page or article does not exist, or is not public",
    405: "this address does not accept that method",
    413: "the request is too large",
    500: "something went wrong on our side; the error has been logged",
    503: "the knowledge base is not ready yet; try again in a minute",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"ok": False, "error": message, "status": status}), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        status = error.code or 500
        message = error.description if getattr(error, "kb_message", False) else None
        return error_response(status, message or MESSAGES.get(status, error.name.lower()))

    @app.errorhandler(QueryError)
    def bad_query(error: QueryError) -> tuple[Response | str, int]:
        return error_response(400, str(error))

    @app.errorhandler(IndexNotFoundError)
    def not_indexed(error: IndexNotFoundError) -> tuple[Response | str, int]:
        log.error("%s", error)
        return error_response(503, MESSAGES[503])

    @app.errorhandler(KbError)
    def kb_error(error: KbError) -> tuple[Response | str, int]:
        log.exception("kb error while serving %s", request.path)
        return error_response(500, MESSAGES[500])

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error while serving %s", request.path)
        return error_response(500, MESSAGES[500])


def lookups_and_bad_input(not_found: str) -> Callable[[F], F]:
    """Answer a view's LookupError with 404 and `not_found`, its QueryError with 400."""

    def decorate(view: F) -> F:
        @wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except LookupError:
                raise client_error(404, not_found) from None
            except QueryError as error:
                raise client_error(400, str(error)) from None

        return cast(F, run)

    return decorate


def client_error(status: int, message: str) -> HTTPException:
    """An HTTP error whose message is shown to the client as written."""
    error = default_exceptions[status](description=message)
    error.kb_message = True  # type: ignore[attr-defined]
    return error
