"""The requester's pages: search, article, new request (with suggestions), confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from kb.errors import InvalidInputError, NotFoundError
from kb.model import ticket_document_id
from kb.selfservice import NO_PUBLIC_ARTICLE, requester_filters
from kb.web.errors import client_error
from kb.web.presenters import current_language, problem_text
from kb.web.render import render_markdown
from kb.web.results import group_answers, narrowing_facets
from kb.web.security import current_user
from kb.web.visits import services, session_id
from kb.workflow import TICKET_TYPES, NewTicket, new_ticket_problems

blueprint = Blueprint("portal", __name__)

# The home page's "most helpful" list counts what helped in this many days.
MOST_HELPFUL_DAYS = 28
CATEGORIES = (
    "accounts-access",
    "security",
    "software",
    "hardware",
    "network",
    "email-calendar",
    "remote-support",
    "onboarding",
    "printing",
)

# What the form says about a field the requester left out or got wrong.
FORM_PROBLEMS = {
    "subject": lazy_gettext("Add a short subject."),
    "description": lazy_gettext("Describe the problem or what you need."),
    "requester_email": lazy_gettext("Give an email address we can reach you at."),
    "type": lazy_gettext("Choose what kind of request this is."),
}


@blueprint.get("/")
def home() -> str:
    query = request.args.get("q", "")
    if not query.strip():
        since = datetime.now(UTC) - timedelta(days=MOST_HELPFUL_DAYS)
        browsing = services().browsing
        most_helpful = browsing.most_helpful(since)
        return render_template(
            "search.html",
            query="",
            answers=None,
            filters={},
            home_categories=CATEGORIES,
            most_helpful=most_helpful,
            most_helpful_days=MOST_HELPFUL_DAYS,
            # A new KB has no votes yet: the home page lists what was updated last instead.
            recently_updated=[] if most_helpful else browsing.recently_updated(current_language()),
            known_issues=services().selfservice.known_issues(),
        )
    filters = {
        "category": request.args.getlist("category"),
        "tag": request.args.getlist("tag"),
        "language": request.args.getlist("language"),
    }
    answers = services().selfservice.search(
        query,
        session_id(),
        k=20,
        filters=requester_filters(filters["category"], filters["tag"], filters["language"]),
    )
    groups = group_answers(answers.suggestions)
    return render_template(
        "search.html",
        query=query,
        answers=answers,
        groups=groups,
        facets=narrowing_facets(groups.shown, filters),
        filters=filters,
    )


@blueprint.get("/topics/<slug>")
def category(slug: str) -> str:
    """A category's articles to browse, the most helpful first."""
    articles = services().browsing.browse(slug)
    if not articles and slug not in CATEGORIES:
        raise client_error(404, _("There is no topic at this address."))
    return render_template("category.html", slug=slug, articles=articles)


@blueprint.get("/articles/<article_id>")
def article(article_id: str) -> str:
    source = request.args.get("from", "link")
    selfservice = services().selfservice
    document = selfservice.article(article_id, session_id(), source=source)
    if document is None or document.kind != "article":
        raise NotFoundError(NO_PUBLIC_ARTICLE, key="no_public_article")
    rendered = render_markdown(document.body, services().settings.image_hosts)
    return render_template(
        "article.html",
        document=document,
        rendered=rendered,
        related=selfservice.related(document),
        linked_from=selfservice.linked_from(document),
        thanks=request.args.get("thanks"),
    )


@blueprint.get("/resolved/<ticket_id>")
def resolved_request(ticket_id: str) -> str | Response:
    """A shared resolved request as a requester may read it: its subject and resolution."""
    source = request.args.get("from", "link")
    document = services().selfservice.article(
        ticket_document_id(ticket_id), session_id(), source=source
    )
    if document is None or document.kind != "ticket":
        # A ticket of an export, imported into the queue since, is shared under its kb number.
        number = services().tickets.imported().get(ticket_id)
        if number is not None and services().selfservice.visible(ticket_document_id(number)):
            return redirect(url_for("portal.resolved_request", ticket_id=number))
        raise client_error(404, _("There is no shared resolved request at this address."))
    return render_template("resolved.html", document=document, thanks=request.args.get("thanks"))


