"""parse_article: front matter becomes Article fields; every problem names its file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kb.errors import ArticleParseError
from kb.indexer.parse import parse_article

DATA = Path(__file__).parent.parent / "data"


def parse_error(text: str, path: str = "articles/sample.md") -> ArticleParseError:
    with pytest.raises(ArticleParseError) as raised:
        parse_article(text, path)
    return raised.value


def test_full_front_matter_becomes_fields() -> None:
    path = DATA / "vpn-setup.md"
    article = parse_article(path.read_text(encoding="utf-8"), path)
    assert article.id == "vpn-setup"
    assert article.title == "Set up the VPN on a laptop"
    assert article.summary == "Install the client and sign in with your work account."
    assert article.category == "network"
    assert article.tags == ("vpn", "remote-access", "windows")
    assert article.audience == "internal"
    assert article.status == "review"
    assert article.owner == "network-team"
    assert article.updated == date(2026, 3, 14)
    assert article.review_by == date(2026, 9, 14)
    assert article.related == ("vpn-troubleshooting", "mfa-setup")
    assert article.language == "es"
    assert article.type == "how-to"
    assert article.path == str(path)


def test_unknown_front_matter_keys_are_kept_in_extra() -> None:
    path = DATA / "vpn-setup.md"
    article = parse_article(path.read_text(encoding="utf-8"), path)
    assert dict(article.extra) == {"reviewed_by": "ana", "priority": 3}


def test_body_is_the_text_after_the_front_matter() -> None:
    article = parse_article("---\ntitle: Reset\n---\n\nFirst line.\n\nSecond line.\n", "a.md")
    assert article.body == "First line.\n\nSecond line.\n"


@pytest.mark.parametrize(
    ("text", "path", "expected_id"),
    [
        ("---\ntitle: Reset\n---\nBody\n", "articles/reset-password.md", "reset-password"),
        ("# Reset\nBody\n", "deep/folder/printer.setup.md", "printer.setup"),
        ("---\nid: explicit-id\ntitle: Reset\n---\nBody\n", "articles/other.md", "explicit-id"),
    ],
)
def test_id_defaults_to_the_file_stem(text: str, path: str, expected_id: str) -> None:
    assert parse_article(text, path).id == expected_id


@pytest.mark.parametrize(
    ("text", "expected_title"),
    [
        ("# Reset your password\n\nSteps.\n", "Reset your password"),
        ("Some intro.\n\n# Reset your password #\n", "Reset your password"),
        ("## Not the title\n# The title\n", "The title"),
        ("---\nsummary: Short\n---\n# From the body\n", "From the body"),
        ("---\ntitle: From front matter\n---\n# From the body\n", "From front matter"),
        ("\ufeff# After a byte order mark\n", "After a byte order mark"),
    ],
)
def test_title_comes_from_front_matter_or_first_top_heading(text: str, expected_title: str) -> None:
    assert parse_article(text, "a.md").title == expected_title


def test_article_without_front_matter_uses_defaults() -> None:
    article = parse_article("# Printer offline\n\nRestart it.\n", "printer-offline.md")
    assert (article.audience, article.status, article.language) == ("public", "published", "en")
    assert article.tags == ()
    assert article.body == "# Printer offline\n\nRestart it.\n"


def test_front_matter_closed_by_three_dots_is_accepted() -> None:
    article = parse_article("---\ntitle: Dots\n...\nBody\n", "a.md")
    assert article.title == "Dots"
    assert article.body == "Body\n"


@pytest.mark.parametrize(
    ("text", "line", "message_part"),
    [
        # Unclosed front matter points at the opening fence.
        ("---\ntitle: Reset\n\nBody text\n", 1, "never closed"),
        # Invalid YAML: the opening --- is line 1, so the first YAML line is line 2.
        ("---\ntitle: Reset\nsummary: a: b\n---\nBody\n", 3, "not valid YAML"),
        ("---\ntitle: Reset\ncategory: x\nowner: @bob\n---\nBody\n", 4, "not valid YAML"),
        ("---\n\ttitle: Reset\n---\nBody\n", 2, "not valid YAML"),
        # A list instead of a mapping.
        ("---\n- vpn\n- wifi\n---\nBody\n", 2, "key: value"),
        # `tags` that is not a list points at the `tags:` key.
        (
            "---\ntitle: Reset\ncategory: network\ntags: vpn\n---\nBody\n",
            4,
            "`tags` must be a list",
        ),
        ("---\ntitle: Reset\nrelated: other\n---\nBody\n", 3, "`related` must be a list"),
        ("---\ntitle: Reset\ntags:\n  nested: map\n---\nBody\n", 3, "`tags` must be a list"),
        ("---\ntitle:\n  - a\n  - b\n---\nBody\n", 2, "`title` must be text"),
        # Bad dates.
        ("---\ntitle: Reset\nupdated: next week\n---\nBody\n", 3, "`updated`"),
        ("---\ntitle: Reset\nowner: me\nreview_by: '2026-02-30'\n---\nBody\n", 4, "`review_by`"),
        # Bad id and language.
        ("---\ntitle: Reset\nid: Reset Password\n---\nBody\n", 3, "must be a slug"),
        ("---\ntitle: Reset\nlanguage: english\n---\nBody\n", 3, "must be a code"),
        # No title anywhere.
        ("Just some text.\n## A second-level heading\n", 1, "no title"),
        ("---\nsummary: Short\n---\nNo heading here.\n", 1, "no title"),
    ],
)
def test_errors_name_the_path_and_line(text: str, line: int, message_part: str) -> None:
    error = parse_error(text, "articles/sample.md")
    assert str(error).startswith(f"articles/sample.md:{line}:")
    assert error.line == line
    assert message_part in str(error)


def test_id_from_a_file_stem_that_is_not_a_slug_is_rejected() -> None:
    error = parse_error("# Title\n", "articles/Reset Password.md")
    assert str(error).startswith("articles/Reset Password.md:1:")
    assert "'Reset Password'" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("audience", "everyone", "public, internal"),
        ("status", "live", "draft, review, published, archived"),
        ("type", "guide", "how-to, troubleshooting, faq, reference"),
    ],
)
def test_bad_choice_values_list_the_allowed_values(key: str, value: str, allowed: str) -> None:
    text = f"---\ntitle: Reset\ncategory: accounts\n{key}: {value}\n---\nBody\n"
    error = parse_error(text)
    assert str(error).startswith("articles/sample.md:4:")
    assert f"use one of: {allowed}" in str(error)
    assert repr(value) in str(error)


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        ("2026-03-14", date(2026, 3, 14)),
        ("'2026-03-14'", date(2026, 3, 14)),
        ("2026-03-14 09:30:00", date(2026, 3, 14)),
    ],
)
def test_dates_are_parsed(yaml_value: str, expected: date) -> None:
    article = parse_article(f"---\ntitle: Reset\nupdated: {yaml_value}\n---\n", "a.md")
    assert article.updated == expected


@pytest.mark.parametrize(
    ("yaml_line", "expected_tags"),
    [
        ("tags: [VPN, Wi-Fi]", ("vpn", "wi-fi")),
        ("tags: []", ()),
        ("tags: [' Printer ', '', 2026]", ("printer", "2026")),
    ],
)
def test_tags_are_a_lowercased_tuple(yaml_line: str, expected_tags: tuple[str, ...]) -> None:
    article = parse_article(f"---\ntitle: Reset\n{yaml_line}\n---\n", "a.md")
    assert article.tags == expected_tags


@pytest.mark.parametrize("language", ["en", "es", "pt-BR", "zh-Hant", "ast"])
def test_valid_language_codes_are_accepted(language: str) -> None:
    article = parse_article(f"---\ntitle: Reset\nlanguage: {language}\n---\n", "a.md")
    assert article.language == language


def test_unquoted_impossible_date_is_a_parse_error() -> None:
    error = parse_error("---\ntitle: Reset\nupdated: 2026-02-30\n---\nBody\n")
    assert str(error).startswith("articles/sample.md:3:")


def test_hash_line_inside_a_code_fence_is_not_the_title() -> None:
    text = "Run this first:\n\n```sh\n# restart the agent\n```\n\n# Printer offline\n"
    assert parse_article(text, "a.md").title == "Printer offline"
