"""How the portal words what the core returns: labels, titles, snippets, problems; translated.

The core (kb.selfservice) gives keys and data: a confidence band, a document's kind, a
snippet's matches, an error's key. Everything a person reads is made here and in the
templates, through the gettext catalogues, in the language of the request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel import Locale
from flask import Flask, url_for
from flask_babel import format_date, format_percent, get_locale, lazy_gettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from kb.errors import KbError
from kb.model import Document
from kb.selfservice import Suggestion
from kb.web.results import group_answers

DEFAULT_LANGUAGE = "en"

CONFIDENCE_LABELS = {
    "high": lazy_gettext("very likely to solve this"),
    "medium": lazy_gettext("likely to help"),
    "low": lazy_gettext("might help"),
}
# The sample KB's categories by their slug; a KB's own categories are shown by their slug,
# written as words, until they are named here.
CATEGORY_NAMES = {
    "accounts-access": lazy_gettext("Passwords & access"),
    "security": lazy_gettext("MFA & security"),
    "network": lazy_gettext("VPN, Wi-Fi & network"),
    "email-calendar": lazy_gettext("Email & calendar"),
    "hardware": lazy_gettext("Laptops, docks & monitors"),
    "printing": lazy_gettext("Printing"),
    "software": lazy_gettext("Software & licences"),
    "onboarding": lazy_gettext("New starters"),
    "remote-support": lazy_gettext("Remote support"),
}
ARTICLE_TYPE_NAMES = {
    "how-to": lazy_gettext("how-to"),
    "troubleshooting": lazy_gettext("troubleshooting"),
    "faq": lazy_gettext("FAQ"),
    "reference": lazy_gettext("reference"),
}
# A request's status as its requester reads it.
STATUS_NAMES = {
    "new": lazy_gettext("new"),
    "open": lazy_gettext("open"),
    "pending": lazy_gettext("waiting for you"),
    "resolved": lazy_gettext("resolved"),
    "closed": lazy_gettext("closed"),
}
# An announced problem's status as a requester reads it (the portal shows only open ones).
PROBLEM_STATUS_NAMES = {
    "investigating": lazy_gettext("Investigating"),
    "known_error": lazy_gettext("Cause found, fix in progress"),
}
ROLE_NAMES = {
    "requester": lazy_gettext("requester"),
    "agent": lazy_gettext("agent"),
    "manager": lazy_gettext("manager"),
    "admin": lazy_gettext("admin"),
}
# The core's problems with a requester's input, by key; `%(limit)s` and the like come from
# the error's data.
PROBLEMS = {
    "no_public_article": lazy_gettext("There is no public article at this address."),
    "no_known_issue": lazy_gettext("There is no known issue with this number any more."),
    "no_token": lazy_gettext("You have no token with that number."),
    "query_empty": lazy_gettext("Type a few words that describe the problem."),
    "query_too_long": lazy_gettext("Keep the search under %(limit)s characters."),
    "request_empty": lazy_gettext("Type a subject or a description to get suggestions."),
    "subject_too_long": lazy_gettext("Keep the subject under %(limit)s characters."),
    "description_too_long": lazy_gettext("Keep the description under %(limit)s characters."),
    "comment_too_long": lazy_gettext("Keep the comment under %(limit)s characters."),
    "password_too_short": lazy_gettext("Choose a password of at least %(limit)s characters."),
    "password_too_long": lazy_gettext("Choose a password of under 1,024 characters."),
    "token_name": lazy_gettext(
        "Name the token (up to 128 characters), e.g. after the integration."
    ),
    # The insights pages' period (kb.insights.readout).
    "period_reversed": lazy_gettext("The period ends before it starts: put From before To."),
    "period_too_long": lazy_gettext("A period can be at most %(limit)s days long."),
    "days_out_of_range": lazy_gettext("Choose a number of days from 1 to %(limit)s."),
    "days_not_number": lazy_gettext("Give the number of days as a whole number, such as 30."),
    "date_format": lazy_gettext("Write the period's dates like 2026-11-30."),
}


def current_language() -> str:
    """The language this request is answered in (`en`, `es`)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def language_name(code: str, in_language: str | None = None) -> str:
    """`es` as a reader of `in_language` (default: the page's) writes it mid-sentence:
    "Spanish", "español"."""
    try:
        name = Locale.parse(code).get_display_name(in_language or current_language())
    except (ValueError, LookupError):
        return code
    return name or code


