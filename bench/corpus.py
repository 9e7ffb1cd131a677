"""Real documents from the repository, recombined variants of them, and realistic queries."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from bench.config import ARTICLES_DIR, TICKETS_FILE
from kb.indexer.chunk import chunk_document
from kb.indexer.pipeline import Snapshot
from kb.indexer.sources import load_articles, load_tickets
from kb.model import KINDS, Document

VARIANT_SEED = 20260
SECTIONS_PER_SOURCE = (1, 2)
SOURCES_PER_VARIANT = 3
EDITED_ARTICLE = "vpn-connection-fails"
EDIT = (
    "\n\n## Still failing after these steps\n\n"
    "If none of the fixes above helped, restart the laptop, connect once more and open a "
    "ticket with the exact error text and the time it happened, so the network team can "
    "find the attempt in the VPN gateway logs.\n"
)
# Ways a writer re-titles an article when adapting it for another audience.
TITLE_FORMS = {
    "en": (
        "{title} (team guide)",
        "{title}: what to check first",
        "Quick guide: {title}",
        "{title} for remote staff",
        "{title} on company laptops",
        "Before you call the service desk: {title}",
    ),
    "es": (
        "{title} (guía del equipo)",
        "{title}: qué revisar primero",
        "Guía rápida: {title}",
        "{title} para el personal en remoto",
        "{title} en portátiles de empresa",
    ),
}
HEADING = re.compile(r"^##\s+\S")
FENCE = re.compile(r"^\s*(```|~~~)")


def real_documents() -> list[Document]:
    """Every article in articles/ and every ticket in tickets/, as kb reads them."""
    articles = load_articles(ARTICLES_DIR)
    tickets = load_tickets(TICKETS_FILE)
    return [*articles.documents, *tickets.documents]


def snapshots(documents: Sequence[Document]) -> list[Snapshot]:
    """One complete snapshot per kind, as `kb index` hands them to the Indexer."""
    return [
        Snapshot(kind, [document for document in documents if document.kind == kind])
        for kind in KINDS
    ]


def count_chunks(documents: Sequence[Document], chunk_words: int) -> int:
    return sum(len(chunk_document(document, chunk_words)) for document in documents)


def indexing_corpus(target_chunks: int, chunk_words: int) -> list[Document]:
    """The real documents, then recombined article variants until about `target_chunks`.

    The sequence of variants is fixed, so a smaller corpus is a prefix of a larger one and
    their vectors are shared through the cache.
    """
    documents = real_documents()
    total = count_chunks(documents, chunk_words)
    articles = [document for document in documents if document.kind == "article"]
    for variant in _variants(articles):
        if total >= target_chunks:
            break
        documents.append(variant)
        total += len(chunk_document(variant, chunk_words))
    return documents


def edit_one_article(documents: Sequence[Document]) -> tuple[list[Document], str]:
    """The same documents with one real article given a new closing section."""
    target = next(
        (document for document in documents if document.id == EDITED_ARTICLE),
        next(document for document in documents if document.kind == "article"),
    )
    edited = replace(target, body=target.body.rstrip() + EDIT)
    return [edited if document is target else document for document in documents], target.id


def queries(count: int) -> list[str]:
    """What people type: ticket subjects, shortened article titles, summary openings."""
    documents = real_documents()
    subjects = [document.title for document in documents if document.kind == "ticket"]
    articles = [document for document in documents if document.kind == "article"]
    titles = [_short_title(document.title) for document in articles]
    openings = [_opening(document.summary) for document in articles if document.summary]
    mixed: list[str] = []
    for group in _round_robin([subjects, titles, openings]):
        if group and group not in mixed:
            mixed.append(group)
    return mixed[:count]


def _variants(articles: Sequence[Document]) -> Iterator[Document]:
    """Endless new articles, each built from sections of three articles in one language."""
    rng = random.Random(VARIANT_SEED)
    by_language: dict[str, list[Document]] = {}
    for article in articles:
        by_language.setdefault(article.language, []).append(article)
    pools = [pool for pool in by_language.values() if len(pool) >= SOURCES_PER_VARIANT]
    number = 0
    while True:
        pool = rng.choice(pools)
        sources = rng.sample(pool, SOURCES_PER_VARIANT)
        lead = sources[0]
        parts = [_sections(lead.body)[0][1]]
        for source in sources:
            sections = [section for section in _sections(source.body) if section[0]]
            count = min(rng.choice(SECTIONS_PER_SOURCE), len(sections))
            parts.extend(f"{heading}\n{text}" for heading, text in rng.sample(sections, count))
        forms = TITLE_FORMS.get(lead.language, TITLE_FORMS["en"])
        number += 1
        yield replace(
            lead,
            id=f"variant-{number:05d}",
            title=rng.choice(forms).format(title=lead.title),
            body="\n\n".join(part.strip() for part in parts if part.strip()) + "\n",
            status="published",
            metadata={"path": None, "sources": [source.id for source in sources]},
        )


def _sections(body: str) -> list[tuple[str, str]]:
    """(heading line, text) per level-two section; the text before the first has no heading."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and HEADING.match(line):
            sections.append((line, []))
        else:
            sections[-1][1].append(line)
    return [(heading, "\n".join(lines)) for heading, lines in sections]


def _short_title(title: str) -> str:
    """A title as someone would type it: no quoted error, no parenthesis, lower case."""
    title = re.sub(r"\([^)]*\)", "", title.split(":")[0])
    return " ".join(title.split()).lower()


def _opening(summary: str, words: int = 9) -> str:
    first = re.split(r"[.,;]", summary)[0]
    return " ".join(first.split()[:words]).lower()


def _round_robin(groups: Sequence[Sequence[str]]) -> Iterator[str]:
    for position in range(max(len(group) for group in groups)):
        for group in groups:
            if position < len(group):
                yield group[position]
