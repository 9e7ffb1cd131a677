"""The article editor: agents write article files, with history, workflow, flags and links.

The files stay the source of truth. A save writes `articles/<id>.md` atomically, keeps the text
as a revision and re-indexes that one article, under a lock so that two saves never interleave;
a save whose editor was opened on an older text is refused (ConflictError), so nothing is lost.
When another writer holds the index, the save answers at once and the file waits in the index
queue (kb.knowledge_queue), searchable once the lock frees.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from kb.authoring.files import no_article, one_save_at_a_time, read_text, write_atomically
from kb.authoring.forms import (
    DUPLICATE_COSINE,
    DUPLICATE_WORDS,
    NEW_STATUSES,
    TRANSITIONS,
    ArticleForm,
    FormError,
    ReviewItem,
    allowed_statuses,
    comments_since_update,
    compose,
    form_for,
    review_reasons,
    slug_for,
)
from kb.config import Settings
from kb.desk import Desk
from kb.errors import (
    ArticleParseError,
    ConflictError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    NotFoundError,
)
from kb.indexer.parse import parse_article
from kb.indexer.pipeline import Indexer
from kb.indexer.sources import read_article
from kb.knowledge_queue import KnowledgeQueue
from kb.model import STATUSES, Article, Document, Filters, SearchQuery
from kb.search.searcher import MAX_QUERY_CHARACTERS, Searcher
from kb.store.revisions import Flag, FlagStore, Revision, RevisionStore, text_digest
from kb.store.tickets import StoredTicket


def conflict(
    article_id: str, path: str, current_text: str, latest: Revision | None
) -> ConflictError:
    """The article's file is no longer the text the editor opened: say who changed it."""
    try:
        current: Article | None = parse_article(current_text, path)
    except ArticleParseError:
        current = None
    digest = text_digest(current_text)
    # Who wrote the text on disk: the latest revision when it matches, else someone outside kb.
    by_kb = latest is not None and latest.digest == digest
    changed_by = latest.author if by_kb and latest is not None else None
    who = changed_by or "someone"
    return ConflictError(
        f"{who} changed {article_id!r} since you opened it; your text was not saved: "
        "reload the article to see the latest version, then try again",
        article_id=article_id,
        current_text=current_text,
        current_digest=digest,
        current=current,
        changed_by=changed_by,
        changed_at=latest.at if by_kb and latest is not None else None,
    )


@dataclass(frozen=True)
class Opened:
    """An article as the editor opens it: the parsed file, its text and that text's digest."""

    article: Article
    text: str

    @property
    def digest(self) -> str:
        return text_digest(self.text)


@dataclass(frozen=True)
class Saved:
    article: Article
    revision: Revision | None  # None when the text was already the same
    index_problem: str | None = None
    # The index was locked by another writer: the file waits in the index queue.
    queued: bool = False


@dataclass
class Listing:
    articles: dict[str, Article] = field(default_factory=dict)
    errors: list[ArticleParseError] = field(default_factory=list)


