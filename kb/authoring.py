"""Knowledge authoring: agents write article files, with history, workflow, flags and links.

The files stay the source of truth. A save writes `articles/<id>.md` atomically, keeps the text
as a revision and re-indexes that one article, under a lock so that two saves never interleave;
a save whose editor was opened on an older text is refused (ConflictError), so nothing is lost.
"""

from __future__ import annotations

import difflib
import fcntl
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from kb.config import Settings
from kb.desk import Desk
from kb.errors import ArticleParseError, IndexMismatchError, IndexNotFoundError, KbError, QueryError
from kb.indexer.parse import ID_PATTERN, KNOWN_KEYS, parse_article
from kb.indexer.pipeline import Indexer
from kb.indexer.sources import read_article
from kb.model import ARTICLE_TYPES, AUDIENCES, STATUSES, Article, Document, Filters, SearchQuery
from kb.search.searcher import MAX_QUERY_CHARACTERS, Searcher
from kb.store.revisions import Flag, FlagStore, Revision, RevisionStore, text_digest
from kb.store.tickets import StoredTicket

# Forward through review to published and on to archived; any state may go back to draft,
# and anything not yet archived may be archived directly.
TRANSITIONS = {
    "draft": ("review", "archived"),
    "review": ("published", "draft", "archived"),
    "published": ("archived", "draft"),
    "archived": ("draft",),
}
NEW_STATUSES = ("draft", "review")
# A new article is compared by its title and first words (DUPLICATE_WORDS) with every existing
# article's best section; reaching DUPLICATE_COSINE means it very likely repeats that article.
# Measured with all-MiniLM-L6-v2 on the 45 sample articles, each posed as a new article: exact
# copies scored 0.905 or more (median 0.977), copies with every third sentence cut 0.811 or more
# (tenth percentile 0.890), and the closest pair of different articles (two VPN articles) 0.822.
# Title plus the whole body separated worse (copies from 0.802, distinct pairs up to 0.797), as
# a long query blurs over sections. 0.85 misses a few heavily edited copies rather than nagging
# about articles that are merely on the same topic.
DUPLICATE_COSINE = 0.85
DUPLICATE_WORDS = 60
SLUG_MAX_CHARACTERS = 80
LOCK_FILE = "authoring.lock"
TICKET_ARTICLE_TYPES = {
    "incident": "troubleshooting",
    "service_request": "how-to",
    "question": "faq",
}


class FormError(QueryError):
    """The editor's fields cannot make a valid article; `problems` lists each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class ConflictError(KbError):
    """The file changed since the editor opened it; the agent's text was not saved."""

    def __init__(
        self, article_id: str, path: str, current_text: str, latest: Revision | None
    ) -> None:
        self.article_id = article_id
        self.current_text = current_text
        try:
            self.current: Article | None = parse_article(current_text, path)
        except ArticleParseError:
            self.current = None
        self.current_digest = text_digest(current_text)
        # Who wrote the text on disk: the latest revision when it matches, else someone outside kb.
        self.changed_by = (
            latest if latest is not None and latest.digest == self.current_digest else None
        )
        who = self.changed_by.author if self.changed_by and self.changed_by.author else "someone"
        super().__init__(
            f"{who} changed {article_id!r} since you opened it; your text was not saved"
        )


@dataclass(frozen=True)
class ArticleForm:
    """The editor's fields, as an agent typed them."""

    title: str
    body: str
    summary: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    audience: str = "public"
    status: str = "draft"
    owner: str = ""
    review_by: str = ""  # YYYY-MM-DD or empty
    related: tuple[str, ...] = ()
    language: str = "en"
    type: str = ""


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


@dataclass(frozen=True)
class ReviewItem:
    article: Article
    reasons: tuple[str, ...]
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context" or "hunk"
    text: str


@dataclass
class Listing:
    articles: dict[str, Article] = field(default_factory=dict)
    errors: list[ArticleParseError] = field(default_factory=list)


