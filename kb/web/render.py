"""Article Markdown to safe HTML: tables, fenced code, heading anchors, a table of contents."""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import markdown
import nh3

from kb.indexer.chunk import slugify

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "td": {"align"},
    "th": {"align"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
# Only these link schemes survive: no javascript:, data: or vbscript:.
URL_SCHEMES = {"http", "https", "mailto"}
TOC_MINIMUM_HEADINGS = 3


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str


@dataclass(frozen=True)
class RenderedArticle:
    html: str
    toc: tuple[TocEntry, ...]


def _toc_slug(value: str, separator: str) -> str:
    # The same anchors the indexer gives chunks, so a search hit deep-links to its section.
    return slugify(value)


def render_markdown(text: str, image_hosts: Collection[str] = ()) -> RenderedArticle:
    """Render user-written Markdown; scripts, event handlers and unsafe links are removed.

    An image keeps its address only when it is on this site or on one of `image_hosts`
    (`*.example.com` for a domain), so showing an article tells no third party who read it;
    other images are shown by their alt text.
    """

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and not _image_allowed(value, image_hosts):
            return None
        return value

    converter = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "toc"],
        extension_configs={"toc": {"slugify": _toc_slug, "toc_depth": "2-4"}},
        output_format="html",
    )
    raw = converter.convert(text)
    safe = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=keep,
    )
    tokens: list[dict[str, Any]] = getattr(converter, "toc_tokens", [])
    entries = tuple(_flatten(tokens))
    return RenderedArticle(html=safe, toc=entries if len(entries) >= TOC_MINIMUM_HEADINGS else ())


def _flatten(tokens: list[dict[str, Any]]) -> list[TocEntry]:
    entries: list[TocEntry] = []
    for token in tokens:
        # Python-Markdown gives the heading's text as HTML (`&lt;img&gt;`); the entry holds
        # plain text, which the template escapes once.
        title = html.unescape(str(token["name"]))
        entries.append(TocEntry(level=int(token["level"]), anchor=str(token["id"]), title=title))
        entries.extend(_flatten(token.get("children", [])))
    return entries


def _image_allowed(source: str, hosts: Collection[str]) -> bool:
    parts = urlsplit(source.strip())
    if not parts.netloc and not parts.scheme:
        return True  # on this site
    try:
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if port is not None:
        host = f"{host}:{port}"
    for allowed in hosts:
        allowed = allowed.lower()
        if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return True
    return False
