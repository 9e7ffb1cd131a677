"""Keyword index on Whoosh (the maintained whoosh-reloaded fork), stemmed per language.

Each configured language has its own title and body fields with a stemming analyzer; every
analyzer folds accents, so "configuracion" finds "configuración". Documents in other
languages go to fields that fold but do not stem. Queries are analysed by kb, never parsed
as Whoosh query syntax, so no user text can become a wildcard or a field query.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import lang as whoosh_lang
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import Or, Query, Term
from whoosh.scoring import BM25F
from whoosh.support.charset import accent_map

from kb.backends import Ranking
from kb.config import Settings
from kb.errors import ConfigError
from kb.model import Chunk, Document

OTHER = "other"
TITLE_BOOST = 2.5
TAGS_BOOST = 1.5
# Words, keeping dotted and hyphenated product terms such as "wd19", "802.1x", "0x80070005".
TOKEN_PATTERN = r"\w+(?:[.\-]\w+)*"
SEPARATOR = re.compile(r"[.\-]")


# What the tokenizer leaves of English contractions split at the apostrophe ("I'd", "I've",
# "doesn't"): Whoosh's stop list has "s", "t" and "don" but not these, which would otherwise
# match any text holding the same stray letters.
CONTRACTION_REMNANTS = {
    "en": frozenset(
        "d ll m re ve aren couldn didn doesn hadn hasn haven isn mustn needn shan shouldn "
        "wasn weren won wouldn".split()
    ),
}


class CompoundFilter(Filter):  # type: ignore[misc]
    """Words written with dots or hyphens also count as one joined word and as their parts.

    "e-mail" is found by "email" and "mail", "wi-fi" by "wifi"; the whole "802.1x" stays a
    term of its own, so an exact product term still matches best. Parts are kept only when
    they are words of two letters or more: "1x" or "e" alone would match too much.
    """

    def __call__(self, tokens: Iterable[Any]) -> Iterable[Any]:
        for token in tokens:
            text = token.text
            yield token
            if not SEPARATOR.search(text):
                continue
            parts = [part for part in SEPARATOR.split(text) if len(part) > 1 and part.isalpha()]
            # Whoosh passes one token object down the chain: each variant reuses it.
            for variant in (SEPARATOR.sub("", text), *parts):
                token.text = variant
                yield token


def language_stop_words(language: str) -> frozenset[str]:
    """Words too common in `language` to search by; empty when Whoosh has no list for it."""
    if language == OTHER or not whoosh_lang.has_stopwords(language):
        return frozenset()
    listed = frozenset(whoosh_lang.stopwords_for_language(language))
    return listed | CONTRACTION_REMNANTS.get(language, frozenset())


def language_analyzer(language: str) -> Analyzer:
    """Tokenise, lowercase, drop stop words, fold accents, then stem when Whoosh can."""
    analyzer: Analyzer = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CompoundFilter()
    stopwords = language_stop_words(language)
    if stopwords:
        analyzer = analyzer | StopFilter(stoplist=stopwords, minsize=1)
    analyzer = analyzer | CharsetFilter(accent_map)
    if language != OTHER and whoosh_lang.has_stemmer(language):
        analyzer = analyzer | StemFilter(lang=language)
    return analyzer


@lru_cache(maxsize=8)
def stop_words(languages: tuple[str, ...]) -> frozenset[str]:
    """The stop words of `languages`, accent-folded: never worth highlighting in a snippet."""
    return frozenset(
        word.translate(accent_map)
        for language in languages
        for word in language_stop_words(language)
    )


def analyzed_terms(analyzers: Iterable[Analyzer], text: str) -> set[str]:
    """Every term the analyzers make of `text`: what highlighting compares with a query."""
    return {token.text for analyzer in analyzers for token in analyzer(text)}


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
        for language in settings.languages:
            if not whoosh_lang.has_stemmer(language):
                supported = ", ".join(sorted(whoosh_lang.languages))
                raise ConfigError(
                    f"setting `languages` names {language!r}, which has no stemmer; "
                    f"use codes from: {supported}"
                )
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
        tags = " ".join(document.tags)
        for chunk in chunks:
            headings = " ".join(chunk.heading_path)
            writer.add_document(
                chunk_id=chunk.id,
                document_id=document.id,
                tags=tags,
                **{
                    f"title_{language}": document.title,
                    f"body_{language}": f"{headings}\n{chunk.text}",
                },
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
        return TAGS_BOOST
    return TITLE_BOOST if field.startswith("title_") else 1.0
