"""Self-service for requesters: search, suggestions while they type a request, and outcomes.

Every answer a requester sees passes through here, so this is where the audience rule lives
(public and published only) and where each visit's events are recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from kb.backends import Embedder
from kb.config import Settings
from kb.errors import InvalidInputError, NotFoundError, QueryError
from kb.events import (
    ArticleView,
    Feedback,
    Search,
    SelfResolved,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
    session_trail,
)
from kb.holdout import Holdout
from kb.model import Document, Filters, SearchHit, SearchQuery
from kb.problems import KnownIssue, KnownIssues
from kb.search.deflection import features, in_rank_order, with_track_record
from kb.search.searcher import MAX_QUERY_CHARACTERS, Searcher
from kb.store.events import EventStore, TrackRecord
from kb.store.revisions import FlagStore
from kb.store.thresholds import ThresholdStore
from kb.store.tickets import StoredTicket, TicketStore
from kb.track_record import RecentTrackRecords, flag_failing, same_problem_failures
from kb.workflow import NewTicket, check_new_ticket, check_request_text

MAX_COMMENT_CHARACTERS = 2_000
# The same words for a missing article and one the requester may not open, so an answer
# never tells that an internal or draft article exists.
NO_PUBLIC_ARTICLE = "there is no public article with this id"
SUGGESTIONS = 5
RELATED = 5
# How sure the portal is of one answer, by its probability; the web layer words each band.
CONFIDENCE_BANDS = ((0.8, "high"), (0.5, "medium"), (0.0, "low"))


def confidence_band(probability: float) -> str:
    """`high`, `medium` or `low`: how sure the portal may sound about one answer."""
    return next(band for floor, band in CONFIDENCE_BANDS if probability >= floor)


@dataclass(frozen=True)
class Suggestion:
    """An answer as a requester may see it: data only, worded by the web layer."""

    hit: SearchHit
    deflection: float

    @property
    def document(self) -> Document:
        return self.hit.document

    @property
    def confidence(self) -> str:
        return confidence_band(self.deflection)

    @property
    def snippet_text(self) -> str:
        if self.document.kind == "ticket":
            # Only the resolution of a shared ticket is shown, never the requester's words.
            return str(self.document.metadata.get("resolution", ""))
        return self.hit.snippet.plain


@dataclass(frozen=True)
class Answers:
    query: str
    suggestions: tuple[Suggestion, ...]
    deflection: float  # chance that at least one shown answer resolves the request
    confident: bool
    took_ms: float
    # Announced problems the text is about: shown before every other answer.
    known_issues: tuple[KnownIssue, ...] = ()


def requester_filters(
    categories: Sequence[str] = (), tags: Sequence[str] = (), languages: Sequence[str] = ()
) -> Filters:
    return Filters(
        categories=tuple(categories),
        tags=tuple(tags),
        languages=tuple(languages),
        audiences=("public",),
        statuses=("published",),
    )


class SelfService:
    """The requester-facing core behind the portal pages and the JSON API."""

    def __init__(
        self,
        settings: Settings,
        searcher: Searcher,
        embedder: Embedder,
        tickets: TicketStore,
        events: EventStore,
        flags: FlagStore,
        known_issues: KnownIssues | None = None,
        *,
        thresholds: ThresholdStore,
        holdout: Holdout,
    ) -> None:
        self._settings = settings
        self._searcher = searcher
        self._embedder = embedder
        self.tickets = tickets
        self.events = events
        self._flags = flags
        self._known_issues = known_issues
        self._thresholds = thresholds
        self._holdout = holdout
        self._track_records = RecentTrackRecords(events)

    def search(
        self, text: str, session_id: str, *, k: int = 10, filters: Filters | None = None
    ) -> Answers:
        filters = filters or requester_filters()
        known: tuple[KnownIssue, ...] = ()
        if self._holdout.start(session_id):
            answers = _held_out(text)
        else:
            answers = self._answer(text, k, filters, shown_only=False)
            known = self._known(answers.query)
        category, language = _about(answers.suggestions, filters.languages)
        self.events.record(
            Search(
                session_id=session_id,
                at=_now(),
                query=answers.query,
                hits=tuple(s.document.id for s in answers.suggestions),
                deflection=answers.deflection,
                confident=answers.confident,
                known_issues=tuple(issue.number for issue in known),
                category=category,
                language=language,
            )
        )
        return replace(answers, known_issues=known)

    def suggest(self, subject: str, description: str, session_id: str) -> Answers:
        """Answers for a request being typed; only those above the show threshold."""
        subject, description = check_request_text(subject, description)
        text = ". ".join(part for part in (subject, description) if part)[:MAX_QUERY_CHARACTERS]
        if not text:
            raise QueryError(
                "type a subject or a description to get suggestions", key="request_empty"
            )
        if self._holdout.start(session_id):
            return _held_out(text)
        answers = self._answer(text, SUGGESTIONS, requester_filters(), shown_only=True)
        known = self._known(text)
        if answers.suggestions or known:
            category, language = _about(answers.suggestions)
            self.events.record(
                SuggestionsShown(
                    session_id=session_id,
                    at=_now(),
                    query=text,
                    suggestions=tuple(
                        ShownSuggestion(
                            id=s.document.id,
                            deflection=s.deflection,
                            features=tuple(features(s.hit.evidence)),
                        )
                        for s in answers.suggestions
                    ),
                    deflection=answers.deflection,
                    confident=answers.confident,
                    known_issues=tuple(issue.number for issue in known),
                    category=category,
                    language=language,
                )
            )
        return replace(answers, known_issues=known)

    def known_issues(self) -> list[KnownIssue]:
        """Every announced open problem, for the portal's home."""
        return self._known_issues.announced() if self._known_issues is not None else []

    def _known(self, text: str) -> tuple[KnownIssue, ...]:
        return self._known_issues.matching(text) if self._known_issues is not None else ()

    def article(self, article_id: str, session_id: str, source: str = "link") -> Document | None:
        """A public, published document for a requester (and the view recorded), or None."""
        document = self.visible(article_id)
        if document is not None:
            self.events.record(
                ArticleView(
                    session_id=session_id,
                    at=_now(),
                    article_id=document.id,
                    source=source if source in {"search", "suggestion"} else "link",
                    category=document.category,
                    language=document.language,
                )
            )
        return document

    def visible(self, article_id: str) -> Document | None:
        document = self._searcher.document(article_id)
        if document is None or document.audience != "public" or document.status != "published":
            return None
        return document

    def listed_related(self, document: Document) -> list[Document]:
        """The articles the author listed as `related` that a requester may open."""
        listed = [self.visible(str(item)) for item in document.metadata.get("related", [])]
        return [item for item in listed if item is not None and item.kind == "article"]

    def related(self, document: Document) -> list[Document]:
        """Front-matter `related` first, then the nearest public articles by meaning."""
        found = self.listed_related(document)
        seen = {document.id, *(item.id for item in found)}
        query = f"{document.title}. {document.summary}".strip()[:MAX_QUERY_CHARACTERS]
        filters = Filters(kinds=("article",), audiences=("public",), statuses=("published",))
        result = self._searcher.search(
            SearchQuery(query, k=RELATED + len(seen), mode="semantic", filters=filters)
        )
        for hit in result.hits:
            if hit.document.id not in seen:
                found.append(hit.document)
                seen.add(hit.document.id)
        return found[:RELATED]

    def linked_from(self, document: Document) -> list[Document]:
        """Public, published articles that list this one as related: the other way round."""
        return [
            item
            for item in self._searcher.linking_to(document.id)
            if item.audience == "public" and item.status == "published"
        ]

    def feedback(
        self, article_id: str, helpful: bool, comment: str | None, session_id: str
    ) -> None:
        document = self.visible(article_id)
        if document is None:
            raise NotFoundError(NO_PUBLIC_ARTICLE, key="no_public_article")
        if comment is not None and len(comment) > MAX_COMMENT_CHARACTERS:
            raise InvalidInputError(
                f"keep the comment under {MAX_COMMENT_CHARACTERS} characters",
                field="comment",
                key="comment_too_long",
                limit=MAX_COMMENT_CHARACTERS,
            )
        self.events.record(
            Feedback(
                session_id=session_id,
                at=_now(),
                article_id=article_id,
                helpful=helpful,
                comment=(comment or "").strip() or None,
                category=document.category,
                language=document.language,
            )
        )
        self._track_records.forget([article_id])

    def resolved(self, article_id: str, session_id: str) -> None:
        """ "This solved my problem": a confirmed deflection."""
        document = self.visible(article_id)
        if document is None:
            raise NotFoundError(NO_PUBLIC_ARTICLE, key="no_public_article")
        self.events.record(
            SelfResolved(
                session_id=session_id,
                at=_now(),
                article_id=article_id,
                category=document.category,
                language=document.language,
            )
        )
        self._track_records.forget([article_id])

    def continue_visit(self, old: str, new: str) -> None:
        """The visit `old` goes on as `new` (a new id at sign-in): its events and tickets move."""
        self.events.move_session(old, new)
        self.tickets.move_help_session(old, new)

    def create_ticket(self, ticket: NewTicket, session_id: str) -> StoredTicket:
        """File the request with what the requester already tried attached."""
        check_new_ticket(ticket)
        self._holdout.start(session_id)
        visit = session_trail(self.events.session(session_id))
        trail = visit.summary()
        failed = same_problem_failures(
            visit,
            f"{ticket.subject}. {ticket.description}",
            self._embedder,
            self._settings.same_problem_similarity,
        )
        stored = self.tickets.create(
            NewTicket(
                subject=ticket.subject.strip(),
                description=ticket.description.strip(),
                requester_email=ticket.requester_email.strip(),
                requester_name=(ticket.requester_name or "").strip() or None,
                category=ticket.category or None,
                type=ticket.type,
                help_session=session_id,
                trail=trail,
                language=ticket.language,
            )
        )
        self.events.record(
            TicketCreated(
                session_id=session_id,
                at=_now(),
                ticket_id=stored.number,
                shown=tuple(trail["shown"]),
                viewed=tuple(trail["viewed"]),
                failed=failed,
                category=stored.category,
                language=stored.language,
            )
        )
        self._track_records.forget(trail["viewed"])
        flag_failing(self.events, self._flags, failed)
        return stored

    def _answer(self, text: str, k: int, filters: Filters, *, shown_only: bool) -> Answers:
        """The answers with their probabilities; `shown_only` keeps those above show_threshold."""
        thresholds = self._thresholds.current()
        threshold = thresholds.show_threshold if shown_only else 0.0
        result = self._searcher.search(SearchQuery(text, k=k, filters=filters))
        records = self._track_records.get([hit.document.id for hit in result.hits])
        blended = []
        for hit in result.hits:
            record = records.get(hit.document.id, TrackRecord())
            blended.append(
                with_track_record(
                    hit.deflection,
                    successes=record.helpful + record.resolved,
                    failures=record.unhelpful + record.failed,
                    strength=self._settings.track_record_strength,
                )
            )
        # Track records move answers' estimates apart from the ranking: put them back in order.
        shown = tuple(
            Suggestion(hit=hit, deflection=probability)
            for hit, probability in zip(result.hits, in_rank_order(blended), strict=True)
            if probability >= threshold
        )
        confident = bool(shown) and result.deflection >= thresholds.confident_threshold
        return Answers(
            query=" ".join(text.split()),
            suggestions=shown,
            deflection=result.deflection if shown else 0.0,
            confident=confident,
            took_ms=result.took_ms,
        )


def _held_out(text: str) -> Answers:
    """What a session held out of suggestions gets: no answer and no known issue."""
    return Answers(
        query=" ".join(text.split()), suggestions=(), deflection=0.0, confident=False, took_ms=0.0
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _about(
    suggestions: Sequence[Suggestion], languages: Sequence[str] = ()
) -> tuple[str | None, str | None]:
    """What a search or request was about: its best answer's category, and its language (the
    one the requester chose, else the best answer's; kb does not guess a query's language)."""
    top = suggestions[0].document if suggestions else None
    language = languages[0] if len(languages) == 1 else (top.language if top else None)
    return (top.category if top else None), language
