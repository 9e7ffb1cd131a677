"""The JSON API under /api/v1, described by the OpenAPI document it serves."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import gettext as _

from kb.errors import InvalidInputError, NotFoundError
from kb.problems import KnownIssue
from kb.search.searcher import MAX_QUERY_CHARACTERS
from kb.selfservice import (
    MAX_COMMENT_CHARACTERS,
    NO_PUBLIC_ARTICLE,
    Answers,
    Suggestion,
    requester_filters,
)
from kb.validation import MAX_EMAIL_CHARACTERS, boolean, integer, optional_text, text
from kb.web.inputs import json_body
from kb.web.presenters import (
    confidence_label,
    current_language,
    problem_status_name,
    suggestion_title,
    suggestion_url,
)
from kb.web.render import render_markdown
from kb.web.visits import services, session_id
from kb.workflow import (
    MAX_CATEGORY_CHARACTERS,
    MAX_DESCRIPTION_CHARACTERS,
    MAX_NAME_CHARACTERS,
    MAX_SUBJECT_CHARACTERS,
    NewTicket,
)

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_K = 50
TICKET_FIELDS = ("subject", "description", "requester_email", "requester_name", "category", "type")


def suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    """One answer for the API; `title` and `label` are worded in the request's language."""
    document = suggestion.document
    url = suggestion_url(suggestion)
    return {
        "id": document.id,
        "kind": document.kind,
        "title": suggestion_title(suggestion),
        "url": url,
        "snippet": suggestion.snippet_text,
        "score": round(suggestion.hit.score, 6),
        "deflection": round(suggestion.deflection, 4),
        "confidence": suggestion.confidence,
        "label": confidence_label(suggestion),
        "section": (
            " > ".join(suggestion.hit.chunk.heading_path) if document.kind == "article" else ""
        ),
        "category": document.category,
        "language": document.language,
    }


def answers_json(answers: Answers) -> list[dict[str, Any]]:
    return [suggestion_json(suggestion) for suggestion in answers.suggestions]


def known_issue_json(issue: KnownIssue) -> dict[str, Any]:
    """An announced problem as a requester may see it: public title, status, last update."""
    return {
        "number": issue.number,
        "title": issue.title,
        "status": issue.status,
        "status_label": problem_status_name(issue.status),
        "message": _("We know about this; we are working on it."),
        "updated": issue.updated.isoformat(),
        "join": url_for("api.join_known_issue", number=issue.number),
    }


@blueprint.get("/search")
def search() -> Response:
    query = text(request.args, "q", max_length=MAX_QUERY_CHARACTERS)
    k = integer(request.args.get("k"), "k", default=10, low=1, high=MAX_K)
    filters = requester_filters(
        categories=request.args.getlist("category"),
        tags=[tag.lower() for tag in request.args.getlist("tag")],
        languages=request.args.getlist("language"),
    )
    answers = services().selfservice.search(query, session_id(), k=k, filters=filters)
    return jsonify(
        {
            "query": answers.query,
            "known_issues": [known_issue_json(issue) for issue in answers.known_issues],
            "hits": answers_json(answers),
            "deflection": round(answers.deflection, 4),
            "confident": answers.confident,
            "took_ms": round(answers.took_ms, 2),
        }
    )


@blueprint.post("/suggest")
def suggest() -> Response:
    body = json_body(("subject", "description"))
    subject = text(body, "subject", required=False, max_length=MAX_SUBJECT_CHARACTERS)
    description = text(body, "description", required=False, max_length=MAX_DESCRIPTION_CHARACTERS)
    if not (subject.strip() or description.strip()):
        raise InvalidInputError("give a `subject` or a `description` to get suggestions")
    answers = services().selfservice.suggest(subject, description, session_id())
    return jsonify(
        {
            "known_issues": [known_issue_json(issue) for issue in answers.known_issues],
            "hits": answers_json(answers),
            "deflection": round(answers.deflection, 4),
            "confident": answers.confident,
            "took_ms": round(answers.took_ms, 2),
        }
    )


@blueprint.get("/articles/<article_id>")
def article(article_id: str) -> Response:
    selfservice = services().selfservice
    document = selfservice.article(article_id, session_id(), source="link")
    if document is None or document.kind != "article":
        raise NotFoundError(NO_PUBLIC_ARTICLE, key="no_public_article")
    rendered = render_markdown(document.body, services().settings.image_hosts)
    return jsonify(
        {
            "id": document.id,
            "title": document.title,
            "summary": document.summary,
            "category": document.category,
            "tags": list(document.tags),
            "language": document.language,
            "type": document.metadata.get("type"),
            "updated": document.metadata.get("updated"),
            # Only what the reader may open: an internal or draft article's id is not shown.
            "related": [item.id for item in selfservice.listed_related(document)],
            "url": url_for("portal.article", article_id=document.id),
            "html": rendered.html,
        }
    )


@blueprint.post("/feedback")
def feedback() -> tuple[Response, int]:
    body = json_body(("article_id", "helpful", "comment"))
    article_id = text(body, "article_id")
    helpful = boolean(body, "helpful")
    comment = optional_text(body, "comment", max_length=MAX_COMMENT_CHARACTERS)
    services().selfservice.feedback(article_id, helpful, comment, session_id())
    return jsonify({"ok": True}), 200


@blueprint.post("/resolved")
def resolved() -> tuple[Response, int]:
    body = json_body(("article_id",))
    article_id = text(body, "article_id")
    services().selfservice.resolved(article_id, session_id())
    return jsonify({"ok": True}), 200


@blueprint.post("/known-issues/<number>/join")
def join_known_issue(number: str) -> tuple[Response, int]:
    """ "This is my problem too": the visit joins the announced problem instead of filing."""
    json_body(())
    issue = services().problems.join(number, session_id())
    return jsonify({"ok": True, "known_issue": known_issue_json(issue)}), 200


@blueprint.post("/tickets")
def tickets() -> tuple[Response, int]:
    body = json_body(TICKET_FIELDS)
    ticket = NewTicket(
        subject=text(body, "subject", max_length=MAX_SUBJECT_CHARACTERS),
        description=text(body, "description", max_length=MAX_DESCRIPTION_CHARACTERS),
        requester_email=text(body, "requester_email", max_length=MAX_EMAIL_CHARACTERS),
        requester_name=optional_text(body, "requester_name", max_length=MAX_NAME_CHARACTERS),
        category=optional_text(body, "category", max_length=MAX_CATEGORY_CHARACTERS),
        type=optional_text(body, "type") or "incident",
        language=current_language(),
    )
    stored = services().selfservice.create_ticket(ticket, session_id())
    return jsonify({"ok": True, "id": stored.number, "status": stored.status}), 201


@blueprint.get("/openapi.json")
def openapi() -> Response:
    document = resources.files("kb.web").joinpath("openapi.json").read_text("utf-8")
    return jsonify(json.loads(document))
