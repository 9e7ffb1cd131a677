"""Text analysis every keyword backend shares: a chunk's fields, and words → index terms.

Each configured language has an analyzer that tokenises, lowercases, drops stop words, folds
accents (so "configuracion" finds "configuración") and stems; text in any other language is
folded but not stemmed. Backends store and compare the terms made here, so a query and a
document always meet in the same form whichever backend holds them. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

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
from whoosh.support.charset import accent_map

from kb.errors import ConfigError
from kb.model import Chunk, Document

OTHER = "other"
# A field's weight against the body's in a chunk's score (BM25F in bm25.py; field boosts in
# whoosh_keyword.py).
TITLE_WEIGHT = 2.5
TAGS_WEIGHT = 1.5
# Words, keeping dotted and hyphenated product terms such as "wd19", "802.1x", "0x80070005".
TOKEN_PATTERN = r"\w+(?:[.\-]\w+)*"
TOKEN = re.compile(TOKEN_PATTERN)
SEPARATOR = re.compile(r"[.\-]")
# Distinct tokens whose terms each analyzer remembers: a KB's words recur from chunk to chunk.
TOKENS_CACHED = 200_000


# What the tokenizer leaves of English contractions split at the apostrophe ("I'd", "I've",
# "doesn't"): Whoosh's stop list has "s", "t" and "don" but not these, which would otherwise
# match any text holding the same stray letters.
CONTRACTION_REMNANTS = {
    "en": frozenset(
        "d ll m re ve aren couldn didn doesn hadn hasn haven isn mustn needn shan shouldn "
        "wasn weren won wouldn".split()
    ),
}


@dataclass(frozen=True)
class ChunkFields:
    """The text of each field a keyword backend indexes for one chunk."""

    title: str
    body: str
    tags: str


def chunk_fields(document: Document, chunk: Chunk) -> ChunkFields:
    """The document's title, the chunk's heading path and text, and the document's tags."""
    return ChunkFields(
        title=document.title,
        body="\n".join((*chunk.heading_path, chunk.text)),
        tags=" ".join(document.tags),
    )


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


def check_languages(languages: Sequence[str]) -> None:
    """Raise ConfigError unless every language in the setting has a stemmer."""
    for language in languages:
        if not whoosh_lang.has_stemmer(language):
            supported = ", ".join(sorted(whoosh_lang.languages))
            raise ConfigError(
                f"setting `languages` names {language!r}, which has no stemmer; "
                f"use codes from: {supported}"
            )


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


@lru_cache(maxsize=8)
def language_stop_word_lists(languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each of `languages` with its stop words, for telling which one a query is in."""
    return {language: language_stop_words(language) for language in languages}


def analyzed_terms(analyzers: Iterable[Analyzer], text: str) -> set[str]:
    """Every term the analyzers make of `text`: what highlighting compares with a query."""
    return {token.text for analyzer in analyzers for token in analyzer(text)}


def token_terms(analyzer: Analyzer, token: str) -> tuple[str, ...]:
    """The terms `analyzer` makes of one token, in order."""
    return tuple(analyzed.text for analyzed in analyzer(token))


class Analysis:
    """The analyzers of one index: one per configured language and one for the rest.

    Documents are analysed in their own language (or as OTHER); a query, whose language is
    not known, is analysed in every one, and each backend keeps the terms of each language
    apart so a Spanish stem never matches an English document by accident.

    Every filter of an analyzer works on one token at a time, so a text's terms are its
    tokens' terms in order: each distinct token goes through the Whoosh chain once (cached)
    instead of once per occurrence, which made analysis most of an index build's time.
    """

    def __init__(self, languages: Sequence[str]) -> None:
        check_languages(languages)
        self.languages = tuple(languages)
        self._analyzers = {
            language: language_analyzer(language) for language in (*self.languages, OTHER)
        }
        self._token_terms = {
            language: lru_cache(maxsize=TOKENS_CACHED)(partial(token_terms, analyzer))
            for language, analyzer in self._analyzers.items()
        }

    def language_of(self, document: Document) -> str:
        """The analyzer a document's text goes through: its language, or OTHER."""
        return document.language if document.language in self.languages else OTHER

    def analyzer(self, language: str) -> Analyzer:
        return self._analyzers[language]

    def words(self, language: str, text: str) -> list[str]:
        """The terms of `text` in `language`, in order, repeats kept (they are frequencies)."""
        terms_of = self._token_terms[language]
        return [term for token in TOKEN.findall(text) for term in terms_of(token)]

    def tag_words(self, text: str) -> list[str]:
        """Tags are names, not prose: folded and split, never stemmed."""
        return self.words(OTHER, text)

    def query_words(self, text: str) -> dict[str, list[str]]:
        """The distinct terms of a query under each language's analyzer, in order."""
        return {
            language: list(dict.fromkeys(self.words(language, text)))
            for language in self._analyzers
        }

    def terms(self, text: str) -> set[str]:
        """Every term any analyzer makes of `text`, for highlighting."""
        tokens = TOKEN.findall(text)
        return {
            term
            for terms_of in self._token_terms.values()
            for token in tokens
            for term in terms_of(token)
        }
