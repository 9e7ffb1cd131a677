"""Split a document into chunks along its Markdown headings. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from kb.model import Chunk, Document

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class _Section:
    heading_path: tuple[str, ...]
    anchor: str
    lines: list[str]


def slugify(text: str, taken: set[str] | None = None) -> str:
    """The anchor of a heading, as the article page renders it; unique within `taken`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^\w\s-]", "", folded).strip().lower()
    slug = re.sub(r"[-\s]+", "-", slug) or "section"
    if taken is None:
        return slug
    unique, number = slug, 1
    while unique in taken:
        unique = f"{slug}_{number}"
        number += 1
    taken.add(unique)
    return unique


def chunk_document(document: Document, max_words: int) -> list[Chunk]:
    """Return the document's chunks in reading order; never empty for a non-empty document.

    A section is the text under a heading; one longer than `max_words` is split at paragraph
    boundaries (or mid-paragraph when one paragraph alone is too long).
    """
    pieces: list[tuple[_Section, str]] = []
    for section in _sections(document.body):
        text = markdown_to_plain("\n".join(section.lines))
        for part in _split_words(text, max_words):
            pieces.append((section, part))
    if not pieces:
        # A heading-only or empty body still needs one chunk so the title is findable.
        pieces.append((_Section((), "", []), document.summary or ""))
    return [
        Chunk(
            id=f"{document.id}#{position}",
            document_id=document.id,
            position=position,
            heading_path=section.heading_path,
            anchor=section.anchor,
            text=text,
        )
        for position, (section, text) in enumerate(pieces)
    ]


def embedding_text(document: Document, chunk: Chunk) -> str:
    """What the embedder sees: the title and heading path in front of the section text."""
    heading = " > ".join(chunk.heading_path)
    context = f"{document.title}: {heading}" if heading else document.title
    return f"{context}\n{chunk.text}".strip()


def _sections(body: str) -> Iterator[_Section]:
    taken: set[str] = set()
    stack: list[tuple[int, str]] = []
    current = _Section((), "", [])
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match is None:
            current.lines.append(line)
            continue
        yield current
        level, title = len(match.group(1)), markdown_to_plain(match.group(2))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        current = _Section(tuple(text for _, text in stack), slugify(title, taken), [])
    yield current


def _split_words(text: str, max_words: int) -> list[str]:
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    parts: list[str] = []
    current: list[str] = []
    count = 0
    for paragraph in paragraphs:
        words = paragraph.split()
        if count and count + len(words) > max_words:
            parts.append("\n\n".join(current))
            current, count = [], 0
        if len(words) > max_words:
            while len(words) > max_words:
                parts.append(" ".join(words[:max_words]))
                words = words[max_words:]
            paragraph = " ".join(words)
        if words:
            current.append(paragraph)
            count += len(words)
    if current:
        parts.append("\n\n".join(current))
    return parts


_MARKDOWN_RULES = (
    (re.compile(r"^\s*(```|~~~).*$", re.MULTILINE), ""),  # fence lines, before inline code
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images keep their alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"<[^>\n]+>"), ""),  # inline HTML tags
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`{1,3}([^`]*)`{1,3}"), r"\1"),
    (re.compile(r"^\s*>\s?", re.MULTILINE), ""),
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE), ""),
    (re.compile(r"[ \t]*\|[ \t]*"), " | "),
)


def markdown_to_plain(text: str) -> str:
    """Markdown reduced to readable text for matching and snippets (markup removed)."""
    for pattern, replacement in _MARKDOWN_RULES:
        text = pattern.sub(replacement, text)
    return re.sub(r"[ \t]+", " ", text).strip()
