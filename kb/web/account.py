"""Signing in and out, one's own account and API tokens, and a requester's own requests."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from kb.errors import InvalidInputError
from kb.store.tickets import TicketQuery
from kb.store.users import User
from kb.web.errors import client_error
from kb.web.presenters import problem_text
from kb.web.security import (
    current_user,
    require_sign_in,
    safe_next,
    sign_in,
    sign_out,
    signed_in,
)
from kb.web.visits import services

blueprint = Blueprint("account", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    wanted = request.values.get("next")
    # Without a page to return to, the form carries none and the user's roles decide.
    target = safe_next(wanted, "")
    if request.method == "GET":
        user = current_user()
        if user is not None:
            return redirect(safe_next(wanted, landing_page(user)))
        return render_template("login.html", email="", problem=None, target=target)
    email = request.form.get("email", "").strip().lower()[:320]
    password = request.form.get("password", "")
    users = services().users
    address = request.remote_addr
    if users.sign_in_blocked(email, address):
        raise client_error(
            429,
            _("Too many failed sign-ins. Wait 15 minutes, or ask an admin to reset the password."),
        )
    user = users.authenticate(email, password[:1024])
    if user is None:
        users.record_failure(email, address)
        page = render_template(
            "login.html",
            email=email,
            problem=_("That email and password do not match."),
            target=target,
        )
        return page, 401
    users.clear_failures(email)
    sign_in(user)
    return redirect(safe_next(wanted, landing_page(user)))


def landing_page(user: User) -> str:
    """Where a sign-in without a `next` leads: the work each role came for, so a manager
    opens the insights overview and an agent the queue."""
    if user.has_any(("manager",)):
        return url_for("insights.overview")
    if user.has_any(("agent",)):
        return url_for("desk.queue")
    if user.has_any(("admin",)):
        return url_for("admin.users")
    return url_for("portal.home")


@blueprint.post("/logout")
def logout() -> Response:
    sign_out()
    return redirect(url_for("portal.home"))


@blueprint.get("/account")
@require_sign_in
def account() -> str:
    return _account_page()


@blueprint.post("/account/password")
@require_sign_in
def change_password() -> str | Response:
    user = signed_in()
    users = services().users
    if users.authenticate(user.email, request.form.get("current", "")) is None:
        return _account_page(problem=_("Your current password is not right."))
    new = request.form.get("new", "")
    if new != request.form.get("repeat", ""):
        return _account_page(problem=_("The two new passwords differ."))
    try:
        updated = users.update(user.id, password=new)
    except InvalidInputError as error:
        return _account_page(problem=problem_text(error))
    sign_in(updated)
    return redirect(url_for("account.account", changed="password"))


@blueprint.post("/account/tokens")
@require_sign_in
def create_token() -> str:
    user = signed_in()
    users = services().users
    try:
        _, secret = users.create_token(user.id, request.form.get("name", ""))
    except InvalidInputError as error:
        return _account_page(problem=problem_text(error))
    return _account_page(new_token=secret)


@blueprint.post("/account/tokens/<int:token_id>/revoke")
@require_sign_in
def revoke_token(token_id: int) -> Response:
    user = signed_in()
    services().users.revoke_token(token_id, user_id=user.id)
    return redirect(url_for("account.account"))


@blueprint.get("/my/requests")
@require_sign_in
def my_requests() -> str:
    user = signed_in()
    tickets, total = services().tickets.find(
        TicketQuery(requester_email=user.email, sort="-created", limit=100)
    )
    return render_template("my_requests.html", tickets=tickets, total=total)


@blueprint.get("/my/requests/<number>")
@require_sign_in
def my_request(number: str) -> str:
    user = signed_in()
    ticket = services().tickets.get(number)
    if ticket is None or ticket.requester_email.lower() != user.email:
        raise client_error(404, _("You have no request with that number."))
    replies = [note for note in services().tickets.notes(number) if note.kind == "reply"]
    return render_template("my_request.html", ticket=ticket, replies=replies)


def _account_page(problem: str | None = None, new_token: str | None = None) -> str:
    """The account page; a new token's secret is shown this once."""
    user = signed_in()
    return render_template(
        "account.html",
        user=user,
        tokens=services().users.tokens(user.id),
        new_token=new_token,
        problem=problem,
    )
