"""Problem candidates on the sample tickets, with the real model: recurring incidents come out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kb.insights.problems import CANDIDATE_COLUMNS, PROBLEM_COLUMNS, candidate_rows, problem_rows
from kb.insights.readout import Filters, Period
from kb.services import Services

pytestmark = pytest.mark.model

START = datetime(2026, 8, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)

# The sample's recurring incidents, by their ids in the export.
RECURRING = {
    "vpn certificate": [83, 84, 86, 88, 90, 91, 93, 97, 100],
    "outlook password prompts": [35, 37, 40, 41, 48, 54, 58],
    "mfa on a new phone": [43, 46, 50, 55, 103],
    "dock monitors": [68, 69, 73, 76, 79],
    "third-floor printer": [16, 27, 39, 60, 72, 98, 109],
}


def numbers(imported: dict[str, str], ids: list[int]) -> set[str]:
    by_id = {int(external.split("-")[-1]): number for external, number in imported.items()}
    return {by_id[item] for item in ids}


def test_the_samples_recurring_incidents_come_out_as_candidates(
    portal_services: Services, imported: dict[str, str]
) -> None:
    report = portal_services.problem_candidates.report(START, END)
    assert report.incidents == 76
    groups = [set(row.candidate.incidents) for row in report.candidates]
    for name, ids in RECURRING.items():
        expected = numbers(imported, ids)
        best = max(groups, key=lambda group: len(group & expected))
        recall = len(best & expected) / len(expected)
        precision = len(best & expected) / len(best)
        assert recall >= 0.8 and precision >= 0.8, (name, recall, precision)
    assert all(row.candidate.count >= 3 for row in report.candidates)
    # One-off incidents stay out of every group.
    one_offs = numbers(imported, [26, 59, 74, 101])
    assert not one_offs & set().union(*groups)


def test_a_candidate_says_when_it_started_which_way_it_goes_and_what_covers_it(
    portal_services: Services, imported: dict[str, str]
) -> None:
    report = portal_services.problem_candidates.report(START, END)
    vpn = numbers(imported, RECURRING["vpn certificate"])
    [row] = [row for row in report.candidates if vpn <= set(row.candidate.incidents)]
    candidate = row.candidate
    created = [portal_services.tickets.get(number).created for number in candidate.incidents]  # type: ignore[union-attr]
    assert candidate.first_seen == min(created)
    assert candidate.last_seen == max(created)
    assert candidate.last_seen.date().isoformat() == "2026-10-30"
    assert candidate.trend == "rising"
    assert candidate.categories[0][0] == "network"
    assert len(candidate.examples) == 3
    assert "certificate" in " ".join(example.subject for example in candidate.examples).lower()
    assert row.covered_by is not None and row.covered_by.id.startswith("vpn-")
    assert row.problems == ()


def test_a_period_filters_and_linked_problems_show(
    portal_services: Services, imported: dict[str, str]
) -> None:
    august = portal_services.problem_candidates.report(START, datetime(2026, 9, 1, tzinfo=UTC))
    assert all(
        row.candidate.last_seen < datetime(2026, 9, 1, tzinfo=UTC) for row in august.candidates
    )
    dock = sorted(numbers(imported, RECURRING["dock monitors"]))
    problem = portal_services.problems.open("Dock firmware 1.0.x flicker", "priya", dock[:2])
    report = portal_services.problem_candidates.report(START, END)
    [row] = [row for row in report.candidates if set(dock) <= set(row.candidate.incidents)]
    assert row.problems == (problem.number,)
    network = portal_services.problem_candidates.report(START, END, category="hardware")
    assert network.candidates and all(
        "hardware" in dict(row.candidate.categories) for row in network.candidates
    )


def test_the_report_as_table_rows_has_every_column_and_the_same_numbers(
    portal_services: Services, imported: dict[str, str]
) -> None:
    report = portal_services.problem_candidates.report(START, END)
    rows = candidate_rows(report)
    assert len(rows) == len(report.candidates)
    assert all(set(row) == {key for key, _, _ in CANDIDATE_COLUMNS} for row in rows)
    for row, found in zip(rows, report.candidates, strict=True):
        assert row["count"] == found.candidate.count == len(row["incidents"])
        assert row["earlier"] + row["later"] == row["count"]
    problem = portal_services.problems.open("VPN", "priya", rows[0]["incidents"][:2])
    [record] = problem_rows(portal_services.problems.find(), {problem.number: 4})
    assert set(record) == {key for key, _, _ in PROBLEM_COLUMNS}
    assert (record["number"], record["incidents"], record["joined"]) == (problem.number, 2, 4)
    assert candidate_rows(portal_services.problem_candidates.report(START, END))[0]["problems"] == [
        problem.number
    ]


def test_the_problems_readout_holds_the_candidates_and_the_open_problem_records(
    portal_services: Services, imported: dict[str, str]
) -> None:
    period = Period(date(2026, 8, 1), date(2026, 11, 30))
    report = portal_services.problem_candidates.report(START, END)
    problem = portal_services.problems.open(
        "VPN", "priya", list(report.candidates[0].candidate.incidents)
    )
    readout = portal_services.insights.problems(period, Filters())
    numbers = {number.key: (number.value, number.previous) for number in readout.numbers}
    # Nothing was filed in the four months before.
    assert numbers["incidents"] == (76, 0)
    assert numbers["candidates"] == (len(report.candidates), 0)
    assert numbers["recurring_incidents"] == (sum(r.candidate.count for r in report.candidates), 0)
    assert numbers["uncovered"][0] == sum(1 for r in report.candidates if r.covered_by is None)
    # Opened today, after the period; shown because it is open.
    assert numbers["problems_opened"] == (0, 0)
    assert list(readout.table("candidates").rows) == candidate_rows(
        portal_services.problem_candidates.report(START, END)
    )
    [record] = readout.table("problems").rows
    assert (record["number"], record["incidents"]) == (
        problem.number,
        report.candidates[0].candidate.count,
    )
