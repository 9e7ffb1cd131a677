"""The problem candidates report: recent incidents from the store, grouped by meaning.

The grouping is kb.insights.candidates (pure); here the incidents are read with one SQL query,
embedded with the engine's model (each text once per process, while it stays the same), and
each group is checked against the published articles and the problems already recorded.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.backends import Embedder, Vectors
from kb.insights.candidates import Candidate, Incident, linked_problems, problem_candidates
from kb.insights.readout import Column, Filters, Number, Period, Readout, Table
from kb.insights.wording import Text
from kb.model import Filters as SearchFilters
from kb.model import SearchQuery
from kb.search.searcher import MAX_QUERY_CHARACTERS, Searcher
from kb.store.problems import Problem, ProblemStore
from kb.store.tables import TicketRow
from kb.workflow import OPEN_STATUSES

# The most recent incidents of a period that are grouped; older ones past it are left out
# (and the report says so), which keeps one report to seconds on a cold process.
MAX_INCIDENTS = 5_000


@dataclass(frozen=True)
class CoveringArticle:
    id: str
    title: str
    audience: str
    deflection: float


@dataclass(frozen=True)
class ProblemCandidate:
    """A candidate with what the store and the index know about it."""

    candidate: Candidate
    # The published article most likely to solve its typical incident, when the engine
    # would show it (deflection at or above `show_threshold`).
    covered_by: CoveringArticle | None
    # Problem records any of its incidents is already linked to.
    problems: tuple[str, ...]


@dataclass(frozen=True)
class CandidateReport:
    start: datetime
    end: datetime
    incidents: int
    # True when the period held more than MAX_INCIDENTS incidents and the oldest were left out.
    truncated: bool
    candidates: tuple[ProblemCandidate, ...]


class ProblemCandidates:
    def __init__(
        self,
        engine: sqlalchemy.Engine,
        embedder: Embedder,
        searcher: Searcher,
        problems: ProblemStore,
        show_threshold: Callable[[], float],
    ) -> None:
        self._engine = engine
        self._embedder = embedder
        self._searcher = searcher
        self._problems = problems
        self._show_threshold = show_threshold
        self._vectors: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def report(
        self,
        start: datetime,
        end: datetime,
        *,
        category: str | None = None,
        language: str | None = None,
    ) -> CandidateReport:
        """Candidates among the incidents created in [start, end), of one category or
        language when given (a group is kept when any of its incidents is of it)."""
        incidents, truncated = self._incidents(start, end, language)
        vectors = self._embed([incident.text for incident in incidents])
        found = problem_candidates(incidents, vectors, start, end, open_statuses=OPEN_STATUSES)
        if category:
            found = [item for item in found if category in dict(item.categories)]
        linked = self._problems.problems_of([number for item in found for number in item.incidents])
        rows = tuple(
            ProblemCandidate(item, self._covering(item), linked_problems(item, linked))
            for item in found
        )
        return CandidateReport(start, end, len(incidents), truncated, rows)

    def _incidents(
        self, start: datetime, end: datetime, language: str | None
    ) -> tuple[list[Incident], bool]:
        statement = (
            select(
                TicketRow.number,
                TicketRow.subject,
                TicketRow.description,
                TicketRow.created,
                TicketRow.category,
                TicketRow.status,
            )
            .where(
                TicketRow.type == "incident",
                TicketRow.created >= start,
                TicketRow.created < end,
            )
            .order_by(TicketRow.created.desc(), TicketRow.id.desc())
            .limit(MAX_INCIDENTS + 1)
        )
        if language:
            statement = statement.where(TicketRow.language == language)
        with Session(self._engine) as session:
            rows = session.execute(statement).all()
        incidents = [
            Incident(
                number=number,
                subject=subject,
                description=description,
                created=created,
                category=category,
                status=status,
            )
            for number, subject, description, created, category, status in rows[:MAX_INCIDENTS]
        ]
        return incidents[::-1], len(rows) > MAX_INCIDENTS

    def _embed(self, texts: Sequence[str]) -> Vectors:
        keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        with self._lock:
            missing = [
                (key, text)
                for key, text in zip(keys, texts, strict=True)
                if key not in self._vectors
            ]
        if missing:
            fresh = self._embedder.embed([text for _, text in dict(missing).items()])
            with self._lock:
                for (key, _), vector in zip(dict(missing).items(), fresh, strict=True):
                    self._vectors[key] = vector
        if not keys:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        with self._lock:
            return np.stack([self._vectors[key] for key in keys]).astype(np.float32)

    def _covering(self, candidate: Candidate) -> CoveringArticle | None:
        text = " ".join(candidate.text.split())[:MAX_QUERY_CHARACTERS]
        articles = SearchFilters(kinds=("article",))
        result = self._searcher.search(SearchQuery(text, k=1, filters=articles))
        if not result.hits or result.hits[0].deflection < self._show_threshold():
            return None
        hit = result.hits[0]
        return CoveringArticle(
            hit.document.id, hit.document.title, hit.document.audience, hit.deflection
        )


# A group's trend (kb.insights.candidates.trend) and a problem's status
# (kb.store.problems.PROBLEM_STATUSES) as the report names them.
TREND_NAMES = {"rising": Text("rising"), "falling": Text("falling"), "steady": Text("steady")}
PROBLEM_STATUS_NAMES = {
    "investigating": Text("investigating"),
    "known_error": Text("known error"),
    "resolved": Text("resolved"),
    "closed": Text("closed"),
}
# The report's tables as columns (key, label, kind) and rows keyed by column, the shape every
# readout hands to pages, CSV, the API and `kb report`. Kinds: text, count, time, link.
CANDIDATE_COLUMNS = (
    ("key", Text("Group"), "text"),
    ("title", Text("Typical incident"), "text"),
    ("count", Text("Incidents"), "count"),
    ("open_incidents", Text("Still open"), "count"),
    ("trend", Text("Trend"), "text"),
    ("earlier", Text("First half of the period"), "count"),
    ("later", Text("Second half of the period"), "count"),
    ("first_seen", Text("First seen"), "time"),
    ("last_seen", Text("Last seen"), "time"),
    ("categories", Text("Categories"), "text"),
    ("examples", Text("Example tickets"), "text"),
    ("incidents", Text("All incidents"), "text"),
    ("covered_by", Text("Article that covers it"), "link"),
    ("problems", Text("Problem records"), "text"),
)
PROBLEM_COLUMNS = (
    ("number", Text("Problem"), "link"),
    ("title", Text("Title"), "text"),
    ("status", Text("Status"), "text"),
    ("owner", Text("Owner"), "text"),
    ("incidents", Text("Linked incidents"), "count"),
    ("joined", Text("Visits that joined it"), "count"),
    ("announced", Text("Announced"), "text"),
    ("updated", Text("Last update"), "time"),
)


def candidate_rows(report: CandidateReport) -> list[dict[str, Any]]:
    """One row per candidate, keyed by CANDIDATE_COLUMNS; lists stay lists."""
    rows = []
    for row in report.candidates:
        candidate = row.candidate
        rows.append(
            {
                "key": candidate.key,
                "title": candidate.title,
                "count": candidate.count,
                "open_incidents": candidate.open_incidents,
                "trend": TREND_NAMES.get(candidate.trend, candidate.trend),
                "earlier": candidate.earlier,
                "later": candidate.later,
                "first_seen": candidate.first_seen,
                "last_seen": candidate.last_seen,
                "categories": [f"{name} ({count})" for name, count in candidate.categories],
                "examples": [f"{item.number} {item.subject}" for item in candidate.examples],
                "incidents": list(candidate.incidents),
                "covered_by": row.covered_by.id if row.covered_by else None,
                "problems": list(row.problems),
            }
        )
    return rows


def problem_rows(problems: Sequence[Problem], joined: Mapping[str, int]) -> list[dict[str, Any]]:
    """One row per problem record, keyed by PROBLEM_COLUMNS."""
    return [
        {
            "number": problem.number,
            "title": problem.title,
            "status": PROBLEM_STATUS_NAMES.get(problem.status, problem.status),
            "owner": problem.owner,
            "incidents": len(problem.incidents),
            "joined": joined.get(problem.number, 0),
            "announced": Text("yes") if problem.announced else Text("no"),
            "updated": problem.updated,
        }
        for problem in problems
    ]


def problems_readout(
    period: Period,
    filters: Filters,
    current: CandidateReport,
    previous: CandidateReport,
    problems: Sequence[Problem],
    joined: Mapping[str, int],
    generated: datetime,
) -> Readout:
    """Problem candidates of the period beside the previous period's, and the problem records
    that are open or changed in the period."""
    start, end = period.start, period.end
    records = [p for p in problems if p.open or start <= p.updated < end]
    opened = sum(1 for p in problems if start <= p.created < end)
    before = period.previous()
    opened_before = sum(1 for p in problems if before.start <= p.created < before.end)
    notes = []
    if current.truncated:
        notes.append(
            Text(
                "The period held more than %(most)s incidents: only the most recent %(most)s "
                "were grouped. Choose a shorter period to see them all.",
                most=MAX_INCIDENTS,
            )
        )
    return Readout(
        report="problems",
        title=Text("Problem candidates"),
        period=period,
        filters=filters,
        numbers=(
            Number("incidents", Text("Incidents"), current.incidents, previous.incidents),
            Number(
                "candidates",
                Text("Groups of recurring incidents"),
                len(current.candidates),
                len(previous.candidates),
                note=Text("At least 3 incidents close in meaning (the engine's embeddings)."),
            ),
            Number(
                "recurring_incidents",
                Text("Incidents in a recurring group"),
                _recurring(current),
                _recurring(previous),
            ),
            Number(
                "uncovered",
                Text("Groups no article covers"),
                _uncovered(current),
                _uncovered(previous),
                note=Text("No published article the portal would show for the typical incident."),
            ),
            Number("problems_opened", Text("Problems opened"), opened, opened_before),
        ),
        tables=(
            Table(
                key="candidates",
                title=Text("Recurring incidents"),
                columns=tuple(Column(*column) for column in CANDIDATE_COLUMNS),
                rows=tuple(candidate_rows(current)),
                empty=Text(
                    "Groups of at least 3 incidents about the same thing appear here, biggest "
                    "first, once the period has that many."
                ),
            ),
            Table(
                key="problems",
                title=Text("Problem records"),
                columns=tuple(Column(*column) for column in PROBLEM_COLUMNS),
                rows=tuple(problem_rows(records, joined)),
                empty=Text(
                    "Problems opened from the desk appear here while they are open or when they "
                    "changed in the period."
                ),
            ),
        ),
        notes=tuple(notes),
        generated=generated,
    )


def _recurring(report: CandidateReport) -> int:
    return sum(row.candidate.count for row in report.candidates)


def _uncovered(report: CandidateReport) -> int:
    return sum(1 for row in report.candidates if row.covered_by is None)
