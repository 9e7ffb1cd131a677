"""The desk's problems: recurring incidents, problem records, linking incidents, announcing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.errors import InvalidInputError
from kb.store.problems import OPEN_PROBLEM_STATUSES, PROBLEM_STATUSES
from kb.validation import integer
from kb.web.security import actor, require_role
from kb.web.visits import services

blueprint = Blueprint("problems", __name__, url_prefix="/desk/problems")

ROLES = ("agent", "manager")
# How far back the desk's list of recurring incidents looks, by default and at most.
CANDIDATE_DAYS = 30
MAX_CANDIDATE_DAYS = 365


@blueprint.get("")
@require_role(*ROLES)
def listing() -> str:
    status = request.args.get("status", "open")
    if status not in ("open", "all", *PROBLEM_STATUSES):
        raise InvalidInputError(
            f"status must be open, all or one of {', '.join(PROBLEM_STATUSES)}", field="status"
        )
    statuses = {"open": OPEN_PROBLEM_STATUSES, "all": ()}.get(status, (status,))
    problems = services().problems.find(statuses)
    days = integer(
        request.args.get("days", ""), "days", default=CANDIDATE_DAYS, low=1, high=MAX_CANDIDATE_DAYS
    )
    end = datetime.now(UTC)
    report = services().problem_candidates.report(end - timedelta(days=days), end)
    return render_template(
        "desk_problems.html",
        problems=problems,
        joined=services().problems.joined([problem.number for problem in problems]),
        status=status,
        statuses=PROBLEM_STATUSES,
        report=report,
        days=days,
    )


@blueprint.post("")
@require_role(*ROLES)
def open_problem() -> Response:
    """Open a problem: from a group of recurring incidents, or by hand with ticket numbers."""
    incidents = request.form.getlist("incident")
    incidents += request.form.get("incidents", "").replace(",", " ").split()
    problem = services().problems.open(
        request.form.get("title", ""),
        actor(),
        incidents,
        public_title=request.form.get("public_title", ""),
        owner=request.form.get("owner", "").strip() or actor(),
    )
    return redirect(url_for("problems.page", number=problem.number, done="opened"))


@blueprint.get("/<number>")
@require_role(*ROLES)
def page(number: str) -> str:
    problems = services().problems
    problem = problems.get(number)
    tickets = [services().tickets.get(item) for item in problem.incidents]
    return render_template(
        "desk_problem.html",
        problem=problem,
        tickets=[ticket for ticket in tickets if ticket is not None],
        joined=problems.joined([problem.number]).get(problem.number, 0),
        statuses=PROBLEM_STATUSES,
        open_statuses=OPEN_PROBLEM_STATUSES,
        agents=services().users.with_role("agent"),
    )


@blueprint.post("/<number>/update")
@require_role(*ROLES)
def update(number: str) -> Response:
    form = request.form
    owner = form.get("owner", "").strip()
    if owner:
        agent = services().users.find(owner)
        if agent is None or not agent.active:
            raise InvalidInputError(f"{owner} is not an active user", field="owner")
    services().problems.update(
        number,
        title=form.get("title"),
        public_title=form.get("public_title"),
        status=form.get("status") or None,
        owner=owner or None,
        unassign=not owner,
        notes=form.get("notes"),
        announced=form.get("announced") == "on",
    )
    return redirect(url_for("problems.page", number=number.upper(), done="saved"))


@blueprint.post("/<number>/link")
@require_role(*ROLES)
def link(number: str) -> Response:
    services().problems.link(number, _ticket(), actor())
    return redirect(url_for("problems.page", number=number.upper(), done="linked"))


@blueprint.post("/link")
@require_role(*ROLES)
def link_ticket() -> Response:
    """From a ticket's page: link it to the problem chosen in the form, then go back to it."""
    number = request.form.get("problem", "").strip()
    if not number:
        raise InvalidInputError("choose the problem to link the ticket to", field="problem")
    ticket = _ticket()
    services().problems.link(number, ticket, actor())
    return redirect(url_for("desk.ticket", number=ticket, done="problem"))


def _ticket() -> str:
    ticket = request.form.get("ticket", "").strip().upper()
    if not ticket:
        raise InvalidInputError("give the ticket number to link, like INC-000042", field="ticket")
    return ticket


@blueprint.post("/<number>/unlink")
@require_role(*ROLES)
def unlink(number: str) -> Response:
    services().problems.unlink(number, request.form.get("ticket", ""))
    return redirect(url_for("problems.page", number=number.upper()))
