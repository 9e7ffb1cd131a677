"""Chunking: sections along headings, anchors, word limits, and Markdown reduced to text."""

from __future__ import annotations

import pytest

from kb.indexer.chunk import chunk_document, embedding_text, markdown_to_plain, slugify
from kb.model import Chunk, Document


def document(body: str, *, summary: str = "", title: str = "Guide") -> Document:
    return Document(id="guide", kind="article", title=title, body=body, summary=summary)


def chunks_of(body: str, max_words: int = 100, *, summary: str = "") -> list[Chunk]:
    return chunk_document(document(body, summary=summary), max_words)


NESTED_BODY = """Intro paragraph.

## Install
Download the client.

### Windows
Run the installer.

### macOS
Open the package.

## Sign in
Use your work account.

# Appendix
## Logs
Logs live in the temp folder.
"""


def test_sections_follow_headings_in_reading_order() -> None:
    chunks = chunks_of(NESTED_BODY)
    assert [chunk.text for chunk in chunks] == [
        "Intro paragraph.",
        "Download the client.",
        "Run the installer.",
        "Open the package.",
        "Use your work account.",
        "Logs live in the temp folder.",
    ]
    assert [chunk.position for chunk in chunks] == list(range(6))
    assert [chunk.id for chunk in chunks] == [f"guide#{number}" for number in range(6)]
    assert {chunk.document_id for chunk in chunks} == {"guide"}


def test_heading_paths_nest_by_level() -> None:
    paths = [chunk.heading_path for chunk in chunks_of(NESTED_BODY)]
    assert paths == [
        (),
        ("Install",),
        ("Install", "Windows"),
        ("Install", "macOS"),
        ("Sign in",),
        ("Appendix", "Logs"),
    ]


def test_anchors_are_slugs_of_the_headings() -> None:
    anchors = [chunk.anchor for chunk in chunks_of(NESTED_BODY)]
    assert anchors == ["", "install", "windows", "macos", "sign-in", "logs"]


def test_repeated_headings_get_numbered_anchors() -> None:
    body = "## Steps\nOne.\n\n## Steps\nTwo.\n\n## Steps\nThree.\n"
    chunks = chunks_of(body)
    assert [chunk.anchor for chunk in chunks] == ["steps", "steps_1", "steps_2"]
    assert len({chunk.anchor for chunk in chunks}) == 3


def test_heading_markup_is_removed_from_path_and_anchor() -> None:
    (chunk,) = chunks_of("## Configure **`proxy`** in [Settings](https://example.org)\nText.\n")
    assert chunk.heading_path == ("Configure proxy in Settings",)
    assert chunk.anchor == "configure-proxy-in-settings"


@pytest.mark.parametrize("fence", ["```", "~~~", "```bash"])
def test_hash_lines_inside_code_fences_are_not_headings(fence: str) -> None:
    body = f"## Restart\nRun:\n\n{fence}\n# stop the service\necho done\n{fence[:3]}\n\nAfter.\n"
    chunks = chunks_of(body)
    assert len(chunks) == 1
    assert chunks[0].heading_path == ("Restart",)
    assert "# stop the service" in chunks[0].text
    assert "After." in chunks[0].text


def test_heading_after_a_closed_fence_is_a_heading_again() -> None:
    body = "## One\n```\n# comment\n```\n## Two\nText.\n"
    assert [chunk.heading_path for chunk in chunks_of(body)] == [("One",), ("Two",)]


@pytest.mark.parametrize(
    ("body", "max_words", "expected_texts"),
    [
        # Paragraphs are kept together while they fit.
        ("one two\n\nthree four\n\nfive six\n", 4, ["one two\n\nthree four", "five six"]),
        # A paragraph alone longer than the limit is cut mid-paragraph.
        ("a b c d e f g\n", 3, ["a b c", "d e f", "g"]),
        # Exactly at the limit: one chunk.
        ("a b c\n", 3, ["a b c"]),
    ],
)
def test_long_sections_are_split_under_max_words(
    body: str, max_words: int, expected_texts: list[str]
) -> None:
    chunks = chunks_of(body, max_words)
    assert [chunk.text for chunk in chunks] == expected_texts
    assert all(len(chunk.text.split()) <= max_words for chunk in chunks)


