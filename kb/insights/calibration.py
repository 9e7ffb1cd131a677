"""The calibration and thresholds readout: whether the portal's deflection probabilities match
what happened, what each threshold keeps, and who set it (DESIGN.md, "Deflection"). Pure.

The labels and the arithmetic are kb.insights.calibration_fit's; this module lays them out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kb.insights.calibration_fit import (
    Fit,
    ScoreGroup,
    SessionLabel,
    curve_thresholds,
    session_fit,
    suggestion_fit,
    verdict,
)
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table
from kb.insights.wording import Text


class ThresholdChange(Protocol):
    """An admin's change of a threshold (kb.store.thresholds.ThresholdChange has it)."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def changed_by(self) -> str: ...
    @property
    def changed_at(self) -> datetime: ...


@dataclass(frozen=True)
class CalibrationInputs:
    """What one period's calibration is computed from."""

    suggestions: Sequence[ScoreGroup] = ()
    sessions: Sequence[SessionLabel] = ()


def calibration_readout(
    period: Period,
    filters: Filters,
    current: CalibrationInputs,
    previous: CalibrationInputs,
    thresholds: Mapping[str, float],
    defaults: Mapping[str, float],
    history: Sequence[ThresholdChange],
    last: Mapping[str, ThresholdChange],
    generated: datetime | None = None,
) -> Readout:
    """The calibration and thresholds page. `thresholds` are the values in force by name,
    `defaults` those of the settings, `history` the admins' latest changes, newest first,
    and `last` each threshold's change in force (however old)."""
    show = thresholds["show_threshold"]
    confident = thresholds["confident_threshold"]
    hits = suggestion_fit(current.suggestions, curve_thresholds(show))
    hits_before = suggestion_fit(previous.suggestions, curve_thresholds(show))
    visits = session_fit(current.sessions, curve_thresholds(confident))
    visits_before = session_fit(previous.sessions, curve_thresholds(confident))
    numbers = (
        Number(
            "suggestion_outcomes",
            Text("Suggestions with an outcome"),
            hits.outcomes,
            hits_before.outcomes,
        ),
        Number(
            "suggestion_auroc",
            Text("AUROC, suggestions"),
            hits.auroc,
            hits_before.auroc,
            "number",
            Text("the chance a suggestion that solved it scored above one that did not"),
        ),
        Number(
            "suggestion_error",
            Text("Calibration error, suggestions"),
            hits.calibration_error,
            hits_before.calibration_error,
            "rate",
            Text("mean gap between predicted and observed, over ten bins"),
        ),
        Number(
            "session_outcomes",
            Text("Sessions with an outcome"),
            visits.outcomes,
            visits_before.outcomes,
        ),
        Number(
            "session_auroc", Text("AUROC, sessions"), visits.auroc, visits_before.auroc, "number"
        ),
        Number(
            "session_error",
            Text("Calibration error, sessions"),
            visits.calibration_error,
            visits_before.calibration_error,
            "rate",
        ),
    )
    tables = (
        _bins_table(
            "suggestion_reliability", Text("Reliability of suggestions' probabilities"), hits
        ),
        _bins_table(
            "session_reliability", Text("Reliability of the query-level probability"), visits
        ),
        _curve_table("show_curve", Text("What show_threshold keeps (suggestions)"), hits, show),
        _curve_table(
            "confident_curve",
            Text("What confident_threshold keeps (sessions)"),
            visits,
            confident,
        ),
        _thresholds_table(thresholds, defaults, last),
        _history_table(history),
    )
    charts = (
        Chart(
            "suggestion_reliability",
            Text("Suggestions: predicted against observed"),
            "reliability",
            "suggestion_reliability",
            "predicted",
            ("observed",),
        ),
        Chart(
            "session_reliability",
            Text("Sessions: predicted against observed"),
            "reliability",
            "session_reliability",
            "predicted",
            ("observed",),
        ),
        Chart(
            "show_curve",
            Text("Precision and coverage of show_threshold"),
            "line",
            "show_curve",
            "threshold",
            ("precision", "coverage"),
            {"show_threshold": show},
        ),
        Chart(
            "confident_curve",
            Text("Precision and coverage of confident_threshold"),
            "line",
            "confident_curve",
            "threshold",
            ("precision", "coverage"),
            {"confident_threshold": confident},
        ),
    )
    notes = (
        verdict(hits, "suggestions"),
        verdict(visits, "sessions"),
        Text(
            "Behind the suggestions' figures: %(outcomes)s suggestions with an outcome "
            "(%(resolved)s solved it); %(unlabelled)s more had none and are left out.",
            outcomes=hits.outcomes,
            resolved=hits.resolved,
            unlabelled=hits.unlabelled,
        ),
        Text(
            "Behind the sessions' figures: %(outcomes)s sessions confirmed or not deflected "
            "(%(resolved)s confirmed); %(unlabelled)s more had neither a ticket nor a "
            "confirmation in their window and are left out: potential deflections and sessions "
            "without a signal (whether an answer solved anything is unknown), known issues, and "
            "windows still open.",
            outcomes=visits.outcomes,
            resolved=visits.resolved,
            unlabelled=visits.unlabelled,
        ),
        Text(
            "Suggestions under show_threshold are not shown, so nothing below today's "
            "%(show)s has outcomes unless the threshold was lower in the period.",
            show=show,
        ),
    )
    return Readout(
        report="calibration",
        title=Text("Calibration and thresholds"),
        period=period,
        filters=filters,
        numbers=numbers,
        tables=tables,
        charts=charts,
        notes=notes,
        generated=generated,
    )


