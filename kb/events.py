"""What happens in a help session, as one typed event per kind: the input of every metric. Pure.

A help session is one portal visit, named by the id in the portal's cookie. Every event has
the session, the time, and what it was about (`category`, `language`) when known; each kind
adds its own fields. Events are stored as a row of shared columns (`article_id`, `ticket_id`,
`query`) and a JSON mapping of the rest: `to_record` and `from_record` are the only code that
knows that layout, and `session_trail` the only reader of what a visit tried.

Document ids are article ids or "ticket:<number>" for resolved-ticket notes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

VIEW_SOURCES = ("search", "suggestion", "link", "known_issue")
# Fields kept in their own columns; everything else of an event goes into `data`.
COLUMNS = ("article_id", "ticket_id", "query")
_BASE_FIELDS = ("session_id", "at", "category", "language")


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event has. `at` must be timezone-aware and is kept in UTC."""

    kind: ClassVar[str] = ""
    session_id: str
    at: datetime
    # The category and language the event was about: of the article viewed or rated, of the
    # best answer found, of the ticket filed. None when nothing says.
    category: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if not self.kind:
            raise TypeError("record one of the event kinds (Search, ArticleView, ...)")
        if not self.session_id:
            raise ValueError(f"a {self.kind} event needs the session it happened in")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("event time must be timezone-aware, e.g. datetime.now(UTC)")
        # Frozen: normalise through object.__setattr__, as dataclasses document.
        object.__setattr__(self, "at", self.at.astimezone(UTC))


@dataclass(frozen=True)
class ShownSuggestion:
    """One answer offered while a request was typed: its probability and the model's inputs."""

    id: str
    deflection: float
    features: tuple[float, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SessionStarted(Event):
    """The visit's first search or request: whether it was held out of suggestions."""

    kind: ClassVar[str] = "session_started"
    holdout: bool = False


@dataclass(frozen=True, kw_only=True)
class Search(Event):
    """A search on the portal: the answers' ids (best first) and the query-level probability."""

    kind: ClassVar[str] = "search"
    query: str
    hits: tuple[str, ...] = ()
    deflection: float = 0.0
    confident: bool = False
    known_issues: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SuggestionsShown(Event):
    """Answers offered while a request was typed, and whether the portal sounded sure."""

    kind: ClassVar[str] = "suggestions_shown"
    query: str
    suggestions: tuple[ShownSuggestion, ...] = ()
    deflection: float = 0.0
    confident: bool = False
    known_issues: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.suggestions)


@dataclass(frozen=True, kw_only=True)
class ArticleView(Event):
    """A document opened, and from where: a search, a suggestion, a known issue or a link."""

    kind: ClassVar[str] = "article_view"
    article_id: str
    source: str = "link"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.source not in VIEW_SOURCES:
            raise ValueError(f"view source must be one of {', '.join(VIEW_SOURCES)}")


@dataclass(frozen=True, kw_only=True)
class Feedback(Event):
    """ "Was this helpful?": the vote and the comment that came with it."""

    kind: ClassVar[str] = "feedback"
    article_id: str
    helpful: bool
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class SelfResolved(Event):
    """ "This solved it" on a document."""

    kind: ClassVar[str] = "self_resolved"
    article_id: str


@dataclass(frozen=True, kw_only=True)
class TicketCreated(Event):
    """A ticket filed from the portal, with what was shown and viewed first.

    `failed`: the viewed documents the ticket counts against, because its text is about the
    same problem as the search or request that led to the view (DESIGN.md).
    """

    kind: ClassVar[str] = "ticket_created"
    ticket_id: str
    shown: tuple[str, ...] = ()
    viewed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TicketResolved(Event):
    kind: ClassVar[str] = "ticket_resolved"
    ticket_id: str
    by: str | None = None
    shareable: bool = False


@dataclass(frozen=True, kw_only=True)
class TicketReopened(Event):
    kind: ClassVar[str] = "ticket_reopened"
    ticket_id: str
    by: str | None = None


@dataclass(frozen=True, kw_only=True)
class ProblemJoined(Event):
    """ "This is my problem too" on a known issue: the visit joins the problem, no ticket."""

    kind: ClassVar[str] = "problem_joined"
    problem: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        SessionStarted,
        Search,
        SuggestionsShown,
        ArticleView,
        Feedback,
        SelfResolved,
        TicketCreated,
        TicketResolved,
        TicketReopened,
        ProblemJoined,
    )
}
EVENT_KINDS = tuple(EVENT_TYPES)


@dataclass(frozen=True)
class Record:
    """An event as the store keeps it: shared columns and a JSON-serialisable `data`."""

    kind: str
    session_id: str
    at: datetime
    article_id: str | None = None
    ticket_id: str | None = None
    query: str | None = None
    category: str | None = None
    language: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def to_record(event: Event) -> Record:
    """The stored form of an event."""
    columns: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if item.name in _BASE_FIELDS:
            continue
        if item.name in COLUMNS:
            columns[item.name] = value
        else:
            data[item.name] = _plain(value)
    return Record(
        kind=event.kind,
        session_id=event.session_id,
        at=event.at,
        category=event.category,
        language=event.language,
        data=data,
        **columns,
    )


