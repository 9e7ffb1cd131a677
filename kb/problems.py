"""Problems: the desk records and links them; announced ones are the portal's known issues.

Requesters only ever get a KnownIssue (number, public title, status, last update): never the
desk's title, its notes or the text of the incidents linked to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from kb.backends import Embedder, Vectors
from kb.errors import NotFoundError
from kb.events import ProblemJoined
from kb.store.events import EventStore
from kb.store.problems import Problem, ProblemStore

# The most known issues put before a requester's answers at once.
KNOWN_ISSUES_SHOWN = 2
NO_KNOWN_ISSUE = "there is no known issue with this number"


@dataclass(frozen=True)
class KnownIssue:
    """What a requester may see of an announced problem."""

    number: str
    title: str
    status: str
    updated: datetime

    @classmethod
    def of(cls, problem: Problem) -> KnownIssue:
        return cls(problem.number, problem.public_title, problem.status, problem.updated)


class KnownIssues:
    """Announced open problems, and the ones a requester's text is about, by meaning.

    A text matches a problem when its cosine with the problem's title, public title or any
    linked incident's subject reaches `threshold`; the vectors of each problem are kept until
    the problem changes (linking an incident changes it). `threshold` is read per text, so an
    admin's change takes effect at once.
    """

    def __init__(
        self, problems: ProblemStore, embedder: Embedder, threshold: Callable[[], float]
    ) -> None:
        self._problems = problems
        self._embedder = embedder
        self._threshold = threshold
        self._vectors: dict[str, tuple[datetime, Vectors]] = {}
        self._lock = threading.Lock()

    def announced(self) -> list[KnownIssue]:
        return [KnownIssue.of(problem) for problem in self._problems.announced()]

    def matching(self, text: str) -> tuple[KnownIssue, ...]:
        """The announced problems `text` is about, closest first (at most KNOWN_ISSUES_SHOWN)."""
        announced = self._problems.announced()
        if not announced or not text.strip():
            return ()
        query = self._embedder.embed_query(" ".join(text.split()))
        threshold = self._threshold()
        scored = []
        for problem in announced:
            closeness = float(np.max(self._problem_vectors(problem) @ query))
            if closeness >= threshold:
                scored.append((closeness, problem))
        scored.sort(key=lambda pair: (-pair[0], pair[1].number))
        return tuple(KnownIssue.of(problem) for _, problem in scored[:KNOWN_ISSUES_SHOWN])

    def get(self, number: str) -> KnownIssue:
        """An announced open problem; NotFoundError for any other (the desk's stay unseen)."""
        try:
            problem = self._problems.get(number)
        except NotFoundError:
            raise NotFoundError(NO_KNOWN_ISSUE, key="no_known_issue") from None
        if not (problem.announced and problem.open):
            raise NotFoundError(NO_KNOWN_ISSUE, key="no_known_issue")
        return KnownIssue.of(problem)

    def _problem_vectors(self, problem: Problem) -> Vectors:
        with self._lock:
            cached = self._vectors.get(problem.number)
        if cached is not None and cached[0] == problem.updated:
            return cached[1]
        texts = [problem.title, problem.public_title, *self._problems.subjects(problem.number)]
        vectors = self._embedder.embed(list(dict.fromkeys(texts)))
        with self._lock:
            self._vectors[problem.number] = (problem.updated, vectors)
        return vectors


class Problems:
    """The desk's problem management: open, link incidents, change, announce."""

    def __init__(
        self,
        problems: ProblemStore,
        events: EventStore,
        known_issues: KnownIssues,
    ) -> None:
        self.store = problems
        self._events = events
        self.known_issues = known_issues

    def open(
        self, title: str, actor: str | None, incidents: Sequence[str] = (), **fields: Any
    ) -> Problem:
        return self.store.open(title, actor, incidents=incidents, **fields)

    def get(self, number: str) -> Problem:
        return self.store.get(number)

    def find(self, statuses: Sequence[str] = ()) -> list[Problem]:
        return self.store.find(statuses)

    def update(self, number: str, **changes: Any) -> Problem:
        return self.store.update(number, **changes)

    def link(self, number: str, ticket: str, actor: str | None) -> Problem:
        return self.store.link(number, ticket, actor)

    def unlink(self, number: str, ticket: str) -> Problem:
        return self.store.unlink(number, ticket)

    def of_ticket(self, ticket: str) -> list[Problem]:
        """The problems this ticket is linked to."""
        numbers = self.store.problems_of([ticket.strip().upper()]).get(ticket.strip().upper(), [])
        return [self.store.get(number) for number in numbers]

    def joined(self, numbers: Sequence[str] | None = None) -> dict[str, int]:
        return self.store.joined(numbers)

    def join(self, number: str, session_id: str) -> KnownIssue:
        """ "This is my problem too": the visit joins an announced problem instead of filing."""
        issue = self.known_issues.get(number)
        self._events.record(
            ProblemJoined(session_id=session_id, at=datetime.now(UTC), problem=issue.number)
        )
        return issue
