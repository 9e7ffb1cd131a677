"""Every request's input checked once, before any view: query strings, forms, path parts, JSON.

The checks themselves are kb.validation's, shared with the other edges; here they run on what
Flask decoded. Werkzeug already turns bytes that are not UTF-8 in a URL or form into U+FFFD,
so what is left to refuse there is NUL; a JSON body is bounded in size and depth before it is
parsed, and each of its strings is checked, naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, g, request
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from kb.errors import InvalidInputError
from kb.validation import check_text, only_fields, parse_json_object, scrub
from kb.web.errors import client_error
from kb.web.limits import BODY_STALLED

STALLED_BODY = "the request's body stopped arriving before it was complete; send it again"


class WholeNumberConverter(IntegerConverter):
    """`<int:…>` in a route: ASCII digits only (Werkzeug's `\\d+` also matches "٣" and "²"),
    at most nine of them, as kb.validation.integer reads query strings."""

    regex = r"[0-9]{1,9}"


def register(app: Flask) -> None:
    # Before any blueprint is registered: each route compiles with the converter it names.
    app.url_map.converters["int"] = WholeNumberConverter

    @app.before_request
    def check_inputs() -> None:
        if request.environ.get(BODY_STALLED):
            # kb serve's worker stopped waiting for the body (kb.web.worker).
            raise client_error(408, STALLED_BODY)
        for values in (request.args, request.form):
            for name, value in values.items(multi=True):
                check_text(name, "a field name")
                check_text(value, name)
        for name, value in (request.view_args or {}).items():
            if isinstance(value, str):
                check_text(value, name)

    # Text stored before these checks existed may hold a lone surrogate, which no page can
    # be encoded with: every value a template prints is scrubbed, so such a page still opens.
    app.jinja_env.finalize = _printable


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        clean = scrub(value)
        if clean != value:
            return Markup(clean) if isinstance(value, Markup) else clean
    return value


def json_body(fields: Iterable[str]) -> dict[str, Any]:
    """The request's JSON object, parsed once by kb.validation's bounded parser; a field
    other than `fields` is refused, as the API document declares (no additional properties)."""
    if "json_body" not in g:
        if not request.is_json:
            raise InvalidInputError("send a JSON object with Content-Type: application/json")
        g.json_body = parse_json_object(request.get_data(cache=True))
    body: dict[str, Any] = g.json_body
    only_fields(body, tuple(fields))
    return body