def from_record(record: Record) -> Event:
    """The typed event of a stored record; ValueError for an unknown kind or malformed data.

    Keys a kind does not know are ignored and missing ones take their defaults, so events
    written by an earlier kb still read.
    """
    cls = EVENT_TYPES.get(record.kind)
    if cls is None:
        raise ValueError(f"unknown event kind {record.kind!r}; expected one of {_kinds()}")
    given: dict[str, Any] = {
        "article_id": record.article_id,
        "ticket_id": record.ticket_id,
        "query": record.query,
        **record.data,
    }
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.name in _BASE_FIELDS or item.name not in given:
            continue
        raw = given[item.name]
        if raw is None and item.name in COLUMNS:
            continue
        values[item.name] = _typed(record.kind, item.name, raw)
    try:
        return cls(
            session_id=record.session_id,
            at=record.at,
            category=record.category,
            language=record.language,
            **values,
        )
    except TypeError as error:
        raise ValueError(f"malformed {record.kind} event: {error}") from None


def _kinds() -> str:
    return ", ".join(EVENT_KINDS)


def _plain(value: Any) -> Any:
    if isinstance(value, ShownSuggestion):
        return {"id": value.id, "deflection": value.deflection, "features": list(value.features)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _typed(kind: str, name: str, raw: Any) -> Any:
    """A JSON value as the field's type: lists become tuples, suggestions dataclasses."""
    if name == "suggestions":
        if not isinstance(raw, list):
            raise ValueError(f"malformed {kind} event: `suggestions` must be a list")
        return tuple(_suggestion(kind, item) for item in raw)
    if name == "deflection":
        return _number(kind, name, raw)
    if isinstance(raw, list):
        return tuple(str(item) for item in raw)
    return raw


def _suggestion(kind: str, item: Any) -> ShownSuggestion:
    if not isinstance(item, Mapping) or "id" not in item:
        raise ValueError(f"malformed {kind} event: each suggestion needs an `id`")
    features = item.get("features") or []
    return ShownSuggestion(
        id=str(item["id"]),
        deflection=_number(kind, "deflection", item.get("deflection", 0.0)),
        features=tuple(float(value) for value in features),
    )


def _number(kind: str, name: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ValueError(f"malformed {kind} event: `{name}` must be a number")
    return float(raw)


@dataclass(frozen=True)
class TrailSearch:
    query: str
    at: datetime
    hits: int


@dataclass(frozen=True)
class TrailSuggestion:
    id: str
    deflection: float
    query: str


@dataclass(frozen=True)
class TrailView:
    id: str
    at: datetime
    source: str
    # The search or request text that led to the view: the session's latest before it.
    query: str | None


@dataclass(frozen=True)
class TrailRating:
    id: str
    helpful: bool
    comment: str | None


@dataclass(frozen=True)
class Trail:
    """What a requester tried in the portal before filing: the ticket's self-service trail."""

    searches: tuple[TrailSearch, ...] = ()
    shown: tuple[TrailSuggestion, ...] = ()
    viewed: tuple[TrailView, ...] = ()
    ratings: tuple[TrailRating, ...] = ()
    # Every search and request text, in order, once each.
    queries: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.searches or self.shown or self.viewed or self.ratings)

    def summary(self) -> dict[str, list[str]]:
        """The trail a ticket keeps: texts searched, documents shown and documents viewed."""
        return {
            "searches": list(self.queries),
            "shown": list(dict.fromkeys(item.id for item in self.shown)),
            "viewed": list(dict.fromkeys(item.id for item in self.viewed)),
        }


def session_trail(events: Iterable[Event], until: datetime | None = None) -> Trail:
    """The trail of one session's events (oldest first), up to `until` when given."""
    searches: list[TrailSearch] = []
    shown: list[TrailSuggestion] = []
    viewed: list[TrailView] = []
    ratings: list[TrailRating] = []
    queries: list[str] = []
    for event in events:
        if until is not None and event.at > until:
            break
        if isinstance(event, Search):
            searches.append(TrailSearch(event.query, event.at, len(event.hits)))
            queries.append(event.query)
        elif isinstance(event, SuggestionsShown):
            shown.extend(
                TrailSuggestion(s.id, s.deflection, event.query) for s in event.suggestions
            )
            queries.append(event.query)
        elif isinstance(event, ArticleView):
            viewed.append(
                TrailView(
                    event.article_id, event.at, event.source, queries[-1] if queries else None
                )
            )
        elif isinstance(event, Feedback):
            ratings.append(TrailRating(event.article_id, event.helpful, event.comment))
    return Trail(
        searches=tuple(searches),
        shown=tuple(shown),
        viewed=tuple(viewed),
        ratings=tuple(ratings),
        queries=tuple(dict.fromkeys(query for query in queries if query)),
    )


def suggested_ids(events: Sequence[Event]) -> set[str]:
    """Every document offered as a suggestion among `events`."""
    return {item for event in events if isinstance(event, SuggestionsShown) for item in event.ids}
