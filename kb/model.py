"""kb's own data types: articles, tickets, indexed documents, chunks, queries and hits."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

AUDIENCES = ("public", "internal")
STATUSES = ("draft", "review", "published", "archived")
ARTICLE_TYPES = ("how-to", "troubleshooting", "faq", "reference")
KINDS = ("article", "ticket")
SEARCH_MODES = ("hybrid", "keyword", "semantic")


@dataclass(frozen=True)
class Article:
    """A Markdown article and its front matter; the file is the source of truth."""

    id: str
    title: str
    body: str
    path: str
    summary: str = ""
    category: str | None = None
    tags: tuple[str, ...] = ()
    audience: str = "public"
    status: str = "published"
    owner: str | None = None
    updated: date | None = None
    review_by: date | None = None
    related: tuple[str, ...] = ()
    language: str = "en"
    type: str | None = None
    # Front-matter keys kb does not know are kept here, never dropped.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_document(self) -> Document:
        metadata: dict[str, Any] = {
            "path": self.path,
            "owner": self.owner,
            "updated": self.updated.isoformat() if self.updated else None,
            "review_by": self.review_by.isoformat() if self.review_by else None,
            "related": list(self.related),
            "type": self.type,
            "extra": dict(self.extra),
        }
        return Document(
            id=self.id,
            kind="article",
            title=self.title,
            body=self.body,
            summary=self.summary,
            language=self.language,
            category=self.category,
            tags=self.tags,
            audience=self.audience,
            status=self.status,
            metadata=metadata,
        )


def ticket_document_id(ticket_id: str) -> str:
    """The id under which a resolved ticket's note is indexed."""
    return f"ticket:{ticket_id}"


@dataclass(frozen=True)
class Ticket:
    """A resolved ticket whose note is searchable knowledge; internal unless shareable."""

    id: str
    subject: str
    description: str
    resolution: str
    category: str | None = None
    type: str = "incident"
    tags: tuple[str, ...] = ()
    priority: str | None = None
    opened: datetime | None = None
    resolved: datetime | None = None
    requester: str | None = None
    assignee: str | None = None
    shareable: bool = False
    language: str = "en"

    @property
    def document_id(self) -> str:
        return ticket_document_id(self.id)

    def to_document(self) -> Document:
        # One short section: the problem as the requester put it, then what fixed it.
        body = f"{self.description}\n\nResolution: {self.resolution}\n".lstrip()
        metadata: dict[str, Any] = {
            "ticket_id": self.id,
            "type": self.type,
            "priority": self.priority,
            "opened": self.opened.isoformat() if self.opened else None,
            "resolved": self.resolved.isoformat() if self.resolved else None,
            "resolution": self.resolution,
            # Requester and assignee are personal data; they stay in the ticket store.
        }
        return Document(
            id=self.document_id,
            kind="ticket",
            title=self.subject,
            body=body,
            summary=self.resolution,
            language=self.language,
            category=self.category,
            tags=self.tags,
            audience="public" if self.shareable else "internal",
            status="published",
            metadata=metadata,
        )


@dataclass(frozen=True)
class Document:
    """The unit kb indexes and returns: an article, a ticket note, or a corpus entry."""

    id: str
    kind: str
    title: str
    body: str
    summary: str = ""
    language: str = "en"
    category: str | None = None
    tags: tuple[str, ...] = ()
    audience: str = "public"
    status: str = "published"
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """A digest of everything indexed about the document; equal hashes mean no re-index."""
        payload = json.dumps(
            [
                self.id,
                self.kind,
                self.title,
                self.body,
                self.summary,
                self.language,
                self.category,
                list(self.tags),
                self.audience,
                self.status,
                dict(self.metadata),
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Chunk:
    """A section of a document: the unit embedded and matched."""

    id: str
    document_id: str
    position: int
    heading_path: tuple[str, ...]
    anchor: str
    text: str


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return; an empty field means no restriction."""

    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("published",)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    k: int = 10
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Snippet:
    """Text around the matching terms, as (text, highlighted) pieces."""

    pieces: tuple[tuple[str, bool], ...]

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.pieces)

    def marked(self, start: str = "**", end: str = "**") -> str:
        return "".join(f"{start}{text}{end}" if hit else text for text, hit in self.pieces)

    def html(self) -> str:
        """HTML with <mark> around matches; all text is escaped."""
        return "".join(
            f"<mark>{html.escape(text)}</mark>" if hit else html.escape(text)
            for text, hit in self.pieces
        )


@dataclass(frozen=True)
class Evidence:
    """What the two rankers said about one document for one query; deflection's input."""

    semantic: float  # cosine of the document's best chunk, or of its title when that is closer
    semantic_lead: float  # that cosine minus the best cosine of any other document
    keyword_share: float  # its keyword score over the best keyword score, in [0, 1]
    semantic_rank: int | None  # zero-based among documents; None outside the candidates
    keyword_rank: int | None
    rank: int  # zero-based position in the results
    # Cosine of the query and the document's title alone: a title names the problem an
    # answer solves. None when the index holds no title vector; the chunk's cosine stands in.
    title_semantic: float | None = None


@dataclass(frozen=True)
class SearchHit:
    """One document in the results, with its best section."""

    document: Document
    chunk: Chunk
    score: float
    deflection: float
    snippet: Snippet
    evidence: Evidence
    keyword_score: float | None = None
    semantic_score: float | None = None

    @property
    def id(self) -> str:
        return self.document.id


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    hits: tuple[SearchHit, ...]
    # Probability that at least one of the returned answers resolves the query.
    deflection: float
    took_ms: float


@dataclass(frozen=True)
class WorkDone:
    """How far a long job has got, for a progress display: `done` of `total` `unit`s (chunks
    embedded, queries run), in `documents_done` of `documents` (0 when not counted)."""

    unit: str
    done: int
    total: int
    documents_done: int = 0
    documents: int = 0
