"""The admin's pages: users, their roles, every API token, and the portal's thresholds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.config import describe_settings
from kb.errors import InvalidInputError
from kb.store.thresholds import THRESHOLD_NAMES
from kb.store.users import ROLES
from kb.validation import share
from kb.web.security import actor, current_user, require_role, safe_next
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


@blueprint.get("/thresholds")
@require_role("admin")
def thresholds() -> tuple[str, int]:
    return _thresholds_page()


@blueprint.post("/thresholds")
@require_role("admin")
def change_thresholds() -> tuple[str, int] | Response:
    """Save the thresholds the form changed, all or none, and go back where it was sent from
    (the calibration page has the same form)."""
    store = services().thresholds
    current = store.current()
    try:
        given = {name: share(request.form.get(name), name) for name in THRESHOLD_NAMES}
        changed = {
            name: value
            for name, value in given.items()
            if value is not None and value != getattr(current, name)
        }
        if not any(value is not None for value in given.values()):
            raise InvalidInputError(
                f"give a new value for one of {', '.join(THRESHOLD_NAMES)}", field="name"
            )
        if changed:
            store.change_all(changed, actor())
    except InvalidInputError as error:
        back = safe_next(request.form.get("next"), "") or None
        return _thresholds_page(problem=str(error), status=400, back=back)
    return redirect(safe_next(request.form.get("next"), url_for("admin.thresholds")))


def _thresholds_page(
    problem: str | None = None, status: int = 200, back: str | None = None
) -> tuple[str, int]:
    page = render_template(
        "admin_thresholds.html",
        history=services().thresholds.history(),
        problem=problem,
        **threshold_form(THRESHOLD_NAMES, back),
    )
    return page, status


def threshold_form(names: tuple[str, ...], back: str | None) -> dict[str, Any]:
    """What admin_threshold_form.html needs to change `names`, returning to `back` after
    saving (the calibration page includes the form too)."""
    store = services().thresholds
    return {
        "thresholds": store.current(),
        "defaults": store.defaults(),
        "last": store.last_changes(),
        "names": names,
        "helps": threshold_helps(),
        "back": back,
    }


def threshold_helps() -> dict[str, str]:
    """What each threshold does, in its setting's own help line."""
    return {name: text for name, _default, text in describe_settings() if name in THRESHOLD_NAMES}


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
