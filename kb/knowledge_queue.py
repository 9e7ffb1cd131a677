"""Knowledge into the index without waiting for it: the queue's drain.

The ticket store queues a ticket with its resolution, reopening or import
(kb.store.index_queue), and the editor queues an article file it saved while the index was
locked. The desk then tries to index at once; when another writer holds the index lock
(`kb index`, an editor's save), the change is already committed and the request answers,
and the note stays queued. A thread in each portal worker drains the queue once the lock
frees, and `kb index` takes what was queued before it started; a restart loses nothing,
since the queue is a table.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kb.background import Repeating
from kb.errors import ArticleParseError, IndexLockedError
from kb.indexer.pipeline import Indexer, IndexReport
from kb.indexer.sources import read_article
from kb.model import Document, ticket_document_id
from kb.store.index_queue import IndexQueue
from kb.store.tickets import TicketStore

# How often a worker's thread looks at the queue (a cheap query on a table that is nearly
# always empty): a queued note is searchable this long after the lock frees, at most.
POLL_SECONDS = 2.0

log = logging.getLogger(__name__)


class KnowledgeQueue:
    """Indexes queued tickets as they are now (a resolved one's note in, a reopened one's
    out), and queued article files as they are now in `articles_dir`."""

    def __init__(
        self, tickets: TicketStore, queue: IndexQueue, indexer: Indexer, articles_dir: Path
    ) -> None:
        self.tickets = tickets
        self.queue = queue
        self.indexer = indexer
        self.articles_dir = articles_dir
        # The database may be briefly unreachable, or the index built with other settings
        # (`kb index --rebuild` fixes it): the thread must outlive both.
        self._repeating = Repeating(
            "kb-index-queue",
            self.drain,
            lambda: POLL_SECONDS,
            "the queued ticket notes could not be indexed; trying again",
            log,
        )

    def drain(self, wait: float = 0.0) -> IndexReport | None:
        """Index everything queued, waiting at most `wait` seconds for the index lock.

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
            # An imported ticket indexed before from its export (`kb index --tickets`) has a
            # copy under the other tool's id, unless that id is also one of kb's numbers:
            # the copy leaves as the ticket goes in, as the next `kb index` would leave it.
            if ticket.external_id and self.tickets.get(ticket.external_id) is None:
                removed.append(ticket_document_id(ticket.external_id))
            knowledge = ticket.knowledge()
            if knowledge is None:
                removed.append(ticket.document_id)
            else:
                documents.append(knowledge.to_document())
        for path in pending.articles:
            try:
                documents.append(read_article(self.articles_dir / path).to_document())
            except (FileNotFoundError, ArticleParseError) as error:
                # Deleted or broken since it was saved: the next `kb index` reads the folder
                # as it is then and settles the article either way.
                log.warning("queued article %s not indexed: %s", path, error)
        try:
            report = self.indexer.update(documents, removed, wait=wait)
        except IndexLockedError:
            return None
        self.queue.done(pending.last_row)
        return report

    def waiting(self, number: str) -> bool:
        """Whether the ticket's latest change is not in the index yet ("indexing…")."""
        return bool(self.queue.waiting([number]))

    def queue_article(self, path: Path) -> None:
        """Queue the saved article file at `path` (inside `articles_dir`) for the next drain."""
        self.queue.add_article(path.relative_to(self.articles_dir).as_posix())

    def article_waiting(self, path: Path) -> bool:
        """Whether the article file at `path` waits in the queue ("indexing…")."""
        relative = path.relative_to(self.articles_dir).as_posix()
        return relative in self.queue.articles_waiting()

    def start(self) -> None:
        """Drain in a background thread of this process until `stop`."""
        self._repeating.start()

    def stop(self) -> None:
        self._repeating.stop()
