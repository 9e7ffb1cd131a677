"""Problem candidates: recurring incidents grouped by meaning, with what a manager weighs. Pure.

DESIGN.md: a problem candidate is a group of incidents in a time window whose texts are close
in meaning (clustered on the engine's embeddings with a distance threshold), at least three.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from kb.insights.clustering import (
    DISTANCE_THRESHOLD,
    MIN_CLUSTER_SIZE,
    by_centrality,
    cluster_vectors,
)

EXAMPLES = 3
# A group is rising when its second half of the period holds this many times its first half.
TREND_FACTOR = 1.5


@dataclass(frozen=True)
class Incident:
    """One incident ticket as the clustering reads it."""

    number: str
    subject: str
    description: str
    created: datetime
    category: str | None = None
    status: str = "new"

    @property
    def text(self) -> str:
        """What is embedded: the subject, then the description."""
        return f"{self.subject}. {self.description}".strip(" .")


@dataclass(frozen=True)
class Example:
    number: str
    subject: str


@dataclass(frozen=True)
class Candidate:
    """A group of incidents that may share one cause.

    `key` is the number of its earliest incident, so the same group keeps its key as it grows.
    `title` is the subject of its most typical incident; `examples` its most typical ones.
    `earlier` and `later` count the incidents in each half of the period, and `trend` says
    which way they move: "rising", "falling" or "steady".
    """

    key: str
    title: str
    count: int
    first_seen: datetime
    last_seen: datetime
    earlier: int
    later: int
    trend: str
    categories: tuple[tuple[str, int], ...]
    examples: tuple[Example, ...]
    incidents: tuple[str, ...]
    open_incidents: int
    # The typical incident's text: what a search for a covering article is asked.
    text: str


def trend(earlier: int, later: int) -> str:
    """Which way a count moves from the first half of a period to the second."""
    if later >= max(1, earlier) * TREND_FACTOR and later > earlier:
        return "rising"
    if earlier >= max(1, later) * TREND_FACTOR and earlier > later:
        return "falling"
    return "steady"


def problem_candidates(
    incidents: Sequence[Incident],
    vectors: NDArray[np.float32],
    start: datetime,
    end: datetime,
    *,
    threshold: float = DISTANCE_THRESHOLD,
    min_size: int = MIN_CLUSTER_SIZE,
    open_statuses: Sequence[str] = (),
) -> list[Candidate]:
    """The candidates among `incidents` (one unit vector each) created in [start, end).

    Incidents outside the period are left out before clustering. Biggest group first, then
    the most recent; `open_statuses` are the ticket statuses counted as still open.
    """
    if len(incidents) != len(vectors):
        raise ValueError("give one vector per incident")
    if end <= start:
        raise ValueError("the period must end after it starts")
    inside = [row for row, incident in enumerate(incidents) if start <= incident.created < end]
    if not inside:
        return []
    chosen = [incidents[row] for row in inside]
    matrix = np.asarray(vectors[inside])
    middle = start + (end - start) / 2
    found = []
    for rows in cluster_vectors(matrix, threshold, min_size):
        members = [chosen[row] for row in rows]
        typical = [chosen[row] for row in by_centrality(matrix, rows)]
        earliest = min(members, key=lambda item: (item.created, item.number))
        earlier = sum(1 for item in members if item.created < middle)
        later = len(members) - earlier
        categories = Counter(item.category for item in members if item.category)
        found.append(
            Candidate(
                key=earliest.number,
                title=typical[0].subject,
                count=len(members),
                first_seen=earliest.created,
                last_seen=max(item.created for item in members),
                earlier=earlier,
                later=later,
                trend=trend(earlier, later),
                categories=tuple(sorted(categories.items(), key=lambda pair: (-pair[1], pair[0]))),
                examples=tuple(Example(item.number, item.subject) for item in typical[:EXAMPLES]),
                incidents=tuple(
                    item.number for item in sorted(members, key=lambda i: (i.created, i.number))
                ),
                open_incidents=sum(1 for item in members if item.status in open_statuses),
                text=typical[0].text,
            )
        )
    return sorted(found, key=lambda item: (-item.count, -item.last_seen.timestamp(), item.key))


def linked_problems(
    candidate: Candidate, problems_of: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """The problem records any of the candidate's incidents is linked to, in number order."""
    return tuple(
        sorted({number for item in candidate.incidents for number in problems_of.get(item, ())})
    )
