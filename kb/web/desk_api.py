"""The desk's JSON API under /api/v1/desk, for agents' integrations (bearer tokens) and pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from kb.desk import queue_query
from kb.errors import NotFoundError
from kb.model import KINDS
from kb.search.searcher import MAX_QUERY_CHARACTERS
from kb.store.tickets import Note, StoredTicket
from kb.validation import (
    MAX_EMAIL_CHARACTERS,
    boolean,
    choice,
    choices,
    integer,
    optional_text,
    text,
)
from kb.web.inputs import json_body
from kb.web.security import actor, require_role
from kb.web.visits import services
from kb.workflow import AGENT_NOTE_KINDS, MAX_CATEGORY_CHARACTERS, MAX_RESOLUTION_CHARACTERS

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
    limit = integer(request.args.get("limit"), "limit", default=50, low=1, high=MAX_LIMIT)
    query = queue_query(request.args.to_dict(flat=False), actor(), limit=limit)
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
    body = json_body(("status", "priority", "assignee", "category"))
    assignee = optional_text(body, "assignee", max_length=MAX_EMAIL_CHARACTERS)
    if assignee and not services().users.acting_as(assignee, "agent"):
        # The request is well formed; what it names does not exist, as for a ticket.
        raise NotFoundError(f"there is no active agent {assignee} to assign")
    updated = services().desk.update(
        number,
        actor(),
        status=optional_text(body, "status"),
        priority=optional_text(body, "priority"),
        category=(
            text(body, "category", required=False, max_length=MAX_CATEGORY_CHARACTERS)
            if "category" in body
            else None
        ),
        assignee=assignee,
        unassign="assignee" in body and not assignee,
    )
    return jsonify(ticket_json(updated))


@blueprint.post("/tickets/<number>/notes")
@require_role("agent")
def note(number: str) -> tuple[Response, int]:
    body = json_body(("body", "kind"))
    kind = choice(optional_text(body, "kind") or "internal", "kind", AGENT_NOTE_KINDS)
    note_text = text(body, "body", max_length=MAX_RESOLUTION_CHARACTERS)
    services().desk.note(number, actor(), note_text, reply=kind == "reply")
    return jsonify({"ok": True}), 201


@blueprint.post("/tickets/<number>/resolve")
@require_role("agent")
def resolve(number: str) -> Response:
    body = json_body(("resolution", "shareable", "linked_article"))
    resolved, report = services().desk.resolve(
        number,
        actor(),
        text(body, "resolution", max_length=MAX_RESOLUTION_CHARACTERS),
        shareable=boolean(body, "shareable", default=False),
        linked_article=optional_text(body, "linked_article"),
    )
    return jsonify(
        {
            **ticket_json(resolved),
            "indexed_in": report.generation if report else None,
            "indexing": services().desk.indexing(resolved.number),
        }
    )


@blueprint.post("/tickets/<number>/reopen")
@require_role("agent")
def reopen(number: str) -> Response:
    body = json_body(("reason",))
    reason = text(body, "reason", required=False, max_length=MAX_RESOLUTION_CHARACTERS)
    reopened = services().desk.reopen(number, actor(), reason)
    return jsonify({**ticket_json(reopened), "indexing": services().desk.indexing(reopened.number)})


@blueprint.get("/search")
@require_role("agent")
def search() -> Response:
    query = text(request.args, "q", max_length=MAX_QUERY_CHARACTERS)
    kinds = choices(request.args.getlist("kind"), "kind", KINDS)
    hits = services().desk.search(query, k=20, kinds=kinds)
    return jsonify(
        {
            "query": " ".join(query.split()),
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