def slug_for(title: str, taken: set[str]) -> str:
    """A lowercase ASCII id from the title that is not in `taken` (then -2, -3 …)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:SLUG_MAX_CHARACTERS].strip("-")
    slug = slug or "article"
    unique, number = slug, 2
    while unique in taken:
        unique = f"{slug}-{number}"
        number += 1
    return unique


def front_matter_keys(text: str) -> list[str]:
    """The top-level front-matter keys of an article file, in the order written."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return []
    keys: list[str] = []
    for line in lines[1:]:
        if line.strip() in {"---", "..."}:
            break
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match and match.group(1) not in keys:
            keys.append(match.group(1))
    return keys


def compose(
    form: ArticleForm, article_id: str, path: Path, existing_text: str | None, today: date
) -> str:
    """The file text for `form`: known fields from the form, unknown keys and key order kept
    from `existing_text`. Raises FormError with every problem found."""
    problems: list[str] = []
    title = " ".join(form.title.split())
    body = form.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not title:
        problems.append("Give the article a title.")
    if not body.strip():
        problems.append("Write the article's text.")
    if form.audience not in AUDIENCES:
        problems.append(f"Audience must be one of: {', '.join(AUDIENCES)}.")
    if form.status not in STATUSES:
        problems.append(f"Status must be one of: {', '.join(STATUSES)}.")
    if form.type and form.type not in ARTICLE_TYPES:
        problems.append(f"Type must be one of: {', '.join(ARTICLE_TYPES)}.")
    review_by: date | None = None
    if form.review_by.strip():
        try:
            review_by = date.fromisoformat(form.review_by.strip())
        except ValueError:
            problems.append("Review by must be a date like 2027-03-31.")
    for item in form.related:
        if not ID_PATTERN.match(item):
            problems.append(f"Related: {item!r} is not an article id.")
        elif item == article_id:
            problems.append("Related: an article cannot be related to itself.")
    if problems:
        raise FormError(problems)
    existing = parse_article(existing_text, path) if existing_text is not None else None
    order = front_matter_keys(existing_text) if existing_text is not None else []
    extra: dict[str, Any] = dict(existing.extra) if existing is not None else {}
    values: dict[str, Any] = {
        "id": article_id if "id" in order or path.stem != article_id else None,
        "title": title,
        "summary": " ".join(form.summary.split()) or None,
        "category": form.category.strip() or None,
        "tags": list(dict.fromkeys(tag.strip().lower() for tag in form.tags if tag.strip()))
        or None,
        "audience": form.audience,
        "status": form.status,
        "owner": form.owner.strip() or None,
        "updated": today,
        "review_by": review_by,
        "related": list(dict.fromkeys(form.related)) or None,
        "language": form.language.strip() or "en",
        "type": form.type or None,
    }
    values = {key: value for key, value in values.items() if value is not None}
    keys = [key for key in order if key in values or key in extra]
    keys += [key for key in KNOWN_KEYS if key in values and key not in keys]
    keys += [key for key in extra if key not in keys]
    front_matter = {key: values[key] if key in values else extra[key] for key in keys}
    dumped = yaml.safe_dump(
        front_matter, sort_keys=False, allow_unicode=True, default_flow_style=None, width=10_000
    )
    text = f"---\n{dumped}---\n\n{body}\n"
    try:
        parse_article(text, path)
    except ArticleParseError as error:
        raise FormError([error.problem]) from None
    return text


def form_for(article: Article) -> ArticleForm:
    """The editor's fields for an existing article."""
    return ArticleForm(
        title=article.title,
        body=article.body,
        summary=article.summary,
        category=article.category or "",
        tags=article.tags,
        audience=article.audience,
        status=article.status,
        owner=article.owner or "",
        review_by=article.review_by.isoformat() if article.review_by else "",
        related=article.related,
        language=article.language,
        type=article.type or "",
    )


