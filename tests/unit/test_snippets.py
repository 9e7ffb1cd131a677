"""Snippets: the best window of a chunk, with the query's words marked."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from kb.indexer.analysis import Analysis
from kb.indexer.chunk import markdown_to_plain
from kb.model import Snippet
from kb.search.snippets import QueryWords, distinct_words, make_snippet


def matcher(*terms: str) -> Callable[[str], bool]:
    wanted = {term.lower() for term in terms}
    return lambda word: word.lower() in wanted


def numbered_words(count: int, replacements: dict[int, str] | None = None) -> str:
    """`count` filler words w0, w1, ... with some positions replaced by real words."""
    words = [f"w{number}" for number in range(count)]
    for position, word in (replacements or {}).items():
        words[position] = word
    return " ".join(words)


def test_window_with_the_most_distinct_matches_wins() -> None:
    # One match early on, two distinct matches together later.
    text = numbered_words(100, {10: "vpn", 60: "VPN", 62: "password"})
    snippet = make_snippet(text, matcher("vpn", "password"), width=10)
    assert snippet.plain == "…w57 w58 w59 VPN w61 password w63 w64 w65 w66…"
    assert [text for text, hit in snippet.pieces if hit] == ["VPN", "password"]


def test_repeats_of_one_word_do_not_beat_two_different_words() -> None:
    text = numbered_words(60, {5: "vpn", 6: "vpn", 7: "vpn", 40: "vpn", 42: "reset"})
    snippet = make_snippet(text, matcher("vpn", "reset"), width=8)
    assert "reset" in [text for text, hit in snippet.pieces if hit]


@pytest.mark.parametrize("seed", range(25))
def test_the_window_holds_as_many_distinct_matches_as_the_best_one(seed: int) -> None:
    # Against every window counted the slow way: the snippet's marked words are as many
    # distinct words as the richest window of that width holds.
    chooser = random.Random(seed)
    vocabulary = ["vpn", "token", "reset", "printer", "w"]
    words = [chooser.choice(vocabulary) for _ in range(chooser.randint(1, 80))]
    width = chooser.randint(1, 12)
    is_match = matcher("vpn", "token", "reset")
    richest = max(
        len({word for word in words[start : start + width] if is_match(word)})
        for start in range(max(1, len(words) - width + 1))
    )
    snippet = make_snippet(" ".join(words), is_match, width=width)
    assert len({text for text, hit in snippet.pieces if hit}) == richest


@pytest.mark.parametrize(
    ("text", "width", "starts_cut", "ends_cut"),
    [
        ("Reset the VPN now", 10, False, False),
        (numbered_words(50, {2: "vpn"}), 10, False, True),
        (numbered_words(50, {48: "vpn"}), 10, True, False),
        (numbered_words(50, {25: "vpn"}), 10, True, True),
    ],
)
def test_ellipses_mark_where_text_was_cut(
    text: str, width: int, starts_cut: bool, ends_cut: bool
) -> None:
    plain = make_snippet(text, matcher("vpn"), width=width).plain
    assert plain.startswith("…") is starts_cut
    assert plain.endswith("…") is ends_cut
    assert "vpn" in plain.lower()
    assert len(plain.strip("…").split()) <= width


def test_without_matches_the_snippet_is_the_start_of_the_text() -> None:
    snippet = make_snippet(numbered_words(50), matcher("absent"), width=5)
    assert snippet.plain == "w0 w1 w2 w3 w4…"
    assert all(not hit for _, hit in snippet.pieces)


def test_short_text_is_kept_whole_with_matches_marked() -> None:
    snippet = make_snippet("Reset the VPN\n\n  now", matcher("vpn"))
    assert snippet.pieces == (("Reset the ", False), ("VPN", True), (" now", False))
    assert snippet.marked() == "Reset the **VPN** now"
    assert snippet.marked("[", "]") == "Reset the [VPN] now"


@pytest.mark.parametrize(
    ("text", "plain"),
    [("", ""), ("   ", ""), ("...", "..."), (" -- ", "--")],
)
def test_text_without_words(text: str, plain: str) -> None:
    snippet = make_snippet(text, matcher("vpn"))
    assert snippet.plain == plain
    assert all(not hit for _, hit in snippet.pieces)


def test_words_with_inner_punctuation_match_whole() -> None:
    snippet = make_snippet("Open wi-fi settings and user's profile", matcher("wi-fi", "user's"))
    assert [text for text, hit in snippet.pieces if hit] == ["wi-fi", "user's"]


def test_html_escapes_text_and_marks_matches() -> None:
    text = "<script>alert('x')</script> reset your password & <b>vpn</b>"
    html = make_snippet(text, matcher("password", "vpn")).html()
    assert "<script" not in html
    assert "</script>" not in html
    assert "<b>" not in html
    assert "&lt;/script&gt;" in html
    assert "<mark>password</mark>" in html
    assert "<mark>vpn</mark>" in html
    assert "&amp;" in html


def test_html_escapes_inside_a_mark() -> None:
    snippet = make_snippet("a b c", lambda word: word == "b")
    assert snippet.html() == "a <mark>b</mark> c"
    assert Snippet((("<i>", True),)).html() == "<mark>&lt;i&gt;</mark>"


HELP_DESK_WORDS = [
    "VPN",
    "vpn's",
    "Passwords",
    "password",
    "reset",
    "resetting",
    "e-mail",
    "mail",
    "Mails",
    "Configuración",
    "configurar",
    "contraseña",
    "contraseñas",
    "wi-fi",
    "Wi-Fi",
    "router",
    "printer",
    "printing",
    "prints",
    "Outlook",
    "outlook.com",
    "office",
    "the",
    "a",
    "é",
    "Über",
    "uber",
    "tokens",
    "2fa",
    "MFA",
    "laptop",
    "laptops",
]


@pytest.mark.parametrize("seed", range(20))
def test_query_words_match_as_asking_every_word_would(seed: int) -> None:
    # The openings only spare analysing words that cannot match: the words found are those
    # a search asking the analyzers about every word finds.
    chooser = random.Random(seed)
    analysis = Analysis(("en", "es"))
    text = " ".join(chooser.choice(HELP_DESK_WORDS) for _ in range(chooser.randint(0, 60)))
    query = " ".join(chooser.sample(HELP_DESK_WORDS, chooser.randint(1, 4)))
    terms = analysis.terms(query)
    every_word = {
        word for word in distinct_words(text) if not analysis.terms(word).isdisjoint(terms)
    }
    assert QueryWords(analysis.terms, terms).matching(text) == every_word


def test_query_words_analyse_only_words_that_could_match() -> None:
    asked: list[str] = []

    def word_terms(word: str) -> set[str]:
        asked.append(word)
        return {word.lower()}

    found = QueryWords(word_terms, {"vpn", "mail"}).matching("The VPN drops e-mail and printers")
    assert found == {"VPN"}
    assert sorted(asked) == ["VPN", "e-mail"]


def test_a_tables_pipes_and_rule_rows_become_one_separator_between_cells() -> None:
    text = (
        "| Síntoma | Causa | Solución |\n|---|:---:|---|\n"
        "| Su buzón está lleno | Cuota | Vacíe Elementos eliminados |\n"
    )
    snippet = make_snippet(text, matcher("buzón"), width=40)
    assert snippet.plain == (
        "Síntoma · Causa · Solución · Su buzón está lleno · Cuota · Vacíe Elementos eliminados"
    )
    assert [text for text, hit in snippet.pieces if hit] == ["buzón"]


def test_hyphens_and_dashes_outside_tables_stay() -> None:
    text = "Wi-Fi drops - reconnect to the network - then sign in"
    assert make_snippet(text, matcher("network")).plain == text


def test_list_items_read_as_prose_without_their_dashes() -> None:
    # A section as the chunker stores it: emphasis and code gone, the list's dashes kept.
    text = markdown_to_plain(
        "- Ten abierto el ticket (por ejemplo, `INC0012345`): el técnico te lo pedirá.\n"
        "- Guarda tu trabajo y cierra los **documentos**\n"
        "* Si trabajas fuera, no hace falta la VPN\n"
        "+ Basta con tener Internet"
    )
    snippet = make_snippet(text, matcher("guarda", "vpn"), width=40)
    assert snippet.plain == (
        "Ten abierto el ticket (por ejemplo, INC0012345): el técnico te lo pedirá. "
        "Guarda tu trabajo y cierra los documentos · Si trabajas fuera, no hace falta la VPN"
        " · Basta con tener Internet"
    )
    assert [text for text, hit in snippet.pieces if hit] == ["Guarda", "VPN"]


def test_markdown_left_in_a_chunk_is_not_shown() -> None:
    text = "Intro\n## Pasos\nPulsa **Enviar** y escribe `Asistencia rápida` ~~ya~~ en *Inicio*"
    snippet = make_snippet(text, matcher("enviar", "inicio"), width=40)
    assert snippet.plain == "Intro · Pasos Pulsa Enviar y escribe Asistencia rápida ya en Inicio"
    assert snippet.html() == (
        "Intro · Pasos Pulsa <mark>Enviar</mark> y escribe Asistencia rápida ya en "
        "<mark>Inicio</mark>"
    )


def test_a_dash_inside_a_line_or_a_hash_after_a_word_stays() -> None:
    text = "Wi-Fi drops - reconnect\nthen ask in #it-help about C# builds"
    assert make_snippet(text, matcher("network")).plain == (
        "Wi-Fi drops - reconnect then ask in #it-help about C# builds"
    )