# What an error page says happened (its heading) and what to do, by HTTP status.
ERROR_PAGES = {
    400: (
        lazy_gettext("We could not use what was sent"),
        lazy_gettext("Check what you entered, then try again."),
    ),
    401: (lazy_gettext("Please sign in first"), lazy_gettext("Sign in, then open the page again.")),
    403: (
        lazy_gettext("This page is not open to your account"),
        lazy_gettext(
            "Sign in with an account that has access, or ask an admin to give you the role."
        ),
    ),
    404: (
        lazy_gettext("We could not find that page"),
        lazy_gettext(
            "The address may be mistyped, or the page has moved or been withdrawn. "
            "Search the Help Centre for what you need."
        ),
    ),
    405: (
        lazy_gettext("This address does not take that action"),
        lazy_gettext("Go back and use the page's own buttons and links."),
    ),
    409: (
        lazy_gettext("Someone changed this in the meantime"),
        lazy_gettext("Reload the page to see the latest version, then try again."),
    ),
    413: (
        lazy_gettext("That was too much to send at once"),
        lazy_gettext("Shorten the text, then send it again."),
    ),
    415: (
        lazy_gettext("We could not use what was sent"),
        lazy_gettext("Go back, reload the page and send it again."),
    ),
    429: (lazy_gettext("Too many tries"), lazy_gettext("Wait a few minutes, then try again.")),
    500: (
        lazy_gettext("Something went wrong on our side"),
        lazy_gettext(
            "The problem has been logged. Try again in a minute; if it keeps happening, "
            "open a request."
        ),
    ),
    503: (
        lazy_gettext("The Help Centre is not ready yet"),
        lazy_gettext("The knowledge base is still being set up. Try again in a minute."),
    ),
}


def error_wording(status: int) -> tuple[str, str]:
    """An error page's heading and advice for an HTTP status."""
    heading, advice = ERROR_PAGES.get(
        status,
        (lazy_gettext("Something is not right"), lazy_gettext("Go back and try again.")),
    )
    return str(heading), str(advice)


def confidence_label(suggestion: Suggestion) -> str:
    """The honest words shown beside a suggestion's probability."""
    return str(CONFIDENCE_LABELS[suggestion.confidence])


def category_name(slug: str) -> str:
    """`accounts-access` as a requester reads it: "Passwords & access"."""
    named = CATEGORY_NAMES.get(slug)
    if named is not None:
        return str(named)
    words = slug.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def article_type_name(kind: str) -> str:
    return str(ARTICLE_TYPE_NAMES.get(kind, kind))


def status_name(status: str) -> str:
    return str(STATUS_NAMES.get(status, status))


def problem_status_name(status: str) -> str:
    return str(PROBLEM_STATUS_NAMES.get(status, status))


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def percent(probability: float) -> str:
    """A probability as the reader's language writes a whole percentage ("86%", "86 %")."""
    return str(format_percent(round(probability, 2), "#,##0%"))


def suggestion_title(suggestion: Suggestion) -> str:
    document = suggestion.document
    if document.kind == "ticket":
        return str(_("Similar resolved request: %(title)s", title=document.title))
    return document.title


def snippet_html(suggestion: Suggestion) -> Markup:
    """The snippet with its matches marked; a shared ticket shows its resolution only."""
    if suggestion.document.kind == "ticket":
        return escape(suggestion.snippet_text)
    return Markup(suggestion.hit.snippet.html())


def suggestion_url(suggestion: Suggestion, source: str | None = None) -> str | None:
    """The article's page at the matching section, or a shared resolved request's page."""
    document = suggestion.document
    values: dict[str, Any] = {"from": source} if source else {}
    if document.kind == "ticket":
        ticket_id = str(document.metadata.get("ticket_id", ""))
        if not ticket_id:
            return None
        return url_for("portal.resolved_request", ticket_id=ticket_id, **values)
    if document.kind != "article":
        return None
    url = url_for("portal.article", article_id=document.id, **values)
    anchor = suggestion.hit.chunk.anchor
    return f"{url}#{anchor}" if anchor else url


def other_language(document: Document) -> str | None:
    """ "In Spanish" when the answer is not in the page's language, else None."""
    if document.language == current_language():
        return None
    return str(_("In %(language)s", language=language_name(document.language)))


def problem_text(error: KbError) -> str:
    """What a requester reads about a problem with their input, in their language."""
    wording = PROBLEMS.get(error.key or "")
    if wording is None:
        return sentence(str(error))
    return str(wording) % error.data


def updated_on(document: Document) -> str:
    """The article's front-matter `updated` as the page's language writes a date, or ""."""
    value = document.metadata.get("updated")
    try:
        day = date.fromisoformat(str(value)) if value else None
    except ValueError:
        return ""
    return str(format_date(day, "medium")) if day else ""


def busy_text() -> str:
    return str(_("The Help Centre is saving another change. Try again in a few seconds."))


def sentence(text: str) -> str:
    """A message written for the API ("keep it short") as a sentence for a page."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        article_type_name=article_type_name,
        category_name=category_name,
        group_answers=group_answers,
        confidence_label=confidence_label,
        error_wording=error_wording,
        percent=percent,
        suggestion_title=suggestion_title,
        role_name=role_name,
        snippet_html=snippet_html,
        status_name=status_name,
        problem_status_name=problem_status_name,
        suggestion_url=suggestion_url,
        language_name=language_name,
        other_language=other_language,
        updated_on=updated_on,
    )
