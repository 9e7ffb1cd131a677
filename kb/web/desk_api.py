"""The desk's JSON API under /api/v1/desk, for agents' integrations (bearer tokens) and pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from kb.errors import InvalidInputError
from kb.store.tickets import Note, StoredTicket
from kb.web.api import json_object, text_field
from kb.web.desk import ticket_query
from kb.web.errors import client_error
from kb.web.security import actor, require_role
from kb.web.visits import services

blueprint = Blueprint("desk_api", __name__, url_prefix="/api/v1/desk")
MAX_LIMIT = 200


def ticket_json(ticket: StoredTicket) -> dict[str, Any]:
    return {
        "id": ticket.number,
        "type": ticket.type,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "description": ticket.description,
        "category": ticket.category,
        "requester_name": ticket.requester_name,
        "requester_email": ticket.requester_email,
        "assignee": ticket.assignee,
        "resolution": ticket.resolution,
        "shareable": ticket.shareable,
        "linked_article": ticket.linked_article,
        "created": ticket.created.isoformat(),
        "updated": ticket.updated.isoformat() if ticket.updated else None,
        "resolved": ticket.resolved.isoformat() if ticket.resolved else None,
        "external_id": ticket.external_id,
    }


def note_json(note: Note) -> dict[str, Any]:
    return {"kind": note.kind, "author": note.author, "at": note.at.isoformat(), "body": note.body}


@blueprint.get("/tickets")
@require_role("agent")
def tickets() -> Response:
    limit = request.args.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise client_error(400, f"`limit` must be a whole number from 1 to {MAX_LIMIT}")
    query = ticket_query(request.args, actor(), limit=int(limit))
    found, total = services().desk.queue(query)
    return jsonify({"tickets": [ticket_json(ticket) for ticket in found], "total": total})


@blueprint.get("/tickets/<number>")
@require_role("agent")
def ticket(number: str) -> Response:
    desk = services().desk
    found = desk.ticket(number)
    trail = desk.trail(found)
    return jsonify(
        {
            **ticket_json(found),
            "notes": [note_json(note) for note in desk.tickets.notes(found.number)],
            "trail": {
                "searches": [
                    {"query": item.query, "at": item.at.isoformat(), "hits": item.hits}
                    for item in trail.searches
                ],
                "shown": [
                    {"id": item.id, "deflection": item.deflection, "query": item.query}
                    for item in trail.shown
                ],
                "viewed": [
                    {"id": item.id, "at": item.at.isoformat(), "source": item.source}
                    for item in trail.viewed
                ],
                "ratings": [
                    {"id": item.id, "helpful": item.helpful, "comment": item.comment}
                    for item in trail.ratings
                ],
            },
            "suggestions": [
                {
                    "id": hit.document.id,
                    "kind": hit.document.kind,
                    "title": hit.document.title,
                    "audience": hit.document.audience,
                    "score": round(hit.score, 6),
                }
                for hit in desk.suggestions(found)
            ],
        }
    )


@blueprint.patch("/tickets/<number>")
@require_role("agent")
def change(number: str) -> Response:
    body = json_object()
    unknown = set(body) - {"status", "priority", "assignee", "category"}
    if unknown:
        raise client_error(400, f"cannot change `{sorted(unknown)[0]}` here")
    assignee = body.get("assignee", "")
    if assignee is not None and not isinstance(assignee, str):
        raise client_error(400, "`assignee` must be an agent's email or null")
    if assignee:
        agent = services().users.find(assignee)
        if agent is None or "agent" not in agent.roles or not agent.active:
            raise InvalidInputError(f"{assignee} is not an active agent", field="assignee")
    updated = services().desk.update(
        number,
        actor(),
        status=text_field(body, "status", required=False) or None,
        priority=text_field(body, "priority", required=False) or None,
        category=text_field(body, "category", required=False) if "category" in body else None,
        assignee=assignee or None,
        unassign="assignee" in body and not assignee,
    )
    return jsonify(ticket_json(updated))


@blueprint.post("/tickets/<number>/notes")
@require_role("agent")
def note(number: str) -> tuple[Response, int]:
    body = json_object()
    kind = text_field(body, "kind", required=False) or "internal"
    if kind not in ("internal", "reply"):
        raise client_error(400, "`kind` must be internal or reply")
    services().desk.note(number, actor(), text_field(body, "body"), reply=kind == "reply")
    return jsonify({"ok": True}), 201


@blueprint.post("/tickets/<number>/resolve")
@require_role("agent")
def resolve(number: str) -> Response:
    body = json_object()
    shareable = body.get("shareable", False)
    if not isinstance(shareable, bool):
        raise client_error(400, "`shareable` must be true or false")
    resolved, report = services().desk.resolve(
        number,
        actor(),
        text_field(body, "resolution"),
        shareable=shareable,
        linked_article=text_field(body, "linked_article", required=False) or None,
    )
    return jsonify({**ticket_json(resolved), "indexed_in": report.generation})


@blueprint.post("/tickets/<number>/reopen")
@require_role("agent")
def reopen(number: str) -> Response:
    body = json_object()
    reopened = services().desk.reopen(number, actor(), text_field(body, "reason", required=False))
    return jsonify(ticket_json(reopened))


@blueprint.get("/search")
@require_role("agent")
def search() -> Response:
    text = request.args.get("q", "")
    kinds = tuple(kind for kind in request.args.getlist("kind") if kind)
    if any(kind not in ("article", "ticket") for kind in kinds):
        raise client_error(400, "`kind` must be article or ticket")
    hits = services().desk.search(text, k=20, kinds=kinds)
    return jsonify(
        {
            "query": " ".join(text.split()),
            "hits": [
                {
                    "id": hit.document.id,
                    "kind": hit.document.kind,
                    "title": hit.document.title,
                    "audience": hit.document.audience,
                    "status": hit.document.status,
                    "snippet": hit.snippet.plain,
                    "score": round(hit.score, 6),
                }
                for hit in hits
            ],
        }
    )