BIN_COLUMNS = (
    Column("bin", Text("Predicted")),
    Column("count", Text("Outcomes"), "count"),
    Column("predicted", Text("Mean predicted"), "rate"),
    Column("observed", Text("Observed resolved"), "rate"),
)
CURVE_COLUMNS = (
    Column("threshold", Text("Threshold"), "number"),
    Column("kept", Text("Kept"), "count"),
    Column("coverage", Text("Coverage"), "rate"),
    Column("precision", Text("Precision"), "rate"),
    Column("today", Text("In force")),
)


def _bins_table(key: str, title: Text, found: Fit) -> Table:
    rows = tuple(
        {
            "bin": f"{item.low:.1f}–{item.high:.1f}",
            "count": item.count,
            "predicted": item.predicted,
            "observed": item.observed,
        }
        for item in found.bins
        if found.outcomes
    )
    return Table(
        key,
        title,
        BIN_COLUMNS,
        rows,
        empty=Text(
            'Appears once requesters act on suggestions: "this solved it", votes and tickets '
            "give each prediction an outcome to compare with."
        ),
        note=Text(
            "%(outcomes)s outcomes; a calibrated model's observed share equals its mean "
            "prediction in every bin.",
            outcomes=found.outcomes,
        ),
    )


def _curve_table(key: str, title: Text, found: Fit, today: float) -> Table:
    rows = tuple(
        {
            "threshold": point.threshold,
            "kept": point.kept,
            "coverage": point.coverage,
            "precision": point.precision,
            "today": Text("today") if math.isclose(point.threshold, today) else "",
        }
        for point in found.points
        if found.outcomes
    )
    return Table(
        key,
        title,
        CURVE_COLUMNS,
        rows,
        empty=Text("Appears once predictions have outcomes to count at each threshold."),
        note=Text(
            "Coverage: the share of outcomes at or above the threshold; precision: the share "
            "of those that resolved."
        ),
    )


def _thresholds_table(
    thresholds: Mapping[str, float],
    defaults: Mapping[str, float],
    changes: Mapping[str, ThresholdChange],
) -> Table:
    rows: list[dict[str, Any]] = []
    for name, value in thresholds.items():
        last = changes.get(name)
        rows.append(
            {
                "name": name,
                "value": value,
                "default": defaults.get(name),
                "changed_by": last.changed_by if last else None,
                "changed_at": last.changed_at if last else None,
            }
        )
    return Table(
        "thresholds",
        Text("Thresholds in force"),
        (
            Column("name", Text("Threshold")),
            Column("value", Text("Value"), "number"),
            Column("default", Text("Setting"), "number"),
            Column("changed_by", Text("Changed by")),
            Column("changed_at", Text("Changed"), "time"),
        ),
        tuple(rows),
        empty=Text("No thresholds."),
        note=Text("A threshold no admin changed keeps its setting (kb.toml or KB_*)."),
    )


def _history_table(history: Sequence[ThresholdChange]) -> Table:
    return Table(
        "threshold_history",
        Text("Changes of thresholds"),
        (
            Column("changed_at", Text("When"), "time"),
            Column("name", Text("Threshold")),
            Column("value", Text("Value"), "number"),
            Column("changed_by", Text("By")),
        ),
        tuple(
            {
                "changed_at": change.changed_at,
                "name": change.name,
                "value": change.value,
                "changed_by": change.changed_by,
            }
            for change in history
        ),
        empty=Text("No admin has changed a threshold: the settings' values are in force."),
    )
