"""The admin's pages: users, their roles, and every API token."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.errors import InvalidInputError
from kb.store.users import ROLES
from kb.web.security import current_user, require_role
from kb.web.visits import services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.get("/users")
@require_role("admin")
def users() -> tuple[str, int]:
    return _page()


@blueprint.post("/users")
@require_role("admin")
def add_user() -> tuple[str, int] | Response:
    roles = tuple(request.form.getlist("roles"))
    try:
        services().users.add(
            request.form.get("email", ""),
            request.form.get("password", ""),
            roles,
            name=request.form.get("name"),
        )
    except InvalidInputError as error:
        return _page(problem=str(error), status=400)
    return redirect(url_for("admin.users"))


@blueprint.post("/users/<int:user_id>")
@require_role("admin")
def change_user(user_id: int) -> tuple[str, int] | Response:
    me = current_user()
    assert me is not None
    roles = tuple(request.form.getlist("roles"))
    active = request.form.get("active") == "on"
    if user_id == me.id and ("admin" not in roles or not active):
        return _page(
            problem="You cannot remove your own admin role or deactivate yourself.", status=400
        )
    password = request.form.get("password") or None
    try:
        services().users.update(user_id, roles=roles, active=active, password=password)
    except InvalidInputError as error:
        return _page(problem=str(error), status=400)
    return redirect(url_for("admin.users"))


@blueprint.post("/tokens/<int:token_id>/revoke")
@require_role("admin")
def revoke_token(token_id: int) -> Response:
    services().users.revoke_token(token_id)
    return redirect(url_for("admin.users"))


def _page(problem: str | None = None, status: int = 200) -> tuple[str, int]:
    store = services().users
    everyone = store.all()
    names = {user.id: user.email for user in everyone}
    page = render_template(
        "admin_users.html",
        users=everyone,
        roles=ROLES,
        tokens=store.tokens(),
        owners=names,
        problem=problem,
    )
    return page, status
