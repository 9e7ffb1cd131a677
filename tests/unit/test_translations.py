"""The interface's catalogues: every message translated into Spanish, no requester text left out.

`make messages` gathers the messages into kb/translations/*/LC_MESSAGES/messages.po; a message
added to a template or view without a translation fails here, as does text written into a
requester page without `_()` or `{% trans %}`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.checkers import python_format
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

REPOSITORY = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPOSITORY / "kb" / "translations"
TEMPLATES = REPOSITORY / "kb" / "web" / "templates"
LANGUAGES = ["es"]
# The agents' and managers' pages may stay in English for now; every other template is seen
# by requesters and must be translated whole.
WORKSPACE_PREFIXES = ("desk_", "knowledge_", "admin_", "insights_")
# Attributes a person reads or hears.
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "label"}
# What a Jinja expression leaves in a template's HTML for the check: no word of its own.
HOLE = "\u00a4"


def source_messages() -> dict[str, str]:
    """Every message the interface uses, as `make messages` extracts it: id -> where."""
    with (REPOSITORY / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    # As the Makefile's `-k lazy_gettext -k Text` (Text: the reports' words, kb/insights).
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "Text": None}
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(REPOSITORY), method_map, options_map, keywords=keywords
    ):
        key = message[0] if isinstance(message, tuple) else message
        found.setdefault(key, filename)
    return found


def catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as readable:
        return read_po(readable, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(language: str) -> None:
    translated = catalogue(language)
    missing = []
    for message_id, where in sorted(source_messages().items()):
        entry = translated.get(message_id)
        strings = entry.string if entry is not None else ""
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(forms):
            missing.append(f"{where}: {message_id!r}")
    assert missing == [], (
        f"{len(missing)} message(s) without a {language} translation; run `make messages` "
        f"and translate them in kb/translations/{language}/LC_MESSAGES/messages.po"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    translated = catalogue(language)
    problems = []
    for entry in translated:
        if not entry.id or not entry.string:
            continue
        try:
            python_format(translated, entry)
        except Exception as error:  # babel's TranslationError, raised per message
            problems.append(f"{entry.id!r}: {error}")
        placeholders = set(re.findall(r"%\((\w+)\)s", str(entry.id)))
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for text in strings:
            if set(re.findall(r"%\((\w+)\)s", text)) != placeholders:
                problems.append(f"{entry.id!r}: placeholders differ in {text!r}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    compiled = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert compiled.exists(), f"{compiled} is missing: `make install` (or pip install) builds it"
    with compiled.open("rb") as readable:
        shipped = {as_key(item.id): as_key(item.string) for item in read_mo(readable) if item.id}
    written = {as_key(item.id): as_key(item.string) for item in catalogue(language) if item.id}
    assert shipped == written, "the .mo is older than its .po: run `make install`"


def as_key(value: object) -> object:
    """Plural messages read back from a .mo are lists; from a .po, tuples."""
    return tuple(value) if isinstance(value, list | tuple) else value


class LiteralText(HTMLParser):
    """Collects words in a template's HTML once every Jinja expression has been taken out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and has_words(value):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and has_words(data):
            self.found.append(" ".join(data.replace(HOLE, " ").split()))


def has_words(text: str) -> bool:
    return re.search(r"[^\W\d_]{2,}", text) is not None


def untranslated_text(source: str) -> list[str]:
    """Words a template writes outside `_()`, `{{ }}` and `{% trans %}`."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.DOTALL)
    source = re.sub(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", "", source, flags=re.DOTALL)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", HOLE, source, flags=re.DOTALL)
    parser = LiteralText()
    parser.feed(source)
    parser.close()
    return parser.found


REQUESTER_TEMPLATES = sorted(
    path.name for path in TEMPLATES.glob("*.html") if not path.name.startswith(WORKSPACE_PREFIXES)
)


@pytest.mark.parametrize("name", REQUESTER_TEMPLATES)
def test_requester_pages_have_no_untranslated_text(name: str) -> None:
    found = untranslated_text((TEMPLATES / name).read_text("utf-8"))
    assert found == [], f"wrap these in _() or {{% trans %}} and translate them: {found}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>{{ _('Hello') }}</p>", []),
        ("<p>Hello</p>", ["Hello"]),
        ('<input placeholder="Type here">', ["<input placeholder='Type here'>"]),
        ("<p>{% trans %}Hello <b>there</b>{% endtrans %}</p>", []),
        ("<p>{{ count }} · {{ total }} (3)</p>", []),
        ("<script>var x = 'words';</script>", []),
        ("{# a comment #}<p>{{ a }}: ok</p>", [": ok"]),
    ],
)
def test_the_check_finds_literal_text(source: str, expected: list[str]) -> None:
    assert untranslated_text(source) == expected
