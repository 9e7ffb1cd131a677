"""Problem candidates from vectors: grouping, period, trend, examples, keys (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from kb.insights.candidates import Candidate, Incident, linked_problems, problem_candidates, trend
from kb.insights.clustering import by_centrality, cluster_vectors

START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=30)


def unit(*values: float) -> list[float]:
    vector = np.array(values, dtype=np.float64)
    return list(vector / np.linalg.norm(vector))


def incident(number: str, day: int, category: str | None = "network") -> Incident:
    return Incident(
        number=number,
        subject=f"subject {number}",
        description="text",
        created=START + timedelta(days=day),
        category=category,
        status="new",
    )


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        (0, 0, "steady"),
        (0, 1, "steady"),
        (0, 2, "rising"),
        (2, 3, "rising"),
        (2, 2, "steady"),
        (4, 5, "steady"),
        (3, 2, "falling"),
        (1, 0, "steady"),
        (2, 0, "falling"),
    ],
)
def test_trend(earlier: int, later: int, expected: str) -> None:
    assert trend(earlier, later) == expected


def test_close_vectors_group_and_far_ones_do_not() -> None:
    vectors = np.array(
        [unit(1, 0.05, 0), unit(0, 1, 0), unit(1, 0, 0.05), unit(1, 0.02, 0.02), unit(0, 0, 1)],
        dtype=np.float32,
    )
    assert cluster_vectors(vectors) == [(0, 2, 3)]
    assert cluster_vectors(vectors, min_size=4) == []
    assert cluster_vectors(vectors[:2]) == []


def test_groups_come_biggest_first_then_by_first_row() -> None:
    a, b = unit(1, 0, 0), unit(0, 1, 0)
    vectors = np.array([b, a, b, a, a, b, a], dtype=np.float32)
    assert cluster_vectors(vectors) == [(1, 3, 4, 6), (0, 2, 5)]


@pytest.mark.parametrize("threshold", [0.0, -0.1, 2.5])
def test_threshold_must_be_a_cosine_distance(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        cluster_vectors(np.zeros((3, 2), dtype=np.float32), threshold=threshold)


def test_the_most_typical_member_comes_first() -> None:
    vectors = np.array([unit(1, 0.3, 0), unit(1, 0, 0), unit(1, -0.3, 0)], dtype=np.float32)
    assert by_centrality(vectors, [0, 1, 2])[0] == 1


def test_candidates_count_trend_categories_examples_and_key() -> None:
    near = [unit(1, 0.01 * i, 0) for i in range(5)]
    incidents = [
        incident("INC-000009", 25, "network"),
        incident("INC-000003", 2, "network"),
        incident("INC-000007", 20, "remote-support"),
        incident("INC-000008", 24, "network"),
        incident("INC-000005", -3),  # before the period: left out
        incident("INC-000010", 10),  # about something else
    ]
    vectors = np.array([near[0], near[1], near[2], near[3], near[4], unit(0, 0, 1)], np.float32)
    [candidate] = problem_candidates(incidents, vectors, START, END, open_statuses=("new",))
    assert candidate.key == "INC-000003"
    assert candidate.count == 4
    assert candidate.incidents == ("INC-000003", "INC-000007", "INC-000008", "INC-000009")
    assert candidate.first_seen == START + timedelta(days=2)
    assert candidate.last_seen == START + timedelta(days=25)
    assert (candidate.earlier, candidate.later, candidate.trend) == (1, 3, "rising")
    assert candidate.categories == (("network", 3), ("remote-support", 1))
    assert len(candidate.examples) == 3
    assert candidate.title == candidate.examples[0].subject
    assert candidate.open_incidents == 4


def test_no_incidents_in_the_period_means_no_candidates() -> None:
    vectors = np.array([unit(1, 0, 0)] * 3, dtype=np.float32)
    incidents = [incident(f"INC-00000{i}", 40) for i in range(3)]
    assert problem_candidates(incidents, vectors, START, END) == []


def test_one_vector_per_incident() -> None:
    with pytest.raises(ValueError, match="one vector per incident"):
        problem_candidates([incident("INC-000001", 1)], np.zeros((2, 3), np.float32), START, END)


def test_linked_problems_of_a_candidate() -> None:
    candidate = Candidate(
        key="INC-1",
        title="t",
        count=3,
        first_seen=START,
        last_seen=END,
        earlier=1,
        later=2,
        trend="rising",
        categories=(),
        examples=(),
        incidents=("INC-1", "INC-2", "INC-3"),
        open_incidents=0,
        text="t",
    )
    problems = {"INC-2": ["PRB-000002"], "INC-3": ["PRB-000001", "PRB-000002"], "X": ["PRB-9"]}
    assert linked_problems(candidate, problems) == ("PRB-000001", "PRB-000002")
