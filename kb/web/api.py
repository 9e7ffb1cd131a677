"""The JSON API under /api/v1, described by the OpenAPI document it serves."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from kb.errors import NotFoundError
from kb.selfservice import NO_PUBLIC_ARTICLE, Answers, Suggestion, requester_filters
from kb.store.tickets import NewTicket
from kb.web.errors import client_error
from kb.web.presenters import confidence_label, suggestion_title, suggestion_url
from kb.web.render import render_markdown
from kb.web.visits import services, session_id

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
MAX_K = 50
TICKET_TYPES = ("incident", "service_request", "question")


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
        "section": " > ".join(suggestion.hit.chunk.heading_path) if url else "",
        "category": document.category,
        "language": document.language,
    }


def answers_json(answers: Answers) -> list[dict[str, Any]]:
    return [suggestion_json(suggestion) for suggestion in answers.suggestions]


@blueprint.get("/search")
def search() -> Response:
    query = request.args.get("q", "")
    k = _integer(request.args.get("k"), "k", default=10, low=1, high=MAX_K)
    filters = requester_filters(
        categories=request.args.getlist("category"),
        tags=[tag.lower() for tag in request.args.getlist("tag")],
        languages=request.args.getlist("language"),
    )
    answers = services().selfservice.search(query, session_id(), k=k, filters=filters)
    return jsonify(
        {
            "query": answers.query,
            "hits": answers_json(answers),
            "deflection": round(answers.deflection, 4),
            "confident": answers.confident,
            "took_ms": round(answers.took_ms, 2),
        }
    )


@blueprint.post("/suggest")
def suggest() -> Response:
    body = json_object()
    subject = text_field(body, "subject", required=False)
    description = text_field(body, "description", required=False)
    if not (subject.strip() or description.strip()):
        raise client_error(400, "give a `subject` or a `description` to get suggestions")
    answers = services().selfservice.suggest(subject, description, session_id())
    return jsonify(
        {
            "hits": answers_json(answers),
            "deflection": round(answers.deflection, 4),
            "confident": answers.confident,
            "took_ms": round(answers.took_ms, 2),
        }
    )


@blueprint.get("/articles/<article_id>")
def article(article_id: str) -> Response:
    document = services().selfservice.article(article_id, session_id(), source="link")
    if document is None or document.kind != "article":
        raise NotFoundError(NO_PUBLIC_ARTICLE, key="no_public_article")
    rendered = render_markdown(document.body)
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
            "related": list(document.metadata.get("related", [])),
            "url": url_for("portal.article", article_id=document.id),
            "html": rendered.html,
        }
    )


@blueprint.post("/feedback")
def feedback() -> tuple[Response, int]:
    body = json_object()
    article_id = text_field(body, "article_id")
    helpful = body.get("helpful")
    if not isinstance(helpful, bool):
        raise client_error(400, "`helpful` must be true or false")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise client_error(400, "`comment` must be text")
    services().selfservice.feedback(article_id, helpful, comment, session_id())
    return jsonify({"ok": True}), 200


@blueprint.post("/resolved")
def resolved() -> tuple[Response, int]:
    body = json_object()
    article_id = text_field(body, "article_id")
    services().selfservice.resolved(article_id, session_id())
    return jsonify({"ok": True}), 200


@blueprint.post("/tickets")
def tickets() -> tuple[Response, int]:
    body = json_object()
    ticket = NewTicket(
        subject=text_field(body, "subject"),
        description=text_field(body, "description"),
        requester_email=_email(text_field(body, "requester_email")),
        requester_name=text_field(body, "requester_name", required=False) or None,
        category=text_field(body, "category", required=False) or None,
        type=_choice(text_field(body, "type", required=False) or "incident", "type", TICKET_TYPES),
    )
    stored = services().selfservice.create_ticket(ticket, session_id())
    return jsonify({"ok": True, "id": stored.number, "status": stored.status}), 201


@blueprint.get("/openapi.json")
def openapi() -> Response:
    text = resources.files("kb.web").joinpath("openapi.json").read_text("utf-8")
    return jsonify(json.loads(text))


def json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise client_error(400, "send a JSON object with Content-Type: application/json")
    return body


def text_field(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise client_error(400, f"`{name}` is required")
        return ""
    if not isinstance(value, str):
        raise client_error(400, f"`{name}` must be text")
    if required and not value.strip():
        raise client_error(400, f"`{name}` must not be empty")
    return value


def _email(value: str) -> str:
    if not EMAIL.match(value.strip()):
        raise client_error(400, "`requester_email` must be an email address like ana@example.com")
    return value.strip()


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise client_error(400, f"`{name}` must be one of: {', '.join(allowed)}")
    return value


def _integer(value: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise client_error(400, f"`{name}` must be a whole number") from None
    if not low <= number <= high:
        raise client_error(400, f"`{name}` must be between {low} and {high}")
    return number
