"""The managers' insights pages: one page per report, each table as CSV. Server-rendered;
the figures are the readouts' (Services.insights), which the API and `kb report` show too."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_date, lazy_gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from kb.insights.export import table_csv
from kb.insights.readout import PRESET_DAYS, Filters, Period, Readout, parse_period
from kb.insights.reports import CALIBRATED_THRESHOLDS, REPORTS
from kb.store.gaps import MAX_TEXT_CHARACTERS
from kb.store.users import User
from kb.validation import text
from kb.web.admin import threshold_form
from kb.web.insight_rows import InsightRows
from kb.web.portal import CATEGORIES
from kb.web.readout_words import in_page_language
from kb.web.readouts import Sort, cards, is_empty, table_views
from kb.web.security import actor, current_user, require_role
from kb.web.visits import services

blueprint = Blueprint("insights", __name__, url_prefix="/insights")

ROLES = ("manager", "admin")
OVERVIEW = "overview"
CALIBRATION = "calibration"
# What the period and filter controls send; every link on a page keeps them.
KEPT_ARGUMENTS = ("days", "since", "until", "category", "language")
MAX_CATEGORY_CHARACTERS = 100
MAX_LANGUAGE_CHARACTERS = 16
# The sub-navigation's names; a report not named here is shown by its key, as words.
REPORT_NAMES = {
    "overview": lazy_gettext("Overview"),
    "searches": lazy_gettext("Searches"),
    "gaps": lazy_gettext("Content gaps"),
    "articles": lazy_gettext("Articles"),
    "problems": lazy_gettext("Problem candidates"),
    "calibration": lazy_gettext("Calibration"),
    "holdout": lazy_gettext("True deflection"),
}


@blueprint.get("/")
@require_role(*ROLES)
def overview() -> str:
    return _page(OVERVIEW)


@blueprint.get("/<report>")
@require_role(*ROLES)
def report(report: str) -> str | WerkzeugResponse:
    if report == OVERVIEW:
        return redirect(url_for("insights.overview", **kept_arguments()))
    return _page(report)


@blueprint.get("/<report>.csv")
@require_role(*ROLES)
def download(report: str) -> Response:
    """One table of the report as CSV (`table=` names it; the first table by default)."""
    readout = _readout(report)
    wanted = request.args.get("table") or (readout.tables[0].key if readout.tables else "")
    table = readout.table(wanted)
    period = readout.period
    name = f"kb-{readout.report}-{table.key}-{period.since}-{period.until}.csv"
    return Response(
        table_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blueprint.post("/gaps/dismiss")
@require_role(*ROLES)
def dismiss_gap() -> WerkzeugResponse:
    """Leave a content gap, and those close to it in meaning, out of the gaps report."""
    gap = text(request.form, "text", max_length=MAX_TEXT_CHARACTERS)
    services().insights.content_gaps.dismiss(gap, actor())
    return _back_to_gaps("dismissed")


@blueprint.post("/gaps/dismissed/<int:dismissal_id>/restore")
@require_role(*ROLES)
def restore_gap(dismissal_id: int) -> WerkzeugResponse:
    """Report a dismissed gap again."""
    services().insights.content_gaps.restore(dismissal_id)
    return _back_to_gaps("gaps")


def _back_to_gaps(table: str) -> WerkzeugResponse:
    """The gaps page again, with the period and filters the form was posted from."""
    return redirect(
        url_for("insights.report", report="gaps", **kept_arguments()) + f"#table-{table}"
    )


def kept_arguments(**changes: Any) -> dict[str, Any]:
    """The request's period and filters (those given), with `changes` over them."""
    kept: dict[str, Any] = {
        name: request.args[name] for name in KEPT_ARGUMENTS if request.args.get(name)
    }
    kept.update(changes)
    return {name: value for name, value in kept.items() if value not in (None, "")}


def report_name(report: str) -> str:
    named = REPORT_NAMES.get(report)
    return str(named) if named is not None else report.replace("_", " ").capitalize()


def _readout(report: str) -> Readout:
    """The report's readout for the period and filters asked for, in the page's language (its
    CSV too, headers and worded cells: what the manager saw); NotFoundError if unknown."""
    insights = services().insights
    arguments = request.args
    period = parse_period(
        arguments.get("since"), arguments.get("until"), arguments.get("days"), insights.today()
    )
    return in_page_language(insights.readout(report, period, _filters()))


def _filters() -> Filters:
    arguments = request.args
    category = text(arguments, "category", required=False, max_length=MAX_CATEGORY_CHARACTERS)
    language = text(arguments, "language", required=False, max_length=MAX_LANGUAGE_CHARACTERS)
    return Filters(category=category.strip() or None, language=language.strip() or None)


def _page(report: str) -> str:
    readout = _readout(report)
    sort = Sort.parse(request.args.get("sort"))

    def sort_link(table: str, column: str, descending: bool) -> str:
        order = Sort(table, column, descending)
        return url_for(
            _endpoint(report), **_report_value(report), **kept_arguments(sort=str(order))
        )

    def csv_link(table: str) -> str:
        return url_for("insights.download", report=report, **kept_arguments(table=table))

    user = current_user()
    assert user is not None  # require_role let only a signed-in manager or admin in
    period, filters = readout.period, readout.filters
    categories = list(CATEGORIES)
    if filters.category and filters.category not in categories:
        categories.append(filters.category)
    languages = list(services().settings.languages)
    if filters.language and filters.language not in languages:
        languages.append(filters.language)
    custom = bool(request.args.get("since") or request.args.get("until"))
    return render_template(
        "insights.html",
        readout=readout,
        report=report,
        report_title=report_name(report),
        reports=[
            (
                name,
                report_name(name),
                url_for(_endpoint(name), **_report_value(name), **kept_arguments()),
            )
            for name in REPORTS
        ],
        cards=cards(readout),
        views=table_views(readout, sort, sort_link, InsightRows(report, user, kept_arguments())),
        empty=is_empty(readout),
        csv_link=csv_link,
        period_text=_period_text(period),
        previous_text=_period_text(period.previous()),
        presets=[
            (days, url_for(_endpoint(report), **_report_value(report), **_preset(days)))
            for days in PRESET_DAYS
        ],
        current_days=None if custom else period.days,
        custom=custom,
        categories=categories,
        languages=languages,
        threshold_form=_threshold_form(report, user),
    )


def _threshold_form(report: str, user: User) -> dict[str, Any] | None:
    """On the calibration page, an admin's form to change the thresholds it judges, which
    returns here; managers see the thresholds in the readout's table and cannot change them."""
    if report != CALIBRATION or not user.has_any(("admin",)):
        return None
    back = url_for("insights.report", report=report, **kept_arguments()) + "#table-thresholds"
    return threshold_form(CALIBRATED_THRESHOLDS, back)


def _preset(days: int) -> dict[str, Any]:
    kept = kept_arguments(days=days)
    kept.pop("since", None)
    kept.pop("until", None)
    return kept


def _endpoint(report: str) -> str:
    return "insights.overview" if report == OVERVIEW else "insights.report"


def _report_value(report: str) -> dict[str, Any]:
    return {} if report == OVERVIEW else {"report": report}


def _period_text(period: Period) -> str:
    return f"{format_date(period.since, 'medium')} – {format_date(period.until, 'medium')}"
