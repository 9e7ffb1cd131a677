"""Text analysis shared by the keyword backends: words → terms, per language, as tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import ConfigError
from kb.indexer.analysis import OTHER, Analysis, chunk_fields
from kb.model import Chunk, Document

ANALYSIS = Analysis(("en", "es"))


@pytest.mark.parametrize(
    ("language", "text", "terms"),
    [
        ("en", "Printers offline", ["printer", "offlin"]),
        ("en", "The VPN is not working", ["vpn", "work"]),
        ("en", "I'd say it doesn't work", ["say", "work"]),
        ("en", "e-mail bounces", ["e-mail", "email", "mail", "bounc"]),
        ("en", "error 0x80070005 on 802.1x", ["error", "0x80070005", "802.1x", "8021x"]),
        ("es", "Configuración de la impresora", ["configuracion", "impresor"]),
        (OTHER, "Configuración de la impresora", ["configuracion", "de", "la", "impresora"]),
    ],
)
def test_words(language: str, text: str, terms: list[str]) -> None:
    assert ANALYSIS.words(language, text) == terms


def test_words_keep_repeats_as_frequencies() -> None:
    assert ANALYSIS.words("en", "printer printer") == ["printer", "printer"]


def test_a_query_is_analysed_in_every_language() -> None:
    words = ANALYSIS.query_words("impresora printers printers")
    assert set(words) == {"en", "es", OTHER}
    assert words["en"] == ["impresora", "printer"]
    assert words["es"][0] == "impresor"


@pytest.mark.parametrize(("language", "expected"), [("es", "es"), ("en", "en"), ("fr", OTHER)])
def test_language_of(language: str, expected: str) -> None:
    document = Document(id="d", kind="article", title="T", body="", language=language)
    assert ANALYSIS.language_of(document) == expected


def test_tags_are_folded_not_stemmed() -> None:
    assert ANALYSIS.tag_words("Printers wd19") == ["printers", "wd19"]


def test_chunk_fields() -> None:
    document = Document(id="d", kind="article", title="VPN", body="", tags=("vpn", "remote"))
    chunk = Chunk(
        id="d#1",
        document_id="d",
        position=1,
        heading_path=("Fixes", "Cert"),
        anchor="cert",
        text="Renew it.",
    )
    fields = chunk_fields(document, chunk)
    assert (fields.title, fields.body, fields.tags) == (
        "VPN",
        "Fixes\nCert\nRenew it.",
        "vpn remote",
    )


def test_a_language_without_a_stemmer_is_refused() -> None:
    with pytest.raises(ConfigError, match="`languages` names 'xx'"):
        Analysis(("en", "xx"))

ARTICLES = Path(__file__).resolve().parents[2] / "articles"
MIXED_TEXT = "I'd say it doesn't work: e-mail, 802.1x, Wi-Fi, outlook.com, Über, ¿Qué pasó?"


@pytest.mark.parametrize("language", ["en", "es", OTHER])
def test_token_by_token_analysis_gives_what_the_whole_text_gives(language: str) -> None:
    # Terms are worked out once per distinct token; the result must be the analyzer's own
    # on the whole text, in order, for every article of the repository.
    texts = [path.read_text("utf-8") for path in sorted(ARTICLES.rglob("*.md"))]
    analyzers = [ANALYSIS.analyzer(each) for each in (*ANALYSIS.languages, OTHER)]
    for text in [*texts, MIXED_TEXT]:
        whole = [token.text for token in ANALYSIS.analyzer(language)(text)]
        assert ANALYSIS.words(language, text) == whole
        every = {token.text for analyzer in analyzers for token in analyzer(text)}
        assert ANALYSIS.terms(text) == every
