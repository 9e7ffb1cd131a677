"""The portal's languages: gettext catalogues in kb/translations, chosen per request.

The visitor's own choice (the language switch, kept in a cookie) wins; otherwise the best
match of the browser's Accept-Language; otherwise English.
"""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Flask, make_response, request, url_for
from flask_babel import Babel
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kb.web.errors import client_error
from kb.web.presenters import DEFAULT_LANGUAGE, current_language, language_name
from kb.web.security import safe_next

# Interface languages with a complete catalogue; English is the source language.
LANGUAGES = ("en", "es")
COOKIE = "kb_language"
COOKIE_SECONDS = 365 * 24 * 3600

blueprint = Blueprint("language", __name__)


def register(app: Flask) -> None:
    directory = resources.files("kb") / "translations"
    Babel(
        app,
        locale_selector=choose_language,
        default_locale=DEFAULT_LANGUAGE,
        default_translation_directories=str(directory),
    )
    # `{% trans %}` blocks are read with their whitespace folded, as babel.cfg extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.register_blueprint(blueprint)

    @app.context_processor
    def languages() -> dict[str, object]:
        current = current_language()
        return {
            "current_language": current,
            "language_switch": [
                (code, language_name(code, code).capitalize())
                for code in LANGUAGES
                if code != current
            ],
        }


def choose_language() -> str:
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


@blueprint.get("/language/<code>")
def choose(code: str) -> Response:
    """The language switch: remember the choice and go back to the page it was made on."""
    if code not in LANGUAGES:
        raise client_error(404, _("The Help Centre is not available in that language."))
    response = make_response("", 303)
    response.headers["Location"] = safe_next(request.args.get("next"), url_for("portal.home"))
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response
