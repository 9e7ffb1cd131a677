"""The article editor's pure part: form fields to file text, slugs, workflow, diffs. Pure.

Reads and writes nothing: kb.authoring.editor does the files, the history and the index.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import yaml

from kb.errors import ArticleParseError, InvalidInputError
from kb.indexer.parse import ID_PATTERN, KNOWN_KEYS, parse_article
from kb.model import ARTICLE_TYPES, AUDIENCES, STATUSES, Article

if TYPE_CHECKING:
    from kb.events import Feedback
    from kb.store.revisions import Flag
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
TICKET_ARTICLE_TYPES = {
    "incident": "troubleshooting",
    "service_request": "how-to",
    "question": "faq",
}


class FormError(InvalidInputError):
    """The editor's fields cannot make a valid article; `problems` lists each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


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
class ReviewItem:
    article: Article
    reasons: tuple[str, ...]
    flags: tuple[Flag, ...] = ()
    # Requesters' "not helpful" comments since the article was last updated, newest first.
    comments: tuple[Feedback, ...] = ()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context" or "hunk"
    text: str


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
    form: ArticleForm, article_id: str, path: PurePath, existing_text: str | None, today: date
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


def review_reasons(
    article: Article, flags: Sequence[Flag], today: date, comments: Sequence[Feedback] = ()
) -> tuple[str, ...]:
    """Why an article needs an agent's attention; empty when it does not.

    `comments` are requesters' "not helpful" comments on it since it was last updated.
    """
    reasons = []
    if article.status == "review":
        reasons.append("waiting for review")
    if article.status != "archived" and article.review_by and article.review_by < today:
        reasons.append(f"review was due {article.review_by.isoformat()}")
    for reason in dict.fromkeys(flag.reason for flag in flags):
        count = sum(1 for flag in flags if flag.reason == reason)
        reasons.append(f"flagged {reason}" + (f" ({count}×)" if count > 1 else ""))
    if comments:
        reasons.append(f"not helpful, with a comment ({len(comments)}×)")
    return tuple(reasons)


def comments_since_update(article: Article, comments: Sequence[Feedback]) -> tuple[Feedback, ...]:
    """The "not helpful" comments made on the day of the article's last update or after it:
    an edit is taken to answer what was said before it."""
    return tuple(
        comment
        for comment in comments
        if not comment.helpful and (article.updated is None or comment.at.date() >= article.updated)
    )
