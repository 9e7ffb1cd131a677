"""The agent's ticket desk: the queue, a ticket's page, and what an agent does to a ticket."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.desk import TicketTrail, queue_query
from kb.errors import InvalidInputError, NotFoundError
from kb.model import Document, ticket_document_id
from kb.store.problems import OPEN_PROBLEM_STATUSES
from kb.web.security import actor, require_role
from kb.web.visits import services
from kb.workflow import (
    OPEN_STATUSES,
    PRIORITIES,
    SETTABLE_STATUSES,
    SORT_KEYS,
    TICKET_STATUSES,
    TICKET_TYPES,
    UNASSIGNED,
)

blueprint = Blueprint("desk", __name__, url_prefix="/desk")

PAGE_SIZE = 50


@blueprint.get("")
@require_role("agent")
def queue() -> str:
    values = request.args.to_dict(flat=False)
    # A first visit shows the open work; the filter form sends `filtered`, so that
    # unticking every status then means any status.
    if "status" not in values and "filtered" not in values and not request.args.get("q"):
        values["status"] = list(OPEN_STATUSES)
    query = queue_query(values, actor(), limit=PAGE_SIZE)
    tickets, total = services().desk.queue(query)
    return render_template(
        "desk_queue.html",
        tickets=tickets,
        total=total,
        query=query,
        page=query.offset // PAGE_SIZE + 1,
        pages=max(1, -(-total // PAGE_SIZE)),
        statuses=TICKET_STATUSES,
        types=TICKET_TYPES,
        priorities=PRIORITIES,
        categories=services().tickets.categories(),
        agents=services().users.with_role("agent"),
        unassigned=UNASSIGNED,
        sorts=SORT_KEYS,
    )


@blueprint.get("/tickets/<number>")
@require_role("agent")
def ticket(number: str) -> str:
    desk = services().desk
    found = desk.ticket(number)
    trail = desk.reading(found)
    suggestions = desk.suggestions(found)
    pages, exported = _desk_pages([hit.document for hit in suggestions])
    reply = ""
    insert = request.args.get("reply_with")
    if insert:
        document = services().searcher.document(insert)
        if document is not None and document.kind == "article":
            link = url_for("portal.article", article_id=document.id, _external=True)
            reply = f"This article should solve it: {document.title}\n{link}\n"
            if document.audience != "public":
                reply = f"(Internal article: summarise it, the requester cannot open it.)\n{reply}"
    return render_template(
        "desk_ticket.html",
        ticket=found,
        notes=desk.tickets.notes(found.number),
        trail=trail,
        suggestions=suggestions,
        linked=services().searcher.document(found.linked_article) if found.linked_article else None,
        titles=_titles(trail),
        pages=pages,
        exported=exported,
        reply=reply,
        indexing=desk.indexing(found.number),
        statuses=SETTABLE_STATUSES,
        priorities=PRIORITIES,
        agents=services().users.with_role("agent"),
        ticket_problems=services().problems.of_ticket(found.number),
        open_problems=services().problems.find(OPEN_PROBLEM_STATUSES),
    )


@blueprint.post("/tickets/<number>/assign")
@require_role("agent")
def assign(number: str) -> Response:
    # "Take it" sends take=me; the form's select sends an agent's email or nothing.
    who = actor() if request.form.get("take") else request.form.get("assignee", "").strip()
    if who and not services().users.acting_as(who, "agent"):
        raise InvalidInputError(f"{who} is not an active agent", field="assignee")
    services().desk.update(number, actor(), assignee=who or None, unassign=not who)
    return _back(number)


@blueprint.post("/tickets/<number>/update")
@require_role("agent")
def update(number: str) -> Response:
    services().desk.update(
        number,
        actor(),
        status=request.form.get("status") or None,
        priority=request.form.get("priority") or None,
    )
    return _back(number)


@blueprint.post("/tickets/<number>/notes")
@require_role("agent")
def note(number: str) -> Response:
    services().desk.note(
        number, actor(), request.form.get("body", ""), reply=request.form.get("kind") == "reply"
    )
    return _back(number)


@blueprint.post("/tickets/<number>/resolve")
@require_role("agent")
def resolve(number: str) -> Response:
    services().desk.resolve(
        number,
        actor(),
        request.form.get("resolution", ""),
        shareable=request.form.get("shareable") == "on",
        linked_article=request.form.get("linked_article") or None,
    )
    return _back(number, "resolved")


@blueprint.post("/tickets/<number>/reopen")
@require_role("agent")
def reopen(number: str) -> Response:
    services().desk.reopen(number, actor(), request.form.get("reason", ""))
    return _back(number)


@blueprint.post("/tickets/<number>/link")
@require_role("agent")
def link(number: str) -> Response:
    services().desk.link_article(number, actor(), request.form.get("article_id") or None)
    return _back(number, "linked")


@blueprint.get("/search")
@require_role("agent")
def search() -> str:
    text = request.args.get("q", "")
    hits = services().desk.search(text, k=20) if text.strip() else []
    pages, exported = _desk_pages([hit.document for hit in hits])
    return render_template(
        "desk_search.html", query=text, hits=hits, pages=pages, exported=exported
    )


@blueprint.get("/exported/<ticket_id>")
@require_role("agent")
def exported_ticket(ticket_id: str) -> str | Response:
    """A resolved ticket indexed from an export (`kb index --tickets`): knowledge only, never
    in the queue, so it has no ticket page; this shows what the index holds of it. Once
    `kb import tickets` has brought it into the queue, its ticket page is the one shown."""
    document = services().searcher.document(ticket_document_id(ticket_id))
    if document is None or document.kind != "ticket":
        number = services().tickets.imported().get(ticket_id)
        if number is not None:
            return redirect(url_for("desk.ticket", number=number))
        raise NotFoundError(
            f"no exported ticket {ticket_id} is indexed; search all knowledge for it"
        )
    resolution = str(document.metadata.get("resolution") or "")
    problem = document.body.removesuffix(f"Resolution: {resolution}\n").strip()
    return render_template(
        "desk_exported_ticket.html", document=document, problem=problem, resolution=resolution
    )


def _back(number: str, done: str | None = None) -> Response:
    return redirect(url_for("desk.ticket", number=number.upper(), done=done))


def _desk_pages(documents: list[Document]) -> tuple[dict[str, str], set[str]]:
    """The desk page of each document, and which of them are tickets from an export.

    Articles have their knowledge page and kb's tickets their ticket page; a ticket from an
    export (`kb index --tickets`) was never in kb's queue, so its page shows what the index
    holds of it.
    """
    pages = {}
    exported = set()
    for document in documents:
        if document.kind == "article":
            pages[document.id] = url_for("knowledge.article", article_id=document.id)
            continue
        number = str(document.metadata.get("ticket_id", ""))
        if not number:
            continue
        if services().tickets.get(number) is not None:
            pages[document.id] = url_for("desk.ticket", number=number)
        else:
            pages[document.id] = url_for("desk.exported_ticket", ticket_id=number)
            exported.add(document.id)
    return pages, exported


def _titles(trail: TicketTrail) -> dict[str, tuple[str, str | None]]:
    """The title and desk page of each document the trail names, for display."""
    searcher = services().searcher
    ids = {item.id for item in trail.shown} | {item.id for item in trail.viewed}
    ids |= {item.id for item in trail.ratings}
    found = {item: searcher.document(item) for item in ids}
    pages, _ = _desk_pages([document for document in found.values() if document is not None])
    return {
        item: (document.title if document is not None else item, pages.get(item))
        for item, document in found.items()
    }