@blueprint.post("/articles/<article_id>/feedback")
def feedback(article_id: str) -> Response:
    helpful = request.form.get("helpful")
    if helpful not in {"yes", "no"}:
        raise client_error(400, _("Choose Yes or No."))
    selfservice = services().selfservice
    selfservice.feedback(article_id, helpful == "yes", request.form.get("comment"), session_id())
    # Back to the feedback section, where the thank-you note takes the form's place.
    document = selfservice.visible(article_id)
    if document is not None and document.kind == "ticket":
        ticket_id = str(document.metadata.get("ticket_id", ""))
        target = url_for("portal.resolved_request", ticket_id=ticket_id, thanks="feedback")
    else:
        target = url_for("portal.article", article_id=article_id, thanks="feedback")
    return redirect(f"{target}#feedback")


@blueprint.route("/request", methods=["GET", "POST"])
def new_request() -> str | Response:
    form = {
        "subject": request.form.get("subject", request.args.get("subject", "")),
        "description": request.form.get("description", ""),
        "category": request.form.get("category", ""),
        "type": request.form.get("type", "incident"),
        "requester_name": request.form.get("requester_name", ""),
        "requester_email": request.form.get("requester_email", ""),
    }
    user = current_user()
    if user is not None and request.method == "GET":
        # Signed in: the request is theirs, so it shows up under "My requests".
        form["requester_name"] = user.name or ""
        form["requester_email"] = user.email
    answers = None
    problems: list[str] = []
    if request.method == "POST":
        selfservice = services().selfservice
        if request.form.get("action") == "submit":
            ticket = NewTicket(
                subject=form["subject"],
                description=form["description"],
                requester_email=form["requester_email"],
                requester_name=form["requester_name"].strip() or None,
                category=form["category"] or None,
                type=form["type"],
                language=current_language(),
            )
            problems = _request_problems(ticket, form)
            if not problems:
                stored = selfservice.create_ticket(ticket, session_id())
                return redirect(url_for("portal.request_filed", number=stored.number))
        if form["subject"].strip() or form["description"].strip():
            try:
                answers = selfservice.suggest(form["subject"], form["description"], session_id())
            except InvalidInputError as error:
                problems.append(problem_text(error))
    return render_template(
        "request.html",
        form=form,
        answers=answers,
        problems=problems,
        categories=CATEGORIES,
        types=TICKET_TYPES,
    )


@blueprint.post("/request/suggestions")
def suggestions() -> tuple[str, int]:
    """The suggestion panel alone, for the request page's script to put in place while typing."""
    subject = request.form.get("subject", "")
    description = request.form.get("description", "")
    answers = None
    problems: list[str] = []
    if subject.strip() or description.strip():
        try:
            answers = services().selfservice.suggest(subject, description, session_id())
        except InvalidInputError as error:
            problems.append(problem_text(error))
    page = render_template("_suggestions.html", answers=answers, problems_for_panel=problems)
    return page, 400 if problems else 200


@blueprint.post("/request/solved")
def solved() -> str:
    article_id = request.form.get("article_id", "")
    services().selfservice.resolved(article_id, session_id())
    document = services().selfservice.visible(article_id)
    return render_template("solved.html", document=document)


@blueprint.post("/known-issues/<number>/join")
def join_known_issue(number: str) -> str:
    """ "This is my problem too": the visit joins the announced problem; no ticket is filed."""
    issue = services().problems.join(number, session_id())
    return render_template("joined.html", issue=issue)


@blueprint.get("/requests/<number>")
def request_filed(number: str) -> str:
    ticket = services().tickets.get(number)
    # Only the visit that filed it sees the confirmation: numbers are easy to guess.
    if ticket is None or ticket.help_session != session_id():
        raise client_error(404, _("There is no request with that number in this visit."))
    return render_template("filed.html", ticket=ticket, mails=services().mails)


def _request_problems(ticket: NewTicket, form: dict[str, str]) -> list[str]:
    """kb.workflow's problems with the ticket, in the form's words where a field was left
    out or is not valid, else as the presenters word the workflow's problem (too long)."""
    problems = []
    for problem in new_ticket_problems(ticket):
        field = problem.field or ""
        left_out = field in {"requester_email", "type"} or not form.get(field, "").strip()
        if left_out and field in FORM_PROBLEMS:
            problems.append(str(FORM_PROBLEMS[field]))
        else:
            problems.append(problem_text(problem))
    return problems