class Authoring:
    """The agent's article editor behind the knowledge pages."""

    def __init__(
        self,
        settings: Settings,
        indexer: Indexer,
        searcher: Searcher,
        revisions: RevisionStore,
        flags: FlagStore,
        desk: Desk,
        knowledge: KnowledgeQueue,
    ) -> None:
        self._settings = settings
        self._knowledge = knowledge
        self._indexer = indexer
        self._searcher = searcher
        self.revisions = revisions
        self.flags = flags
        self._desk = desk
        self._cache: dict[Path, tuple[tuple[int, int], Article | ArticleParseError]] = {}
        self._cache_lock = threading.Lock()

    # Reading

    def listing(self) -> Listing:
        """Every article file, parsed (re-read only when its size or time changed)."""
        directory = self._settings.articles_dir
        listing = Listing()
        if not directory.is_dir():
            return listing
        with self._cache_lock:
            seen: set[Path] = set()
            for path in sorted(directory.rglob("*.md")):
                if any(part.startswith(".") for part in path.relative_to(directory).parts):
                    continue
                seen.add(path)
                status = path.stat()
                stamp = (status.st_mtime_ns, status.st_size)
                cached = self._cache.get(path)
                if cached is None or cached[0] != stamp:
                    try:
                        parsed: Article | ArticleParseError = read_article(path)
                    except ArticleParseError as error:
                        parsed = error
                    cached = (stamp, parsed)
                    self._cache[path] = cached
                if isinstance(cached[1], ArticleParseError):
                    listing.errors.append(cached[1])
                elif cached[1].id not in listing.articles:
                    listing.articles[cached[1].id] = cached[1]
            for gone in set(self._cache) - seen:
                del self._cache[gone]
        return listing

    def open(self, article_id: str) -> Opened:
        """The article's file as it is now; NotFoundError when no file has this id."""
        article = self.listing().articles.get(article_id)
        if article is None:
            raise NotFoundError(no_article(article_id))
        text = read_text(Path(article.path), article_id)
        return Opened(parse_article(text, article.path), text)

    def history(self, article_id: str) -> list[Revision]:
        return self.revisions.history(article_id)

    def needs_review(self, today: date) -> list[ReviewItem]:
        """Articles in review, past their review date, or flagged; the most reasons first."""
        articles = self.listing().articles
        flags = self.flags.open_flags(articles)
        said = self._desk.comments_by_article()
        items = []
        for article in articles.values():
            own = flags.get(article.id, [])
            comments = comments_since_update(article, said.get(article.id, []))
            reasons = review_reasons(article, own, today, comments)
            if reasons:
                items.append(ReviewItem(article, reasons, tuple(own), comments))
        return sorted(items, key=lambda item: (-len(item.reasons), item.article.title.lower()))

    def linked_from(self, article_id: str) -> list[Article]:
        """Articles whose `related` list names this one."""
        return [
            article
            for article in self.listing().articles.values()
            if article_id in article.related and article.id != article_id
        ]

    def linked_tickets(self, article_id: str) -> list[StoredTicket]:
        return self._desk.linked_tickets(article_id)

    def lookup(self, text: str, limit: int = 10) -> list[Article]:
        """Articles (not archived) whose title or id holds every word typed, for pickers."""
        words = text.lower().split()
        found = [
            article
            for article in self.listing().articles.values()
            if article.status != "archived"
            and all(word in f"{article.title} {article.id}".lower() for word in words)
        ]
        return sorted(found, key=lambda article: article.title.lower())[:limit]

    def similar(self, article: Article, k: int = 5) -> list[Document]:
        """The nearest other articles by meaning, not already related, for linking."""
        text = f"{article.title}. {article.summary} {article.body}"
        hits = self._semantic(text, k + 1 + len(article.related))
        skip = {article.id, *article.related}
        return [hit.document for hit, _ in hits if hit.document.id not in skip][:k]

    def duplicates(self, title: str, body: str) -> list[tuple[Document, float]]:
        """Existing articles that a new one with this title and body would repeat."""
        return [
            (hit.document, cosine)
            for hit, cosine in self._semantic(
                f"{title}. {' '.join(body.split()[:DUPLICATE_WORDS])}", 5
            )
            if cosine >= DUPLICATE_COSINE
        ]

    # Writing

    def save(
        self,
        form: ArticleForm,
        *,
        article_id: str | None,
        base_digest: str,
        author: str,
        message: str = "",
        from_ticket: str | None = None,
    ) -> Saved:
        """Create (article_id None) or update an article from the editor's fields.

        Raises FormError for invalid fields and ConflictError when the file is no longer the
        text whose digest is `base_digest`. A ticket named in `from_ticket` is linked to it.
        """
        if article_id is None and form.status not in NEW_STATUSES:
            raise FormError([f"A new article starts as {' or '.join(NEW_STATUSES)}."])
        with one_save_at_a_time(self._settings.home, max(self._settings.lock_timeout, 5.0)):
            listing = self.listing()
            if article_id is None:
                taken = set(listing.articles) | {
                    path.stem for path in self._settings.articles_dir.glob("*.md")
                }
                new_id = slug_for(form.title, taken)
                path = self._settings.articles_dir / f"{new_id}.md"
                text = compose(form, new_id, path, None, date.today())
                saved = self._write(new_id, path, None, text, author, message or "created")
            else:
                current = self._current(listing, article_id, base_digest)
                if form.status not in allowed_statuses(current.article.status):
                    raise FormError(
                        [f"A {current.article.status} article cannot become {form.status}."]
                    )
                path = Path(current.article.path)
                text = compose(form, article_id, path, current.text, date.today())
                saved = self._write(article_id, path, current.text, text, author, message)
        if from_ticket:
            self._desk.link_article(from_ticket, author, saved.article.id)
        return saved

    def transition(self, article_id: str, status: str, base_digest: str, author: str) -> Saved:
        """Move the article along the workflow, e.g. review → published."""
        with one_save_at_a_time(self._settings.home, max(self._settings.lock_timeout, 5.0)):
            current = self._current(self.listing(), article_id, base_digest)
            before = current.article.status
            if status not in TRANSITIONS.get(before, ()):
                raise FormError([f"A {before} article cannot become {status}."])
            form = replace(form_for(current.article), status=status)
            path = Path(current.article.path)
            text = compose(form, article_id, path, current.text, date.today())
            return self._write(
                article_id, path, current.text, text, author, f"status: {before} → {status}"
            )

    def restore(self, article_id: str, number: int, base_digest: str, author: str) -> Saved:
        """Save revision `number`'s text again as the newest revision."""
        revision = self.revisions.get(article_id, number)
        if revision is None:
            raise NotFoundError(f"{article_id!r} has no revision {number}")
        with one_save_at_a_time(self._settings.home, max(self._settings.lock_timeout, 5.0)):
            current = self._current(self.listing(), article_id, base_digest)
            return self._write(
                article_id,
                Path(current.article.path),
                current.text,
                revision.text,
                author,
                f"restored revision {number}",
            )

    def flag(self, article_id: str, reason: str, comment: str | None, author: str) -> Flag:
        if article_id not in self.listing().articles:
            raise NotFoundError(no_article(article_id))
        return self.flags.add(article_id, reason, comment, author)

    def clear_flag(self, article_id: str, flag_id: int, author: str) -> Flag:
        found = self.flags.get(flag_id)
        if found is None or found.article_id != article_id:
            raise NotFoundError(f"{article_id!r} has no flag number {flag_id}")
        return self.flags.clear(flag_id, author)

    # Internals

    def _current(self, listing: Listing, article_id: str, base_digest: str) -> Opened:
        article = listing.articles.get(article_id)
        if article is None:
            raise NotFoundError(no_article(article_id))
        text = read_text(Path(article.path), article_id)
        if text_digest(text) != base_digest:
            raise conflict(article_id, article.path, text, self.revisions.latest(article_id))
        return Opened(parse_article(text, article.path), text)

    def _write(
        self,
        article_id: str,
        path: Path,
        previous_text: str | None,
        text: str,
        author: str,
        message: str,
    ) -> Saved:
        """Keep the text on disk in history if kb has not seen it, write, record, re-index."""
        try:
            article = parse_article(text, path)
        except ArticleParseError as error:
            raise FormError([error.problem]) from None
        if article.id != article_id:
            raise FormError([f"The text names the article {article.id!r}, not {article_id!r}."])
        if previous_text is not None:
            latest = self.revisions.latest(article_id)
            if latest is None:
                self.revisions.add(
                    article_id, previous_text, None, "the file before kb's first save"
                )
            elif latest.digest != text_digest(previous_text):
                self.revisions.add(article_id, previous_text, None, "changed outside kb")
            if text == previous_text:
                return Saved(article, None)
        write_atomically(path, text)
        revision = self.revisions.add(article_id, text, author, message or "saved")
        try:
            self._indexer.update([article.to_document()], wait=0.0)
        except IndexMismatchError as error:
            # The file is saved either way; searching it must wait for a full rebuild.
            return Saved(article, revision, index_problem=str(error))
        except IndexLockedError:
            # Another writer (`kb index`, a resolution) holds the index: answer now, and let
            # the queue's drain index the file as it is once the lock frees.
            self._knowledge.queue_article(path)
            return Saved(article, revision, queued=True)
        return Saved(article, revision)

    def indexing(self, article: Article) -> bool:
        """Whether the article's saved file still waits in the index queue."""
        return self._knowledge.article_waiting(Path(article.path))

    def _semantic(self, text: str, k: int) -> list[tuple[Any, float]]:
        query = " ".join(text.split())[:MAX_QUERY_CHARACTERS]
        if not query:
            return []
        filters = Filters(kinds=("article",), statuses=STATUSES)
        try:
            result = self._searcher.search(
                SearchQuery(query, k=k, mode="semantic", filters=filters)
            )
        except IndexNotFoundError:
            return []
        return [(hit, hit.evidence.semantic) for hit in result.hits]
