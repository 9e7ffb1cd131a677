"""The calibration readout: labels, AUROC, calibration error, bins and threshold curves worked
out by hand from small sets of predictions and outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from kb.insights.calibration import CalibrationInputs, calibration_readout
from kb.insights.calibration_fit import (
    MINIMUM_EACH,
    MINIMUM_OUTCOMES,
    ScoreGroup,
    SessionLabel,
    fit,
    session_fit,
    session_label,
    suggestion_fit,
    verdict,
)
from kb.insights.outcomes import OutcomeTimes, outcome
from kb.insights.readout import Filters, Period
from kb.store.thresholds import ThresholdChange

OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
LATER = OPENED + 3 * DAY
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 8))
HOUR = timedelta(hours=1)

# Five predictions worked by hand: positives at 0.9, 0.8, 0.35, negatives at 0.7, 0.2.
PROBABILITIES = [0.9, 0.8, 0.7, 0.35, 0.2]
LABELS = [1, 1, 0, 1, 0]


@pytest.mark.parametrize(
    ("times", "now", "expected_outcome", "label"),
    [
        (OutcomeTimes(OPENED, confirmed=OPENED + HOUR), LATER, "confirmed", 1),
        # "This solved it" and then a ticket in the window: not deflected after all.
        (
            OutcomeTimes(OPENED, ticket=OPENED + 2 * HOUR, confirmed=OPENED + HOUR),
            LATER,
            "not_deflected",
            0,
        ),
        # A ticket after the window is no outcome of this session's suggestions.
        (OutcomeTimes(OPENED, ticket=OPENED + 2 * DAY), LATER, "no_signal", None),
        # A viewed suggestion and no ticket: whether it solved anything is unknown.
        (OutcomeTimes(OPENED, viewed=OPENED + HOUR), LATER, "potential", None),
        (OutcomeTimes(OPENED, joined=OPENED + HOUR), LATER, "known_issue", None),
        # Joined a known issue and then said a suggestion solved it: confirmed comes first.
        (
            OutcomeTimes(OPENED, confirmed=OPENED + 2 * HOUR, joined=OPENED + HOUR),
            LATER,
            "confirmed",
            1,
        ),
        (OutcomeTimes(OPENED, viewed=OPENED + HOUR), OPENED + 2 * HOUR, "pending", None),
    ],
)
def test_a_session_is_labelled_by_its_outcome(
    times: OutcomeTimes, now: datetime, expected_outcome: str, label: int | None
) -> None:
    assert outcome(times, DAY, now) == expected_outcome
    assert session_label(0.6, times, DAY, now) == SessionLabel(0.6, label)
    # The SQL reads no views or known issues: without them the label is the same.
    assert session_label(0.6, replace(times, viewed=None, joined=None), DAY, now).label == label


def test_auroc_calibration_error_and_bins_of_five_predictions() -> None:
    found = fit(PROBABILITIES, LABELS, thresholds=(0.3, 0.75))
    # Positive-negative pairs ranked right: 0.9 and 0.8 above both, 0.35 above 0.2 only.
    assert found.auroc == pytest.approx(5 / 6)
    # One prediction per bin: |0 − 0.2| + |1 − 0.35| + |0 − 0.7| + |1 − 0.8| + |1 − 0.9|, / 5.
    assert found.calibration_error == pytest.approx(1.85 / 5)
    assert found.predicted == pytest.approx(2.95 / 5)
    assert found.observed == pytest.approx(3 / 5)
    assert (found.outcomes, found.resolved, found.unresolved) == (5, 3, 2)
    filled = [(b.low, b.count, b.predicted, b.observed) for b in found.bins if b.count]
    assert filled == [
        (0.2, 1, 0.2, 0.0),
        (0.3, 1, 0.35, 1.0),
        (0.7, 1, 0.7, 0.0),
        (0.8, 1, 0.8, 1.0),
        (0.9, 1, 0.9, 1.0),
    ]
    assert len(found.bins) == 10
    at_show, at_high = found.points
    # At 0.3 four are kept, three of them resolved; at 0.75 two, both resolved.
    assert (at_show.kept, at_show.coverage, at_show.precision) == (4, 0.8, 0.75)
    assert (at_high.kept, at_high.coverage, at_high.precision) == (2, 0.4, 1.0)


def test_no_outcomes_and_one_kind_of_outcome_leave_auroc_undefined() -> None:
    empty = fit([], [], (0.3,))
    assert (empty.auroc, empty.calibration_error, empty.predicted, empty.observed) == (
        None,
        None,
        None,
        None,
    )
    assert empty.points[0].coverage is None
    resolved_only = fit([0.8, 0.4], [1, 1], (0.3,))
    assert resolved_only.auroc is None
    assert resolved_only.calibration_error == pytest.approx((0.2 + 0.6) / 2)


def test_grouped_suggestions_count_as_many_at_their_mean() -> None:
    groups = [
        ScoreGroup(step=900, label=1, count=2, total=1.81),
        ScoreGroup(step=700, label=0, count=1, total=0.7),
        # A tie: one resolved and one not at the same probability count half a pair.
        ScoreGroup(step=500, label=1, count=1, total=0.5),
        ScoreGroup(step=500, label=0, count=1, total=0.5),
        ScoreGroup(step=400, label=None, count=4, total=1.7),
    ]
    found = suggestion_fit(groups, (0.6,))
    assert (found.outcomes, found.resolved, found.unlabelled) == (5, 3, 4)
    # Pairs: 0.905 ×2 over 0.7 and 0.5 (4), 0.5 against 0.7 (0), 0.5 tied with 0.5 (½).
    assert found.auroc == pytest.approx(4.5 / 6)
    assert found.predicted == pytest.approx((1.81 + 0.7 + 1.0) / 5)
    assert (found.points[0].kept, found.points[0].precision) == (3, pytest.approx(2 / 3))
    assert found == fit([0.5, 0.5, 0.7, 0.905, 0.905], [0, 1, 0, 1, 1], (0.6,), unlabelled=4)


def test_sessions_without_a_label_are_counted_not_fitted() -> None:
    found = session_fit(
        [
            SessionLabel(0.8, 1),
            SessionLabel(0.3, 0),
            SessionLabel(0.9, None),
            SessionLabel(0.1, None),
        ],
        (0.6,),
    )
    assert (found.outcomes, found.resolved, found.unlabelled, found.auroc) == (2, 1, 2, 1.0)


def repeated(probability: float, resolved: int, unresolved: int) -> tuple[list[float], list[int]]:
    return [probability] * (resolved + unresolved), [1] * resolved + [0] * unresolved


@pytest.mark.parametrize(
    ("resolved", "unresolved", "enough"),
    [
        (MINIMUM_EACH, MINIMUM_OUTCOMES - MINIMUM_EACH, True),
        (MINIMUM_EACH - 1, MINIMUM_OUTCOMES, False),
        (MINIMUM_OUTCOMES, MINIMUM_EACH - 1, False),
        (MINIMUM_EACH, MINIMUM_OUTCOMES - MINIMUM_EACH - 1, False),
    ],
)
def test_a_verdict_needs_enough_outcomes_of_each_kind(
    resolved: int, unresolved: int, enough: bool
) -> None:
    probabilities, labels = repeated(0.5, resolved, unresolved)
    assert fit(probabilities, labels, ()).enough is enough


def test_too_few_outcomes_is_said_plainly_with_the_counts() -> None:
    said = str(verdict(fit(PROBABILITIES, LABELS, ()), "suggestions"))
    assert said == (
        "Too few outcomes to conclude about suggestions: AUROC and calibration error need at "
        "least 100 suggestions with an outcome, 20 that solved it and 20 that did not "
        "(5 so far: 3 that solved it, 2 that did not)."
    )


def test_a_calibrated_ranking_model_is_said_to_match() -> None:
    high, high_labels = repeated(0.9, 45, 5)
    low, low_labels = repeated(0.1, 5, 45)
    found = fit(high + low, high_labels + low_labels, ())
    # Pairs: 45 × 45 won, 45 × 5 and 5 × 45 tied (half each), 5 × 5 lost: 2,250 of 2,500.
    assert found.auroc == pytest.approx(0.9)
    assert found.calibration_error == pytest.approx(0.0)
    said = str(verdict(found, "suggestions"))
    assert said.startswith("On 100 suggestions with an outcome: AUROC 0.90 ")
    assert "miss the observed share by 0.0 points" in said
    assert said.endswith(
        "the mean prediction, 50.0%, against 50.0% that solved it, is within the 95% "
        "interval of what happened."
    )


@pytest.mark.parametrize(
    ("probability", "resolved", "unresolved", "overall"),
    [
        # 50 of 100 resolved: Wilson's interval reaches 59.6%, well under a 90% prediction.
        (0.9, 50, 50, "overconfident"),
        # 75 of 100: the interval starts at 65.7%, above a 50% prediction.
        (0.5, 75, 25, "underconfident"),
    ],
)
def test_a_prediction_outside_the_interval_of_what_happened_is_named(
    probability: float, resolved: int, unresolved: int, overall: str
) -> None:
    probabilities, labels = repeated(probability, resolved, unresolved)
    said = str(verdict(fit(probabilities, labels, ()), "sessions"))
    assert f"is {overall}: it predicts" in said


def thresholds() -> dict[str, float]:
    return {"show_threshold": 0.33, "confident_threshold": 0.6}


def test_the_readout_marks_todays_thresholds_and_names_who_set_them() -> None:
    history = [
        ThresholdChange("show_threshold", 0.33, "ada@example.com", OPENED + DAY),
        ThresholdChange("show_threshold", 0.4, "grace@example.com", OPENED),
    ]
    groups = [
        ScoreGroup(step=int(p * 1000), label=label, count=1, total=p)
        for p, label in zip(PROBABILITIES, LABELS, strict=True)
    ]
    sessions = [SessionLabel(0.7, 1), SessionLabel(0.65, None)]
    readout = calibration_readout(
        PERIOD,
        Filters(),
        CalibrationInputs(groups, sessions),
        CalibrationInputs(),
        thresholds(),
        {"show_threshold": 0.3, "confident_threshold": 0.6},
        history,
        {"show_threshold": history[0]},
    )
    assert readout.number("suggestion_auroc").value == pytest.approx(5 / 6)
    assert readout.number("suggestion_auroc").previous is None
    assert readout.number("suggestion_outcomes").value == 5
    assert readout.number("session_outcomes").value == 1
    curve = readout.table("show_curve").rows
    marked = [row for row in curve if row["today"]]
    # 0.33 is no twentieth: it is added to the curve and marked; 0.9, 0.8, 0.7, 0.35 keep.
    assert [(row["threshold"], row["kept"], row["precision"]) for row in marked] == [
        (0.33, 4, 0.75)
    ]
    assert len(curve) == 21
    confident = [row["threshold"] for row in readout.table("confident_curve").rows if row["today"]]
    assert confident == [0.6]
    rows = {row["name"]: row for row in readout.table("thresholds").rows}
    assert rows["show_threshold"]["changed_by"] == "ada@example.com"
    assert (rows["show_threshold"]["value"], rows["show_threshold"]["default"]) == (0.33, 0.3)
    assert rows["confident_threshold"]["changed_by"] is None
    assert len(readout.table("threshold_history").rows) == 2
    reliability = readout.table("suggestion_reliability").rows
    assert [row["bin"] for row in reliability if row["count"]] == [
        "0.2–0.3",
        "0.3–0.4",
        "0.7–0.8",
        "0.8–0.9",
        "0.9–1.0",
    ]
    marks = {chart.key: dict(chart.marks) for chart in readout.charts}
    assert marks["show_curve"] == {"show_threshold": 0.33}
    assert marks["confident_curve"] == {"confident_threshold": 0.6}
    assert str(readout.notes[0]).startswith("Too few outcomes to conclude about suggestions")
    assert str(readout.notes[1]).startswith("Too few outcomes to conclude about sessions")
    assert "(1 confirmed); 1 more had neither a ticket nor a confirmation" in str(readout.notes[3])


def test_a_new_desk_gets_empty_tables_that_say_what_will_appear() -> None:
    readout = calibration_readout(
        PERIOD, Filters(), CalibrationInputs(), CalibrationInputs(), thresholds(), {}, [], {}
    )
    for key in ("suggestion_reliability", "session_reliability", "show_curve"):
        table = readout.table(key)
        assert table.rows == ()
        assert table.empty
    assert readout.number("suggestion_auroc").value is None
    assert readout.table("threshold_history").rows == ()
    assert "(0 so far" in str(readout.notes[0])
