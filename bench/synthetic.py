"""A large corpus for latency runs: real sentences recombined, vectors mixed from real ones."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.embedders import text_key
from kb.backends import Embedder, Vectors
from kb.indexer.chunk import chunk_document, embedding_text
from kb.model import Document

SEED = 7
SECTIONS_PER_DOCUMENT = 5
EXTRA_SOURCES = (1, 2)
SENTENCES_PER_SOURCE = (1, 3)
MAX_SECTION_WORDS = 150
LEAD_WEIGHT = (0.5, 0.7)
NOISE = 0.01
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class BaseChunk:
    """A real chunk with its real vector: the material synthetic chunks are made from."""

    document: Document
    heading: str
    sentences: tuple[str, ...]
    vector: Vectors
    title_vector: Vectors  # the real vector of the document's title alone


@dataclass
class SyntheticCorpus:
    """Documents plus, row by row for every chunk, its keyword text and its vector."""

    documents: list[Document]
    texts: list[str]
    vectors: Vectors
    rows: dict[str, int]  # text_key(embedding text) -> row
    titles: dict[str, Vectors]  # text_key(title) -> the title's real vector

    @property
    def chunks(self) -> int:
        return len(self.texts)


def base_chunks(
    documents: Sequence[Document], embedder: Embedder, chunk_words: int
) -> list[BaseChunk]:
    """Every chunk of `documents`, embedded by the real (cached) model."""
    pairs = [
        (document, chunk)
        for document in documents
        for chunk in chunk_document(document, chunk_words)
    ]
    vectors = embedder.embed([embedding_text(document, chunk) for document, chunk in pairs])
    titles = list(dict.fromkeys(document.title for document in documents))
    title_vectors = dict(zip(titles, embedder.embed(titles), strict=True))
    chunks = []
    for (document, chunk), vector in zip(pairs, vectors, strict=True):
        sentences = tuple(_sentences(chunk.text))
        if sentences:
            heading = chunk.heading_path[-1] if chunk.heading_path else document.title
            title_vector = title_vectors[document.title]
            chunks.append(BaseChunk(document, heading, sentences, vector, title_vector))
    return chunks


def synthetic_corpus(base: Sequence[BaseChunk], size: int, chunk_words: int) -> SyntheticCorpus:
    """`size` chunks in documents of five sections; each section mixes two or three real chunks.

    A section's text is a few consecutive sentences from each of its sources, and its vector
    the normalised weighted sum of their vectors plus a little noise, so text and vector
    still agree about what the section is about.
    """
    rng = random.Random(SEED)
    noise = np.random.default_rng(SEED)
    by_language: dict[str, list[BaseChunk]] = {}
    for material in base:
        by_language.setdefault(material.document.language, []).append(material)
    dimension = int(base[0].vector.shape[0])
    vectors = np.zeros((size, dimension), dtype=np.float32)
    documents: list[Document] = []
    texts: list[str] = []
    rows: dict[str, int] = {}
    titles: dict[str, Vectors] = {}
    while len(texts) < size:
        lead = rng.choice(base)
        pool = by_language[lead.document.language]
        sections: list[tuple[str, str, Vectors]] = []
        for position in range(min(SECTIONS_PER_DOCUMENT, size - len(texts))):
            first = lead if position == 0 else rng.choice(pool)
            sources = [first, *rng.sample(pool, rng.choice(EXTRA_SOURCES))]
            vector = _mix(sources, rng, noise)
            sections.append((first.heading, _compose(sources, rng), vector))
        document = _document(len(documents), lead.document, sections)
        chunks = chunk_document(document, chunk_words)
        if len(chunks) != len(sections):
            raise RuntimeError(f"{document.id}: {len(chunks)} chunks for {len(sections)} sections")
        for chunk, (_, _, vector) in zip(chunks, sections, strict=True):
            row = len(texts)
            vectors[row] = vector
            rows[text_key(embedding_text(document, chunk))] = row
            headings = " ".join(chunk.heading_path)
            texts.append(f"{document.title}\n{' '.join(document.tags)}\n{headings}\n{chunk.text}")
        titles[text_key(document.title)] = lead.title_vector
        documents.append(document)
    return SyntheticCorpus(documents, texts, vectors, rows, titles)


def _document(
    number: int, lead: Document, sections: Sequence[tuple[str, str, Vectors]]
) -> Document:
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text, _ in sections)
    return Document(
        id=f"synthetic-{number:06d}",
        kind="article",
        title=lead.title,
        body=body + "\n",
        summary=lead.summary,
        language=lead.language,
        category=lead.category,
        tags=lead.tags,
        audience="public",
        status="published",
        metadata={"path": None},
    )


def _compose(sources: Sequence[BaseChunk], rng: random.Random) -> str:
    """A few consecutive sentences from each source, one paragraph, at most 150 words."""
    picked: list[str] = []
    for source in sources:
        count = rng.randint(*SENTENCES_PER_SOURCE)
        start = rng.randrange(max(1, len(source.sentences) - count + 1))
        picked.extend(source.sentences[start : start + count])
    words = " ".join(picked).split()[:MAX_SECTION_WORDS]
    return " ".join(words).lstrip("#").strip() or "(empty)"


def _mix(sources: Sequence[BaseChunk], rng: random.Random, noise: np.random.Generator) -> Vectors:
    lead_weight = rng.uniform(*LEAD_WEIGHT)
    rest = (1.0 - lead_weight) / (len(sources) - 1)
    mixed = noise.normal(0.0, NOISE, sources[0].vector.shape)
    for index, source in enumerate(sources):
        mixed += (lead_weight if index == 0 else rest) * source.vector
    normalised: Vectors = (mixed / np.linalg.norm(mixed)).astype(np.float32)
    return normalised


def _sentences(text: str) -> list[str]:
    pieces = (" ".join(piece.split()) for piece in SENTENCE_BREAK.split(text))
    return [piece for piece in pieces if len(piece.split()) >= 3]
