"""The agents' knowledge pages: article list and review queue, editor, history, flags, links."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.authoring import (
    ArticleForm,
    FormError,
    Saved,
    allowed_statuses,
    diff_lines,
    form_for,
    form_from_ticket,
)
from kb.errors import ConflictError, InputTooLargeError, NotFoundError
from kb.model import ARTICLE_TYPES, AUDIENCES, STATUSES
from kb.validation import choice, integer, text
from kb.web.inputs import json_body
from kb.web.render import render_markdown
from kb.web.security import actor, require_role, safe_next
from kb.web.visits import services

blueprint = Blueprint("knowledge", __name__, url_prefix="/desk/knowledge")

F = TypeVar("F", bound=Callable[..., Any])
MAX_PREVIEW_CHARACTERS = 60_000
# What the editor's title and language fields hold (their maxlength).
MAX_TITLE_CHARACTERS = 300
MAX_LANGUAGE_CHARACTERS = 12
MAX_REVISION = 999_999_999
log = logging.getLogger(__name__)


@blueprint.get("")
@require_role("agent")
def articles() -> str:
    status = request.args.get("status", "")
    if status:
        choice(status, "status", STATUSES)
    authoring = services().authoring
    listing = authoring.listing()
    shown = sorted(
        (a for a in listing.articles.values() if not status or a.status == status),
        key=lambda article: article.title.lower(),
    )
    return render_template(
        "knowledge_articles.html",
        articles=shown,
        status=status,
        statuses=STATUSES,
        review=authoring.needs_review(date.today()),
        errors=listing.errors,
    )


@blueprint.route("/new", methods=["GET", "POST"])
@require_role("agent")
def new() -> str | Response:
    number = request.values.get("from_ticket", "").strip().upper()
    ticket = services().desk.ticket(number) if number else None
    if request.method == "GET":
        form = form_from_ticket(ticket, actor()) if ticket is not None else _prefilled_form()
        return _editor(form, None, base_digest="", from_ticket=number)
    form = _posted_form()
    action = request.form.get("action", "save")
    if action == "preview":
        return _editor(form, None, base_digest="", from_ticket=number, preview=True)
    # An incomplete form is answered with its problems first, not with look-alikes.
    if action != "save_anyway" and form.title.strip() and form.body.strip():
        duplicates = services().authoring.duplicates(form.title, form.body)
        if duplicates:
            return _editor(form, None, base_digest="", from_ticket=number, duplicates=duplicates)
    try:
        saved = services().authoring.save(
            form,
            article_id=None,
            base_digest="",
            author=actor(),
            message=request.form.get("message", ""),
            from_ticket=number or None,
        )
    except FormError as error:
        return _editor(form, None, base_digest="", from_ticket=number, problems=error.problems)
    return _saved(saved.article.id, saved, "created")


@blueprint.route("/articles/<article_id>/edit", methods=["GET", "POST"])
@require_role("agent")
def edit(article_id: str) -> str | Response | tuple[str, int]:
    authoring = services().authoring
    opened = authoring.open(article_id)
    if request.method == "GET":
        return _editor(form_for(opened.article), opened.article, base_digest=opened.digest)
    form = _posted_form()
    base_digest = request.form.get("base_digest", "")
    if request.form.get("action") == "preview":
        return _editor(form, opened.article, base_digest=base_digest, preview=True)
    try:
        saved = authoring.save(
            form,
            article_id=article_id,
            base_digest=base_digest,
            author=actor(),
            message=request.form.get("message", ""),
        )
    except FormError as error:
        return _editor(form, opened.article, base_digest=base_digest, problems=error.problems)
    except ConflictError as error:
        # Their text stays in the form; saving again (on the new base) is their decision.
        saved_body = error.current.body if error.current else error.current_text
        page = _editor(
            form,
            error.current or opened.article,
            base_digest=error.current_digest,
            conflict=error,
            conflict_diff=diff_lines(saved_body, form.body, "saved version", "your version"),
        )
        return page, 409
    return _saved(article_id, saved, "saved" if saved.revision else "unchanged")


@blueprint.get("/articles/<article_id>")
@require_role("agent")
def article(article_id: str) -> str:
    authoring = services().authoring
    opened = authoring.open(article_id)
    listing = authoring.listing().articles
    return render_template(
        "knowledge_article.html",
        article=opened.article,
        digest=opened.digest,
        rendered=render_markdown(opened.article.body, services().settings.image_hosts),
        related=[(item, listing.get(item)) for item in opened.article.related],
        linked_from=authoring.linked_from(article_id),
        similar=authoring.similar(opened.article),
        tickets=authoring.linked_tickets(article_id),
        comments=services().desk.comments(article_id),
        flags=authoring.flags.for_article(article_id),
        history=authoring.history(article_id),
        transitions=allowed_statuses(opened.article.status)[1:],
        done=request.args.get("done"),
        index_stale=request.args.get("index") == "stale",
        indexing=authoring.indexing(opened.article),
    )


@blueprint.post("/articles/<article_id>/status")
@require_role("agent")
def status(article_id: str) -> Response:
    saved = services().authoring.transition(
        article_id, request.form.get("status", ""), request.form.get("base_digest", ""), actor()
    )
    return _saved(article_id, saved, "status")


@blueprint.post("/articles/<article_id>/flags")
@require_role("agent")
def flag(article_id: str) -> Response:
    services().authoring.flag(
        article_id, request.form.get("reason", ""), request.form.get("comment"), actor()
    )
    default = url_for("knowledge.article", article_id=article_id, done="flagged")
    return redirect(safe_next(request.form.get("next"), default))


@blueprint.post("/articles/<article_id>/flags/<int:flag_id>/clear")
@require_role("agent")
def clear_flag(article_id: str, flag_id: int) -> Response:
    services().authoring.clear_flag(article_id, flag_id, actor())
    return redirect(url_for("knowledge.article", article_id=article_id, done="cleared"))


@blueprint.get("/articles/<article_id>/diff")
@require_role("agent")
def diff(article_id: str) -> str:
    # Malformed numbers are a 400 whatever the article; one past the last is not found (404).
    # 0 stands for "not given".
    to = integer(request.args.get("to"), "to", default=0, low=1, high=MAX_REVISION)
    since = integer(request.args.get("from"), "from", default=0, low=1, high=MAX_REVISION)
    authoring = services().authoring
    opened = authoring.open(article_id)
    history = authoring.history(article_id)
    if not history:
        raise NotFoundError(f"{article_id!r} has no saved revisions yet")
    newer = to or history[0].number
    older = since or max(newer - 1, 1)
    first, second = (
        authoring.revisions.get(article_id, older),
        authoring.revisions.get(article_id, newer),
    )
    if first is None or second is None:
        raise NotFoundError(f"{article_id!r} has no revision {older if first is None else newer}")
    return render_template(
        "knowledge_diff.html",
        article=opened.article,
        digest=opened.digest,
        history=history,
        first=first,
        second=second,
        lines=diff_lines(first.text, second.text, f"revision {older}", f"revision {newer}"),
    )


@blueprint.post("/articles/<article_id>/revisions/<int:number>/restore")
@require_role("agent")
def restore(article_id: str, number: int) -> Response:
    saved = services().authoring.restore(
        article_id, number, request.form.get("base_digest", ""), actor()
    )
    return _saved(article_id, saved, "restored")


@blueprint.get("/lookup")
@require_role("agent")
def lookup() -> Response:
    """Articles whose title or id holds the words typed: the related-article picker's source."""
    text = request.args.get("q", "")[:200]
    found = services().authoring.lookup(text) if text.strip() else []
    return jsonify({"articles": [{"id": item.id, "title": item.title} for item in found]})


