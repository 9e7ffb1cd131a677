"""Which language a query is written in, and a preference for documents in it. Pure.

kb's embedding model reads English best and its keyword terms are kept per language, so a
Spanish query meets Spanish documents through shared words and English ones hardly at all;
knowing the query's language lets a tie between languages go to the requester's own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

WORD = re.compile(r"\w+")


def fold_stop_words(stop_words: Mapping[str, AbstractSet[str]]) -> dict[str, frozenset[str]]:
    """Each language's stop words as query_language compares them: lowercased and without
    accents, as the analyzers fold them. Made once and kept (folding both lists for every
    query cost 0.5 ms of CPU a query)."""
    return {
        language: frozenset(_fold(word) for word in words) for language, words in stop_words.items()
    }


def query_language(text: str, folded: Mapping[str, AbstractSet[str]]) -> str | None:
    """The language whose own stop words the query uses most, or None when no language leads.

    `folded` is each language's stop words from fold_stop_words. Only a stop word of one
    language alone counts ("la", "sin" for Spanish; "the", "my" for English): one shared by
    several ("no", "a") says nothing. Words are compared lowercased and without accents. A
    query without such a word, or with as many of two languages, has no language: most
    short queries ("vpn", "printer offline").
    """
    counts = dict.fromkeys(folded, 0)
    for word in WORD.findall(_fold(text)):
        owners = [language for language, words in folded.items() if word in words]
        if len(owners) == 1:
            counts[owners[0]] += 1
    ranked = sorted(counts.items(), key=lambda pair: -pair[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def prefer_language(
    ranking: Sequence[tuple[str, float]],
    languages: Mapping[str, str],
    language: str | None,
    other_weight: float,
) -> list[tuple[str, float]]:
    """The ranking with the scores of documents in another language than `language` multiplied
    by `other_weight`, re-sorted (ties by id).

    A document in another language still comes first when it scores more than 1 /
    `other_weight` times the best one in the query's language. No language, or a document of
    unknown language, leaves scores as they are.
    """
    scored = {
        document: score * other_weight
        if language is not None and languages.get(document, language) != language
        else score
        for document, score in ranking
    }
    return sorted(scored.items(), key=lambda pair: (-pair[1], pair[0]))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(character for character in decomposed if not unicodedata.combining(character))
