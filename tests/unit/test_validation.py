"""kb.validation, the checks every edge shares, as tables of inputs and what they give."""

from __future__ import annotations

import json
import re

import pytest

from kb.errors import InputTooLargeError, InvalidInputError
from kb.validation import (
    MAX_JSON_DEPTH,
    boolean,
    check_text,
    choices,
    email,
    integer,
    json_depth,
    only_fields,
    optional_text,
    parse_json_object,
    scrub,
    share,
    text,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("  ", None),
        ("0.35", 0.35),
        (" .5 ", 0.5),
        ("1", 1.0),
        ("0", 0.0),
        ("1.000", 1.0),
        ("1.01", "from 0 to 1"),
        ("-0.1", "from 0 to 1"),
        ("nan", "from 0 to 1"),
        ("inf", "from 0 to 1"),
        ("3e-1", "from 0 to 1"),
        ("٠.٥", "from 0 to 1"),
        ("0,35", "from 0 to 1"),
        ("0." + "1" * 40, "from 0 to 1"),
    ],
)
def test_shares_are_plain_numbers_from_0_to_1(
    value: str | None, expected: float | str | None
) -> None:
    if isinstance(expected, str):
        with pytest.raises(
            InvalidInputError, match=f"`show_threshold` must be a number {expected}"
        ):
            share(value, "show_threshold")
    else:
        assert share(value, "show_threshold") == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("fine text, ünïcödé and emoji 🙂", None),
        ("tab\tand\nnewline", None),
        ("a\x00b", "`subject` holds a NUL character"),
        ("\ud800", "`subject` holds a lone surrogate (U+D800)"),
        ("ok \udfff", "`subject` holds a lone surrogate (U+DFFF)"),
    ],
)
def test_text_without_nul_or_lone_surrogates(value: str, problem: str | None) -> None:
    if problem is None:
        assert check_text(value, "subject") == value
    else:
        with pytest.raises(InvalidInputError, match=re.escape(problem)):
            check_text(value, "subject")


def test_scrub_replaces_only_lone_surrogates() -> None:
    assert scrub("a\ud800b 🙂") == "a\ufffdb 🙂"


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('{"a": "[[[[{{{{"}', 1),
        ('{"a": "\\"[[[["}', 1),
        ("[" * 5000 + "]" * 5000, 5000),
        ("3", 0),
    ],
)
def test_json_depth_skips_strings(raw: str, depth: int) -> None:
    assert json_depth(raw) == depth


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (b"[" * 2000 + b"]" * 2000, InvalidInputError, f"deeper than {MAX_JSON_DEPTH} levels"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, InvalidInputError, "deeper than"),
        (b'{"subject": "' + b"x" * 600_000 + b'"}', InputTooLargeError, "under 512 KiB"),
        (b'{"subject": "\xff\xfe"}', InvalidInputError, "not UTF-8"),
        (b"{not json", InvalidInputError, "not valid JSON"),
        (b'{"k": NaN}', InvalidInputError, "NaN is not a JSON number"),
        (b'{"k": ' + b"9" * 5000 + b"}", InvalidInputError, "not valid JSON"),
        (b'["a", "list"]', InvalidInputError, "send a JSON object"),
        (b'{"subject": "\\ud800"}', InvalidInputError, "`subject` holds a lone surrogate"),
        (b'{"\\ud800": 1}', InvalidInputError, "`a key` holds a lone surrogate"),
        (b'{"a": {"b": ["ok", "\\u0000"]}}', InvalidInputError, r"`a\.b\[1\]` holds a NUL"),
    ],
)
def test_json_bodies_are_bounded_before_parsing(raw: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        parse_json_object(raw)


def test_a_good_json_body_is_parsed() -> None:
    body = {"subject": "VPN ✓", "nested": {"list": [1, 2.5, True, None]}}
    assert parse_json_object(json.dumps(body).encode()) == body
    assert parse_json_object(json.dumps(body, ensure_ascii=False).encode()) == body


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 10),
        ("", 10),
        ("7", 7),
        ("50", 50),
        ("²", "in digits 0-9"),
        ("٣", "in digits 0-9"),
        ("３", "in digits 0-9"),
        ("-1", "in digits 0-9"),
        ("+5", "in digits 0-9"),
        (" 5", "in digits 0-9"),
        ("5.0", "in digits 0-9"),
        ("0", "from 1 to 50"),
        ("51", "from 1 to 50"),
        ("9" * 5000, "in digits 0-9"),
    ],
)
def test_integers_are_ascii_digits_in_range(value: str | None, expected: int | str) -> None:
    if isinstance(expected, int):
        assert integer(value, "k", default=10, low=1, high=50) == expected
    else:
        with pytest.raises(InvalidInputError, match=f"`k` must be a whole number.*{expected}"):
            integer(value, "k", default=10, low=1, high=50)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "`subject` is required"),
        ({"subject": None}, "`subject` is required"),
        ({"subject": "  "}, "`subject` must not be empty"),
        ({"subject": 3}, "`subject` must be text, not a number"),
        ({"subject": True}, "`subject` must be text, not true or false"),
        ({"subject": ["a"]}, "`subject` must be text, not a list"),
        ({"subject": {"a": 1}}, "`subject` must be text, not an object"),
        ({"subject": "x" * 11}, "keep `subject` under 10 characters"),
    ],
)
def test_text_fields_name_what_is_wrong(body: dict, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem) as raised:
        text(body, "subject", max_length=10)
    assert raised.value.field == "subject"


def test_optional_text_booleans_choices_fields_and_emails() -> None:
    assert optional_text({}, "category") is None
    assert optional_text({"category": "  "}, "category") is None
    assert optional_text({"category": " network "}, "category") == "network"
    assert boolean({}, "shareable", default=False) is False
    assert boolean({"shareable": True}, "shareable") is True
    with pytest.raises(InvalidInputError, match="`helpful` must be true or false"):
        boolean({"helpful": "yes"}, "helpful")
    with pytest.raises(InvalidInputError, match="`helpful` must be true or false"):
        boolean({}, "helpful")
    assert choices(["article", ""], "kind", ("article", "ticket")) == ("article",)
    with pytest.raises(InvalidInputError, match="`kind` must be one of: article, ticket"):
        choices(["page"], "kind", ("article", "ticket"))
    with pytest.raises(InvalidInputError, match="`owner` is not a field of this request"):
        only_fields({"status": "open", "owner": "x"}, ("status", "priority"))
    assert email(" ana@example.com ", "requester_email") == "ana@example.com"
    with pytest.raises(InvalidInputError, match="`requester_email` must be an email address"):
        email("ana@localhost", "requester_email")
