"""Telling a query's language and preferring documents in it, as tables of cases."""

from __future__ import annotations

import pytest

from kb.indexer.analysis import language_stop_word_lists
from kb.search.language import fold_stop_words, prefer_language, query_language

ENGLISH_AND_SPANISH = fold_stop_words(language_stop_word_lists(("en", "es")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la impresora no imprime", "es"),
        ("impresora sin conexión", "es"),
        ("impresora sin conexion", "es"),  # accents are optional, as in search
        ("Configuración de la impresora", "es"),
        ("How do I reset my password", "en"),
        ("the printer says offline", "en"),
        # No stop word, or only ones both languages share ("no", "a", "me"): no language.
        ("printer offline", None),
        ("vpn", None),
        ("a printer offline", None),
        ("Outlook no sincroniza", None),
        # As many words of each: no language either.
        ("la printer the impresora", None),
        ("", None),
    ],
)
def test_query_language(text: str, expected: str | None) -> None:
    assert query_language(text, ENGLISH_AND_SPANISH) == expected


def test_a_language_without_stop_words_is_never_told() -> None:
    assert query_language("la impresora", {"es": frozenset({"la"}), "xx": frozenset()}) == "es"
    assert query_language("impresora", {"es": frozenset({"la"}), "xx": frozenset()}) is None


RANKING = [("en-doc", 1.0), ("es-doc", 0.9), ("es-other", 0.7), ("unknown", 0.6)]
LANGUAGES = {"en-doc": "en", "es-doc": "es", "es-other": "es"}


@pytest.mark.parametrize(
    ("language", "weight", "expected"),
    [
        # Spanish query: the English document drops below Spanish ones it leads by little.
        ("es", 0.8, [("es-doc", 0.9), ("en-doc", 0.8), ("es-other", 0.7), ("unknown", 0.6)]),
        # ... but stays first when it leads by more than 1 / weight.
        ("es", 0.95, [("en-doc", 0.95), ("es-doc", 0.9), ("es-other", 0.7), ("unknown", 0.6)]),
        # English query: the Spanish ones fall instead.
        ("en", 0.5, [("en-doc", 1.0), ("unknown", 0.6), ("es-doc", 0.45), ("es-other", 0.35)]),
        # No language told, or no preference: as it was.
        (None, 0.5, RANKING),
        ("es", 1.0, RANKING),
    ],
)
def test_prefer_language(language: str | None, weight: float, expected: list) -> None:
    preferred = prefer_language(RANKING, LANGUAGES, language, weight)
    assert [document for document, _ in preferred] == [document for document, _ in expected]
    assert [score for _, score in preferred] == pytest.approx([score for _, score in expected])


def test_prefer_language_breaks_ties_by_id() -> None:
    ranking = [("b-es", 0.8), ("a-en", 1.0)]
    preferred = prefer_language(ranking, {"b-es": "es", "a-en": "en"}, "es", 0.8)
    assert [document for document, _ in preferred] == ["a-en", "b-es"]
