"""One place turns errors into responses: JSON `{"ok": false, "error", "status"}` or a page.

Every KbError class has one status here. Errors whose messages are written for the person
asking (bad input, nothing found, a conflict) are shown as they are; the others say what the
visitor can do and leave the detail (paths, settings) to the log.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from kb.errors import (
    BusyError,
    ConflictError,
    IndexMismatchError,
    IndexNotFoundError,
    InputTooLargeError,
    InvalidInputError,
    KbError,
    NotFoundError,
)
from kb.web.presenters import busy_text, problem_text, sentence

log = logging.getLogger(__name__)

MESSAGES = {
    400: "the request could not be understood",
    404: "nothing here: the page or article does not exist, or is not public",
    405: "this address does not accept that method",
    408: "the request did not arrive in time",
    413: "the request is too large",
    500: "something went wrong on our side; the error has been logged",
    503: "the knowledge base is not ready yet; try again in a minute",
}
BUSY = "kb is busy saving another change; try again in a few seconds"
RETRY_SECONDS = 5
# Each class: its status, and None to show the error's own message or the fixed one to show.
# Looked up along the error's class hierarchy, so a subclass may differ from its base.
KB_ERRORS: dict[type[KbError], tuple[int, str | None]] = {
    NotFoundError: (404, None),
    InvalidInputError: (400, None),
    InputTooLargeError: (413, None),
    ConflictError: (409, None),
    BusyError: (503, BUSY),
    IndexNotFoundError: (503, MESSAGES[503]),
    IndexMismatchError: (503, MESSAGES[503]),
    KbError: (500, MESSAGES[500]),
}


def wants_json() -> bool:
    """The API, and a page's own JSON calls (the editor's preview), get errors as JSON."""
    return request.path.startswith("/api/") or request.is_json


def error_response(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    page_line: str | None = None,
) -> Response:
    """The error as JSON under /api/, as a page elsewhere.

    The page says what happened and what to do for its status, in the visitor's language, and
    adds `page_line` when there is something specific to say (which article, which field).
    """
    if wants_json():
        response = jsonify({"ok": False, "error": message, "status": status})
    else:
        response = Response(render_template("error.html", status=status, message=page_line))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def status_of(error: KbError) -> tuple[int, str]:
    """The HTTP status and the message a client sees for `error`."""
    status, message = _entry(error)
    return status, message if message is not None else str(error)


def _entry(error: KbError) -> tuple[int, str | None]:
    for cls in type(error).__mro__:
        if cls in KB_ERRORS:
            return KB_ERRORS[cls]
    raise AssertionError("KbError is in the table")  # pragma: no cover


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description if getattr(error, "kb_message", False) else None
        # Keep what the error carries, such as Allow on a 405.
        headers = {key: value for key, value in error.get_headers() if key != "Content-Type"}
        general = MESSAGES.get(status, error.name.lower())
        line = sentence(message) if message else None
        return error_response(status, message or general, headers, page_line=line)

    @app.errorhandler(KbError)
    def kb_error(error: KbError) -> Response:
        status, message = status_of(error)
        if status == 500:
            log.exception("kb error while serving %s", request.path)
        elif status == 503:
            log.warning("%s while serving %s: %s", type(error).__name__, request.path, error)
        headers = {"Retry-After": str(RETRY_SECONDS)} if status == 503 else None
        # A fixed message (500, 503) adds nothing to the page's own heading and advice, but
        # for a busy moment: trying again soon works.
        if _entry(error)[1] is None:
            line: str | None = problem_text(error)
        else:
            line = busy_text() if isinstance(error, BusyError) else None
        return error_response(status, message, headers, page_line=line)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error while serving %s", request.path)
        return error_response(500, MESSAGES[500])


def client_error(status: int, message: str) -> HTTPException:
    """An HTTP error whose message is shown to the client as written."""
    error = default_exceptions[status](description=message)
    error.kb_message = True  # type: ignore[attr-defined]
    return error
