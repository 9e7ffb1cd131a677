"""Resolved tickets' notes into the index without waiting for it: the queue's drain.

The ticket store queues a ticket with its resolution or reopening (kb.store.index_queue).
The desk then tries to index it at once; when another writer holds the index lock (`kb
index`, an editor's save), the change is already committed and the request answers, and
the note stays queued. A thread in each portal worker drains the queue once the lock frees,
and `kb index` takes what was queued before it started; a restart loses nothing, since the
queue is a table.
"""

from __future__ import annotations

import logging

from kb.background import Repeating
from kb.errors import IndexLockedError
from kb.indexer.pipeline import Indexer, IndexReport
from kb.model import Document
from kb.store.index_queue import IndexQueue
from kb.store.tickets import TicketStore

# How often a worker's thread looks at the queue (a cheap query on a table that is nearly
# always empty): a queued note is searchable this long after the lock frees, at most.
POLL_SECONDS = 2.0


class KnowledgeQueue:
    """Indexes queued tickets as they are now: a resolved one's note in, a reopened one's out."""

    def __init__(self, tickets: TicketStore, queue: IndexQueue, indexer: Indexer) -> None:
        self.tickets = tickets
        self.queue = queue
        self.indexer = indexer
        # The database may be briefly unreachable, or the index built with other settings
        # (`kb index --rebuild` fixes it): the thread must outlive both.
        self._repeating = Repeating(
            "kb-index-queue",
            self.drain,
            lambda: POLL_SECONDS,
            "the queued ticket notes could not be indexed; trying again",
            logging.getLogger(__name__),
        )

    def drain(self, wait: float = 0.0) -> IndexReport | None:
        """Index every queued ticket, waiting at most `wait` seconds for the index lock.

        None when the index stayed locked: everything is still queued. Rows queued while
        this ran stay queued too, for the next drain.
        """
        pending = self.queue.pending()
        if pending is None:
            return IndexReport(generation=None)
        documents: list[Document] = []
        removed: list[str] = []
        for number in pending.tickets:
            ticket = self.tickets.get(number)
            if ticket is None:
                continue
            knowledge = ticket.knowledge()
            if knowledge is None:
                removed.append(ticket.document_id)
            else:
                documents.append(knowledge.to_document())
        try:
            report = self.indexer.update(documents, removed, wait=wait)
        except IndexLockedError:
            return None
        self.queue.done(pending.last_row)
        return report

    def waiting(self, number: str) -> bool:
        """Whether the ticket's latest change is not in the index yet ("indexing…")."""
        return bool(self.queue.waiting([number]))

    def start(self) -> None:
        """Drain in a background thread of this process until `stop`."""
        self._repeating.start()

    def stop(self) -> None:
        self._repeating.stop()
