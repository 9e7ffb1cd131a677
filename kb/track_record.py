"""What answers did for requesters, fed back: cached track records for ranking, the articles a
new ticket counts against (about the same problem only), and flagging articles that fail often.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from kb.backends import Embedder
from kb.events import Trail
from kb.insights.metrics import failed_documents, failing_evidence
from kb.search.searcher import MAX_QUERY_CHARACTERS
from kb.store.events import EventStore, TrackRecord
from kb.store.revisions import FlagStore

# How long a worker reuses an answer's track record before reading it again. Records move
# slowly; reading them on every keystroke cost a third of a suggestion's time. A visit's own
# feedback, "this solved it" and tickets are seen at once: they drop the cached records.
TRACK_RECORD_SECONDS = 30.0
# Who flags an article that fails often.
FLAGGED_BY = "kb (article effectiveness)"


class RecentTrackRecords:
    """Articles' track records, read from the event store at most every `seconds` each."""

    def __init__(self, events: EventStore, seconds: float = TRACK_RECORD_SECONDS) -> None:
        self._events = events
        self._seconds = seconds
        self._records: dict[str, tuple[float, TrackRecord]] = {}
        self._lock = threading.Lock()

    def get(self, ids: Sequence[str]) -> dict[str, TrackRecord]:
        now = time.monotonic()
        with self._lock:
            fresh = {
                item: entry[1]
                for item in ids
                if (entry := self._records.get(item)) is not None and now - entry[0] < self._seconds
            }
        stale = [item for item in dict.fromkeys(ids) if item not in fresh]
        if stale:
            read = self._events.track_records(stale)
            with self._lock:
                for item in stale:
                    record = read.get(item, TrackRecord())
                    self._records[item] = (now, record)
                    fresh[item] = record
        return fresh

    def forget(self, ids: Sequence[str]) -> None:
        with self._lock:
            for item in ids:
                self._records.pop(item, None)


def same_problem_failures(
    trail: Trail, ticket_text: str, embedder: Embedder, threshold: float
) -> tuple[str, ...]:
    """The documents viewed in `trail` that a ticket with `ticket_text` counts against."""
    queries = sorted({view.query for view in trail.viewed if view.query})
    if not queries:
        return ()
    ticket = embedder.embed_query(" ".join(ticket_text.split())[:MAX_QUERY_CHARACTERS])
    # Normalised vectors: the inner product is the cosine. Queries were embedded when they
    # were searched, so the query cache usually answers.
    similarity = {query: float(np.dot(embedder.embed_query(query), ticket)) for query in queries}
    return failed_documents(trail.viewed, similarity, threshold)


def flag_failing(events: EventStore, flags: FlagStore, article_ids: Sequence[str]) -> list[str]:
    """Flag for review each article whose record now says it fails often (with the evidence),
    unless it already has an open flag of that kind; returns the articles flagged."""
    articles = [item for item in dict.fromkeys(article_ids) if not item.startswith("ticket:")]
    if not articles:
        return []
    records = events.track_records(articles)
    open_flags = flags.open_flags(articles)
    flagged = []
    for article_id in articles:
        record = records.get(article_id, TrackRecord())
        evidence = failing_evidence(
            record.helpful, record.unhelpful, record.resolved, record.failed
        )
        if evidence is None or any(f.reason == "failing" for f in open_flags.get(article_id, [])):
            continue
        flags.add(article_id, "failing", evidence, FLAGGED_BY)
        flagged.append(article_id)
    return flagged