@blueprint.post("/preview")
@require_role("agent")
def preview() -> Response:
    """The editor's live preview: Markdown rendered as the portal renders it."""
    markdown = text(json_body(("body",)), "body", required=False)
    if len(markdown) > MAX_PREVIEW_CHARACTERS:
        raise InputTooLargeError(
            f"the article is too long to preview (over {MAX_PREVIEW_CHARACTERS} characters)"
        )
    return jsonify({"html": render_markdown(markdown, services().settings.image_hosts).html})


def _prefilled_form() -> ArticleForm:
    """A new article's form with what the link that opened the editor suggests (a content
    gap on the insights pages gives its searches as `title` and `body`); empty otherwise."""
    values = request.args
    return ArticleForm(
        title=values.get("title", "")[:MAX_TITLE_CHARACTERS],
        body=values.get("body", "")[:MAX_PREVIEW_CHARACTERS],
        category=values.get("category", "")[:MAX_TITLE_CHARACTERS],
        language=values.get("language", "")[:MAX_LANGUAGE_CHARACTERS] or "en",
        owner=actor(),
    )


def _posted_form() -> ArticleForm:
    values = request.form
    return ArticleForm(
        title=values.get("title", ""),
        body=values.get("body", ""),
        summary=values.get("summary", ""),
        category=values.get("category", ""),
        tags=tuple(item.strip() for item in values.get("tags", "").split(",") if item.strip()),
        audience=values.get("audience", "public"),
        status=values.get("status", "draft"),
        owner=values.get("owner", ""),
        review_by=values.get("review_by", ""),
        related=tuple(item for item in re.split(r"[\s,]+", values.get("related", "")) if item),
        language=values.get("language", "en"),
        type=values.get("type", ""),
    )


def _editor(form: ArticleForm, article: Any, *, base_digest: str, **context: Any) -> str:
    titles = {item.id: item.title for item in services().authoring.listing().articles.values()}
    preview = context.pop("preview", False)
    return render_template(
        "knowledge_edit.html",
        form=form,
        article=article,
        base_digest=base_digest,
        statuses=allowed_statuses(article.status if article is not None else None),
        audiences=AUDIENCES,
        types=ARTICLE_TYPES,
        titles=titles,
        rendered=render_markdown(form.body, services().settings.image_hosts) if preview else None,
        from_ticket=context.pop("from_ticket", ""),
        message=request.form.get("message", ""),
        **context,
    )


def _saved(article_id: str, saved: Saved, done: str) -> Response:
    # The problem itself is logged by nobody else, so say it here; the page shows a fixed hint.
    if saved.index_problem:
        log.warning("saved %s but could not index it: %s", article_id, saved.index_problem)
    # A save the index could not take at once shows as "indexing…" on the page, from the queue.
    stale = "stale" if saved.index_problem else None
    return redirect(url_for("knowledge.article", article_id=article_id, done=done, index=stale))