def test_split_chunks_keep_their_section_heading_and_anchor() -> None:
    body = "## Steps\n" + " ".join(f"word{number}" for number in range(25)) + "\n"
    chunks = chunks_of(body, max_words=10)
    assert len(chunks) == 3
    assert {chunk.heading_path for chunk in chunks} == {("Steps",)}
    assert {chunk.anchor for chunk in chunks} == {"steps"}
    assert " ".join(chunk.text for chunk in chunks).split() == [
        f"word{number}" for number in range(25)
    ]


def test_long_list_is_split_under_max_words_without_repeating_text() -> None:
    body = "## Steps\n- one two three\n- four five six\n- seven eight nine\n"
    chunks = chunks_of(body, max_words=4)
    assert all(len(chunk.text.split()) <= 4 for chunk in chunks)
    assert " ".join(chunk.text for chunk in chunks).split().count("one") == 1


@pytest.mark.parametrize(
    ("body", "summary", "expected_text"),
    [
        ("", "", ""),
        ("", "A short summary.", "A short summary."),
        ("# Only a heading\n", "", ""),
        ("\n\n   \n", "Summary.", "Summary."),
    ],
)
def test_empty_body_still_yields_one_chunk(body: str, summary: str, expected_text: str) -> None:
    chunks = chunks_of(body, summary=summary)
    assert len(chunks) == 1
    assert chunks[0].text == expected_text
    assert chunks[0].id == "guide#0"
    assert chunks[0].heading_path == ()


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("See [the guide](https://example.org/guide) first", "See the guide first"),
        ("![VPN icon](img/vpn.png) Connect", "VPN icon Connect"),
        ("Click **Save** then __Close__", "Click Save then Close"),
        ("This is *really* important", "This is really important"),
        ("Run `ipconfig /flushdns` now", "Run ipconfig /flushdns now"),
        ("Press <kbd>Ctrl</kbd>+<kbd>C</kbd>", "Press Ctrl+C"),
        ("> Note: back up first", "Note: back up first"),
        ("snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"),
        ("lots   of \t spaces", "lots of spaces"),
    ],
)
def test_markdown_to_plain_strips_markup_and_keeps_text(markdown: str, plain: str) -> None:
    assert markdown_to_plain(markdown) == plain


def test_markdown_to_plain_drops_table_rules_but_keeps_cells() -> None:
    table = "| Setting | Value |\n|---|:---:|\n| Proxy | off |"
    plain = markdown_to_plain(table)
    assert "---" not in plain
    for cell in ("Setting", "Value", "Proxy", "off"):
        assert cell in plain


def test_fenced_code_keeps_code_but_not_the_language_tag() -> None:
    assert markdown_to_plain("```bash\necho hi\n```") == "echo hi"


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Configuración", "configuracion"),
        ("Configuración de la VPN", "configuracion-de-la-vpn"),
        ("¿Qué pasa?", "que-pasa"),
        ("Reset  your -- Password!", "reset-your-password"),
        ("Wi-Fi & Ethernet", "wi-fi-ethernet"),
        ("snake_case stays", "snake_case-stays"),
        ("!!!", "section"),
        ("", "section"),
    ],
)
def test_slugify(heading: str, slug: str) -> None:
    assert slugify(heading) == slug


def test_slugify_makes_anchors_unique_within_taken() -> None:
    taken = {"setup"}
    assert slugify("Setup", taken) == "setup_1"
    assert slugify("Setup", taken) == "setup_2"
    assert slugify("Other", taken) == "other"
    assert taken == {"setup", "setup_1", "setup_2", "other"}


@pytest.mark.parametrize(
    ("heading_path", "expected"),
    [
        (("Install", "Windows"), "VPN guide: Install > Windows\nRun the installer."),
        ((), "VPN guide\nRun the installer."),
    ],
)
def test_embedding_text_puts_title_and_heading_path_first(
    heading_path: tuple[str, ...], expected: str
) -> None:
    chunk = Chunk(
        id="guide#0",
        document_id="guide",
        position=0,
        heading_path=heading_path,
        anchor="",
        text="Run the installer.",
    )
    assert embedding_text(document("", title="VPN guide"), chunk) == expected
