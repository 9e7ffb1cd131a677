"""The agent's ticket desk: the queue, one ticket's story, and turning resolutions into knowledge.

Agents see everything the engine knows (internal articles and ticket notes included); what
they resolve becomes searchable at once, internal unless they mark it shareable (or as soon
as the index is free, when another writer holds it: kb.knowledge_queue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from kb.backends import Embedder
from kb.errors import InvalidInputError, NotFoundError
from kb.events import (
    Feedback,
    TicketReopened,
    TicketResolved,
    Trail,
    TrailRating,
    TrailSearch,
    TrailSuggestion,
    TrailView,
    session_trail,
)
from kb.indexer.pipeline import IndexReport
from kb.knowledge_queue import KnowledgeQueue
from kb.model import Filters, SearchHit, SearchQuery, Ticket
from kb.search.searcher import MAX_QUERY_CHARACTERS, Searcher
from kb.store.events import EventStore
from kb.store.tickets import StoredTicket, TicketQuery, TicketStore
from kb.validation import choices, integer
from kb.workflow import PRIORITIES, TICKET_STATUSES, TICKET_TYPES, check_sort

AGENT_SUGGESTIONS = 6
# Everything but archived articles: agents may link a draft they are about to publish.
AGENT_STATUSES = ("published", "review", "draft")
MAX_QUEUE_SEARCH_CHARACTERS = 200
MAX_PAGES = 10_000


def queue_query(values: Mapping[str, Sequence[str]], me: str, *, limit: int) -> TicketQuery:
    """The queue's filters from query-string values (each field's list of values).

    `assignee=me` means the agent asking; a value outside a field's choices, a sort kb does
    not know or a page that is not a whole number is an InvalidInputError naming the field.
    """

    def first(name: str, default: str) -> str:
        given = values.get(name) or [default]
        return given[0]

    assignee = first("assignee", "").strip() or None
    text = first("q", "")
    if len(text) > MAX_QUEUE_SEARCH_CHARACTERS:
        raise InvalidInputError(
            f"keep the queue search `q` under {MAX_QUEUE_SEARCH_CHARACTERS} characters", field="q"
        )
    page = integer(first("page", ""), "page", default=1, low=1, high=MAX_PAGES)
    return TicketQuery(
        statuses=choices(values.get("status", ()), "status", TICKET_STATUSES),
        types=choices(values.get("type", ()), "type", TICKET_TYPES),
        priorities=choices(values.get("priority", ()), "priority", PRIORITIES),
        categories=tuple(value for value in values.get("category", ()) if value),
        assignee=me if assignee == "me" else assignee,
        text=text,
        sort=check_sort(first("sort", "-created")),
        limit=limit,
        offset=(page - 1) * limit,
    )


@dataclass(frozen=True)
class TicketTrail:
    """A ticket's self-service trail as an agent reads it: each item once, and only the
    visit's searches about this request (the others are the requester's own business)."""

    searches: tuple[TrailSearch, ...] = ()
    shown: tuple[TrailSuggestion, ...] = ()
    viewed: tuple[TrailView, ...] = ()
    ratings: tuple[TrailRating, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.searches or self.shown or self.viewed or self.ratings)


def agent_filters(statuses: tuple[str, ...] = ("published",)) -> Filters:
    """What an agent may see: every audience, both kinds."""
    return Filters(statuses=statuses)


class Desk:
    def __init__(
        self,
        searcher: Searcher,
        tickets: TicketStore,
        events: EventStore,
        embedder: Embedder,
        same_problem_similarity: float,
        knowledge: KnowledgeQueue,
    ) -> None:
        # A search at least this close in meaning (cosine) to the ticket's text was about the
        # same problem: the setting the track record uses. On the sample KB, searches about the
        # ticket's problem scored 0.35-0.81 and the visit's other searches -0.02-0.20.
        self._same_problem = same_problem_similarity
        self._searcher = searcher
        self.tickets = tickets
        self._events = events
        self._embedder = embedder
        self._knowledge = knowledge

    def ticket(self, number: str) -> StoredTicket:
        """The ticket with this number; NotFoundError when there is none."""
        found = self.tickets.get(number)
        if found is None:
            raise NotFoundError(f"there is no ticket {number.strip().upper()}")
        return found

    def queue(self, query: TicketQuery) -> tuple[list[StoredTicket], int]:
        return self.tickets.find(query)

    def trail(self, ticket: StoredTicket) -> Trail:
        """The help session that ended in this ticket, as the agent needs to read it."""
        if not ticket.help_session:
            return Trail()
        return session_trail(self._events.session(ticket.help_session), until=ticket.created)

    def reading(self, ticket: StoredTicket) -> TicketTrail:
        """The trail for the ticket's page: the searches about this problem, each once (at
        its latest); each suggestion once (at its highest chance), each view once."""
        trail = self.trail(ticket)
        related = self._about_ticket(ticket, [item.query for item in trail.searches])
        latest: dict[str, TrailSearch] = {}
        for search in trail.searches:
            latest.pop(search.query, None)
            latest[search.query] = search
        shown: dict[str, TrailSuggestion] = {}
        for item in trail.shown:
            if item.id not in shown or item.deflection > shown[item.id].deflection:
                shown[item.id] = item
        viewed: dict[str, TrailView] = {}
        for view in trail.viewed:
            viewed.setdefault(view.id, view)
        return TicketTrail(
            searches=tuple(item for item in latest.values() if item.query in related),
            shown=tuple(shown.values()),
            viewed=tuple(viewed.values()),
            ratings=trail.ratings,
        )

    def _about_ticket(self, ticket: StoredTicket, queries: list[str]) -> set[str]:
        """The queries close enough in meaning to the ticket's subject and description."""
        if not queries:
            return set()
        text = " ".join(f"{ticket.subject}. {ticket.description}".split())
        target = self._embedder.embed_query(text[:MAX_QUERY_CHARACTERS])
        related = set()
        for query in dict.fromkeys(queries):
            vector = self._embedder.embed_query(query[:MAX_QUERY_CHARACTERS])
            if float(np.dot(target, vector)) >= self._same_problem:
                related.add(query)
        return related

    def comments(self, article_id: str) -> list[Feedback]:
        """What requesters wrote with their "Was this helpful?" votes on a document, newest
        first."""
        return self._events.comments([article_id])

    def comments_by_article(self) -> dict[str, list[Feedback]]:
        """The latest feedback comments, per document, newest first."""
        found: dict[str, list[Feedback]] = {}
        for comment in self._events.comments():
            found.setdefault(comment.article_id, []).append(comment)
        return found

    def suggestions(self, ticket: StoredTicket, k: int = AGENT_SUGGESTIONS) -> list[SearchHit]:
        """Articles and past tickets that may solve this one; internal ones included."""
        text = f"{ticket.subject}. {ticket.description}"[:MAX_QUERY_CHARACTERS]
        result = self._searcher.search(
            SearchQuery(" ".join(text.split()), k=k + 1, filters=agent_filters())
        )
        return [hit for hit in result.hits if hit.document.id != ticket.document_id][:k]

    def search(self, text: str, k: int = 10, kinds: tuple[str, ...] = ()) -> list[SearchHit]:
        """The agent's own search over everything not archived."""
        filters = Filters(kinds=kinds, statuses=AGENT_STATUSES)
        return list(self._searcher.search(SearchQuery(text, k=k, filters=filters)).hits)

    def update(self, number: str, actor: str, **changes: Any) -> StoredTicket:
        return self.tickets.update(number, actor, **changes)

    def note(self, number: str, actor: str, body: str, *, reply: bool = False) -> None:
        self.tickets.add_note(number, "reply" if reply else "internal", actor, body)

    def resolve(
        self,
        number: str,
        actor: str,
        resolution: str,
        *,
        shareable: bool = False,
        linked_article: str | None = None,
    ) -> tuple[StoredTicket, IndexReport | None]:
        """Resolve the ticket and index its note as knowledge straight away.

        The report is None when another writer holds the index: the ticket is resolved all
        the same and its note is indexed from the queue once the lock frees (`indexing`).
        """
        if linked_article:
            self._check_article(linked_article)
        ticket = self.tickets.resolve(
            number, actor, resolution, shareable=shareable, linked_article=linked_article
        )
        self._events.record(
            TicketResolved(
                session_id=_session(ticket),
                at=datetime.now(UTC),
                ticket_id=ticket.number,
                by=actor,
                shareable=shareable,
                category=ticket.category,
                language=ticket.language,
            )
        )
        return ticket, self._knowledge.drain()

    def reopen(self, number: str, actor: str, reason: str = "") -> StoredTicket:
        """Reopen the ticket; its note leaves the knowledge until it is resolved again (at
        once, or from the queue when the index is busy)."""
        ticket = self.tickets.reopen(number, actor, reason)
        self._events.record(
            TicketReopened(
                session_id=_session(ticket),
                at=datetime.now(UTC),
                ticket_id=ticket.number,
                by=actor,
                category=ticket.category,
                language=ticket.language,
            )
        )
        self._knowledge.drain()
        return ticket

    def indexing(self, number: str) -> bool:
        """Whether the ticket's last resolution or reopening still waits for the index."""
        return self._knowledge.waiting(number)

    def link_article(self, number: str, actor: str, article_id: str | None) -> StoredTicket:
        """Record the article that solved the ticket (the KCS link); None removes it."""
        if article_id:
            self._check_article(article_id)
        return self.tickets.link_article(number, actor, article_id)

    def linked_tickets(self, article_id: str) -> list[StoredTicket]:
        tickets, _ = self.tickets.find(
            TicketQuery(linked_article=article_id, sort="-updated", limit=100)
        )
        return tickets

    def import_tickets(self, tickets: list[Ticket], actor: str | None = None) -> IndexReport | None:
        """Store tickets from another tool's export and index the resolved ones at once.

        None when another writer holds the index: the tickets are stored all the same and
        the resolved ones are indexed from the queue once the lock frees. Copies of these
        tickets that `kb index --tickets` indexed under the other tool's ids leave the index
        with them (kb.knowledge_queue), so each is found once, under its kb number.
        """
        self.tickets.import_tickets(tickets, actor)
        return self._knowledge.drain()

    def _check_article(self, article_id: str) -> None:
        """NotFoundError unless `article_id` names an indexed article (the API's 404)."""
        document = self._searcher.document(article_id)
        if document is None or document.kind != "article":
            raise NotFoundError(
                f"there is no article {article_id!r} to link; give the id of an indexed article"
            )


def _session(ticket: StoredTicket) -> str:
    """The help session a desk event belongs to: the requester's, else one of the desk's own."""
    return ticket.help_session or f"desk:{ticket.number}"
