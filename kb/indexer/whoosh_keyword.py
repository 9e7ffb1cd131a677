"""Keyword index on Whoosh (the maintained whoosh-reloaded fork), stemmed per language.

Each configured language has its own title and body fields with that language's analyzer
(kb.indexer.analysis); documents in other languages go to fields that fold but do not stem.
Queries are analysed by kb, never parsed as Whoosh query syntax, so no user text can become
a wildcard or a field query.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Or, Query, Term
from whoosh.scoring import BM25F

from kb.backends import Ranking
from kb.config import Settings
from kb.indexer.analysis import (
    OTHER,
    TAGS_WEIGHT,
    TITLE_WEIGHT,
    analyzed_terms,
    check_languages,
    chunk_fields,
    language_analyzer,
)
from kb.model import Chunk, Document


def build_schema(languages: Sequence[str]) -> Schema:
    fields: dict[str, Any] = {
        "chunk_id": ID(stored=True, unique=True),
        "document_id": ID,
        "tags": TEXT(analyzer=language_analyzer(OTHER)),
    }
    for language in (*languages, OTHER):
        analyzer = language_analyzer(language)
        fields[f"title_{language}"] = TEXT(analyzer=analyzer)
        fields[f"body_{language}"] = TEXT(analyzer=analyzer)
    return Schema(**fields)


class WhooshKeywordIndex:
    """A Whoosh index in `directory`; created there with the configured languages if absent."""

    def __init__(self, directory: Path, settings: Settings) -> None:
        check_languages(settings.languages)
        directory.mkdir(parents=True, exist_ok=True)
        if whoosh_index.exists_in(str(directory)):
            self._index = whoosh_index.open_dir(str(directory))
        else:
            self._index = whoosh_index.create_in(str(directory), build_schema(settings.languages))
        names = self._index.schema.names()
        self._languages = tuple(
            name.removeprefix("title_") for name in names if name.startswith("title_")
        )
        self._analyzers = {
            language: self._index.schema[f"body_{language}"].analyzer
            for language in self._languages
        }
        self._writer: Any = None
        self._local = threading.local()
        self._generation = 0

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None:
        language = document.language if document.language in self._languages else OTHER
        writer = self._open_writer()
        for chunk in chunks:
            fields = chunk_fields(document, chunk)
            writer.add_document(
                chunk_id=chunk.id,
                document_id=document.id,
                tags=fields.tags,
                **{f"title_{language}": fields.title, f"body_{language}": fields.body},
            )

    def remove(self, document_ids: Sequence[str]) -> None:
        if not document_ids:
            return
        writer = self._open_writer()
        for document_id in document_ids:
            writer.delete_by_term("document_id", document_id)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer = None
            self._generation += 1

    def search(self, text: str, limit: int) -> Ranking:
        searcher = self._searcher()
        query = self._query(text, self._filled_fields(searcher))
        if query is None or limit < 1:
            return []
        results = searcher.search(query, limit=limit)
        return [(hit["chunk_id"], float(hit.score)) for hit in results]

    def terms(self, text: str) -> set[str]:
        return analyzed_terms(self._analyzers.values(), text)

    def count(self) -> int:
        return int(self._searcher().doc_count())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        self._index.close()

    def _open_writer(self) -> Any:
        if self._writer is None:
            self._writer = self._index.writer(limitmb=256)
        return self._writer

    def _searcher(self) -> Any:
        # Whoosh searchers are not shared between threads; each thread keeps its own and
        # refreshes it after a commit.
        searcher = getattr(self._local, "searcher", None)
        if searcher is None or getattr(self._local, "generation", -1) != self._generation:
            if searcher is not None:
                searcher.close()
            searcher = self._index.searcher(weighting=BM25F())
            self._local.searcher = searcher
            self._local.generation = self._generation
        return searcher

    def _filled_fields(self, searcher: Any) -> frozenset[str]:
        """Fields holding any text in this index; the others cannot match and cost time."""
        cached = getattr(self._local, "filled", None)
        if cached is None or cached[0] is not searcher:
            reader = searcher.reader()
            names = frozenset(
                name for name in self._index.schema.names() if reader.field_length(name) > 0
            )
            self._local.filled = cached = (searcher, names)
        filled: frozenset[str] = cached[1]
        return filled

    def _query(self, text: str, filled: frozenset[str]) -> Query | None:
        clauses: list[Query] = []
        for language, analyzer in self._analyzers.items():
            fields = [
                name
                for name in (f"title_{language}", f"body_{language}")
                + (("tags",) if language == OTHER else ())
                if name in filled
            ]
            if not fields:
                continue
            for term in dict.fromkeys(token.text for token in analyzer(text)):
                clauses.extend(Term(name, term, boost=_boost(name)) for name in fields)
        return Or(clauses) if clauses else None


def _boost(field: str) -> float:
    """A field's weight in a chunk's score: each field is scored on its own, then summed."""
    if field == "tags":
        return TAGS_WEIGHT
    return TITLE_WEIGHT if field.startswith("title_") else 1.0
