"""The managers' readouts as JSON under /api/v1/insights, for pages' downloads and integrations."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kb.insights.readout import Filters, Period, parse_period
from kb.store.gaps import MAX_TEXT_CHARACTERS
from kb.validation import optional_text, text
from kb.web.inputs import json_body
from kb.web.security import actor, require_role
from kb.web.visits import services

blueprint = Blueprint("insights_api", __name__, url_prefix="/api/v1/insights")

ROLES = ("manager", "admin")
MAX_FILTER_CHARACTERS = 64


@blueprint.get("/<report>")
@require_role(*ROLES)
def readout(report: str) -> Response:
    """One report (kb.insights.reports.REPORTS) for the period and filters asked for."""
    period, filters = period_and_filters()
    return jsonify(services().insights.readout(report, period, filters).to_json())


@blueprint.post("/gaps/dismissed")
@require_role(*ROLES)
def dismiss_gap() -> tuple[Response, int]:
    """Leave a content gap, and those close to it in meaning, out of the gaps report."""
    body = json_body(("text",))
    gap = text(body, "text", max_length=MAX_TEXT_CHARACTERS)
    dismissal = services().insights.content_gaps.dismiss(gap, actor())
    return jsonify({"ok": True, "dismissed": dismissal.to_json()}), 201


@blueprint.post("/gaps/dismissed/<int:dismissal_id>/restore")
@require_role(*ROLES)
def restore_gap(dismissal_id: int) -> Response:
    """Report a dismissed gap again."""
    json_body(())
    services().insights.content_gaps.restore(dismissal_id)
    return jsonify({"ok": True})


def period_and_filters() -> tuple[Period, Filters]:
    """The period (since/until, or days; the last 30 days by default) and the filters
    (category, language) of the request's query string; InvalidInputError (400) otherwise."""
    period = parse_period(
        request.args.get("since"),
        request.args.get("until"),
        request.args.get("days"),
        services().insights.today(),
    )
    filters = Filters(
        category=optional_text(request.args, "category", max_length=MAX_FILTER_CHARACTERS),
        language=optional_text(request.args, "language", max_length=MAX_FILTER_CHARACTERS),
    )
    return period, filters