def form_from_ticket(ticket: StoredTicket, owner: str) -> ArticleForm:
    """A draft article from a ticket: its subject, the symptoms as described, and what fixed it."""
    sections = [f"## Symptoms\n\n{ticket.description.strip()}"]
    if (ticket.resolution or "").strip():
        sections.append(f"## Resolution\n\n{(ticket.resolution or '').strip()}")
    return ArticleForm(
        title=ticket.subject,
        body="\n\n".join(sections) + "\n",
        category=ticket.category or "",
        # Ticket text can hold personal data: internal until an agent has checked it.
        audience="internal",
        status="draft",
        owner=owner,
        language=ticket.language or "en",
        type=TICKET_ARTICLE_TYPES.get(ticket.type, ""),
    )


def allowed_statuses(current: str | None) -> tuple[str, ...]:
    """The statuses the editor may set: the current one and the workflow's next steps."""
    if current is None:
        return NEW_STATUSES
    return (current, *TRANSITIONS.get(current, ()))


def diff_lines(old: str, new: str, old_label: str, new_label: str) -> list[DiffLine]:
    """A unified diff of two texts, line by line, ready to show."""
    lines: list[DiffLine] = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm=""
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "remove"}.get(line[:1], "context")
        lines.append(DiffLine(kind, line))
    return lines


def review_reasons(article: Article, flags: Sequence[Flag], today: date) -> tuple[str, ...]:
    """Why an article needs an agent's attention; empty when it does not."""
    reasons = []
    if article.status == "review":
        reasons.append("waiting for review")
    if article.status != "archived" and article.review_by and article.review_by < today:
        reasons.append(f"review was due {article.review_by.isoformat()}")
    for reason in dict.fromkeys(flag.reason for flag in flags):
        count = sum(1 for flag in flags if flag.reason == reason)
        reasons.append(f"flagged {reason}" + (f" ({count}×)" if count > 1 else ""))
    return tuple(reasons)


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
    ) -> None:
        self._settings = settings
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
        """The article's file as it is now; LookupError when no file has this id."""
        article = self.listing().articles.get(article_id)
        if article is None:
            raise LookupError(article_id)
        text = _read(Path(article.path), article_id)
        return Opened(parse_article(text, article.path), text)

    def history(self, article_id: str) -> list[Revision]:
        return self.revisions.history(article_id)

    def needs_review(self, today: date) -> list[ReviewItem]:
        """Articles in review, past their review date, or flagged; the most reasons first."""
        articles = self.listing().articles
        flags = self.flags.open_flags(articles)
        items = []
        for article in articles.values():
            own = flags.get(article.id, [])
            reasons = review_reasons(article, own, today)
            if reasons:
                items.append(ReviewItem(article, reasons, tuple(own)))
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
        with self._locked():
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
        with self._locked():
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
            raise LookupError(f"{article_id} revision {number}")
        with self._locked():
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
            raise LookupError(article_id)
        return self.flags.add(article_id, reason, comment, author)

    def clear_flag(self, article_id: str, flag_id: int, author: str) -> Flag:
        found = self.flags.get(flag_id)
        if found is None or found.article_id != article_id:
            raise LookupError(flag_id)
        return self.flags.clear(flag_id, author)

    # Internals

    def _current(self, listing: Listing, article_id: str, base_digest: str) -> Opened:
        article = listing.articles.get(article_id)
        if article is None:
            raise LookupError(article_id)
        text = _read(Path(article.path), article_id)
        if text_digest(text) != base_digest:
            raise ConflictError(article_id, article.path, text, self.revisions.latest(article_id))
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
        return Saved(article, revision, self._reindex(article))

    def _reindex(self, article: Article) -> str | None:
        try:
            self._indexer.update([article.to_document()])
        except IndexMismatchError as error:
            # The file is saved either way; searching it must wait for a full rebuild.
            return str(error)
        return None

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

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One save at a time across processes: check, write, record and index together."""
        home = self._settings.home
        home.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(self._settings.lock_timeout, 5.0)
        with open(home / LOCK_FILE, "a+", encoding="utf-8") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise KbError("another save is taking long; try again") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path, article_id: str) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        # Deleted (e.g. by a git checkout) since the folder was listed.
        raise LookupError(article_id) from None


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: a temporary file in the same folder, renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    # A hidden name, so that a reader scanning the folder never picks up a half-written file.
    handle = tempfile.NamedTemporaryFile(
        "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
