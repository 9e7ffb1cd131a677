"""Input checks every edge shares (JSON API, forms, query strings, `kb import`): text, numbers,
choices, emails and JSON bodies, each refused with an InvalidInputError naming the field. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kb.errors import InputTooLargeError, InvalidInputError

# White space as Python's str.strip() and str.split() see it, spelt out: the API document's
# patterns must mean the same, and JSON Schema's \s (ECMAScript's) is another set.
WHITESPACE = (
    "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000"
)
_ADDRESS_PART = f"[^@{WHITESPACE}\\u0000]"
EMAIL = re.compile(f"^{_ADDRESS_PART}{{1,64}}@{_ADDRESS_PART}{{1,255}}\\.{_ADDRESS_PART}{{2,}}$")
# The checks below as kb/web/openapi.json declares them (JSON Schema patterns): text without
# NUL; text with something besides white space; an email address, white space around it
# allowed (it is stripped).
TEXT_PATTERN = "^[^\\u0000]*$"
WORDS_PATTERN = f"^[^\\u0000]*[^\\u0000{WHITESPACE}][^\\u0000]*$"
EMAIL_PATTERN = f"^[{WHITESPACE}]*{EMAIL.pattern[1:-1]}[{WHITESPACE}]*$"
# The longest address SMTP allows; the users table's column is this wide.
MAX_EMAIL_CHARACTERS = 320
# A JSON body holds at most a long article for the editor's preview (60,000 characters, which
# JSON may spell as six bytes each) or a ticket; and kb's objects nest three levels deep. Both
# are checked before parsing, so no body can make the parser recurse until it fails.
MAX_JSON_BYTES = 512 * 1024
MAX_JSON_DEPTH = 20
# Whole numbers in query strings are page numbers and limits; nine digits is plenty, and
# bounds the work of reading one (Python refuses ints past 4,300 digits with a ValueError).
MAX_INTEGER_DIGITS = 9
# NUL ends strings in C and PostgreSQL refuses it; a lone surrogate (U+D800-U+DFFF, which
# JSON can spell as "\ud800") is no character at all, cannot be written as UTF-8, and so
# cannot be stored or shown.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASCII_DIGITS = re.compile(r"[0-9]+")
# A share written the plain way, "0.35", ".35" or "1": float() also takes "nan", "1e-3" and
# digits of other scripts, none of which a form's number field sends.
_SHARE = re.compile(r"[0-9]{1,3}(\.[0-9]{0,12})?|\.[0-9]{1,12}")


def check_text(value: str, name: str) -> str:
    """`value` unless it holds a NUL or a lone surrogate; InvalidInputError naming `name`."""
    found = _NOT_TEXT.search(value)
    if found is not None:
        what = (
            "a NUL character"
            if found.group() == "\x00"
            else f"a lone surrogate (U+{ord(found.group()):04X}), which is not a character"
        )
        raise InvalidInputError(f"`{name}` holds {what}; send plain UTF-8 text", field=name)
    return value


def scrub(value: str) -> str:
    """`value` with each lone surrogate replaced by U+FFFD, for text stored before the checks."""
    return _SURROGATE.sub("\ufffd", value)


def check_strings(value: Any, name: str) -> None:
    """check_text on every string in a parsed JSON value, keys included, naming where it is."""
    if isinstance(value, str):
        check_text(value, name or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, f"{name} key" if name else "a key")
            check_strings(item, f"{name}.{key}" if name else key)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            check_strings(item, f"{name}[{position}]")


def json_depth(text: str) -> int:
    """How deeply the arrays and objects in JSON `text` nest (strings skipped), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def parse_json_object(
    raw: bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> dict[str, Any]:
    """The JSON object in `raw`, its size, nesting, syntax and every string checked first."""
    if len(raw) > max_bytes:
        raise InputTooLargeError(f"keep the JSON body under {max_bytes // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"the body is not UTF-8 (byte {error.start}): send JSON encoded as UTF-8"
        ) from None
    if json_depth(text) > max_depth:
        raise InvalidInputError(f"the JSON body nests deeper than {max_depth} levels")
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except ValueError as error:  # JSONDecodeError, or a number past Python's digit limit
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        raise InvalidInputError(f"the body is not valid JSON: {detail}") from None
    if not isinstance(body, dict):
        raise InvalidInputError('send a JSON object, like {"subject": "…"}')
    check_strings(body, "")
    return body


def _no_constant(name: str) -> Any:
    raise InvalidInputError(f"the body is not valid JSON: {name} is not a JSON number")


def text(
    body: Mapping[str, Any], name: str, *, required: bool = True, max_length: int | None = None
) -> str:
    """The text field `name` of a JSON object ("" when absent and not required)."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInputError(f"`{name}` is required", field=name)
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(f"`{name}` must be text, not {_json_type(value)}", field=name)
    check_text(value, name)
    if required and not value.strip():
        raise InvalidInputError(f"`{name}` must not be empty", field=name)
    if max_length is not None and len(value) > max_length:
        raise InvalidInputError(f"keep `{name}` under {max_length} characters", field=name)
    return value


def optional_text(
    body: Mapping[str, Any], name: str, *, max_length: int | None = None
) -> str | None:
    """The text field `name`, or None when it is absent, null or blank."""
    return text(body, name, required=False, max_length=max_length).strip() or None


def boolean(body: Mapping[str, Any], name: str, *, default: bool | None = None) -> bool:
    """The true/false field `name`; absent means `default` (required when None)."""
    value = body.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, bool):
        raise InvalidInputError(f"`{name}` must be true or false", field=name)
    return value


def only_fields(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse fields other than `allowed`, so a misspelt field is not silently ignored."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInputError(
            f"`{unknown[0]}` is not a field of this request; send only: "
            f"{', '.join(sorted(allowed)) or 'an empty object'}",
            field=unknown[0],
        )


def choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    """`value` if it is one of `allowed`."""
    if value not in allowed:
        raise InvalidInputError(f"`{name}` must be one of: {', '.join(allowed)}", field=name)
    return value


def choices(values: Iterable[str], name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The non-empty `values`, each one of `allowed` (a repeated query-string field)."""
    return tuple(choice(value, name, allowed) for value in values if value)


def integer(value: str | None, name: str, *, default: int, low: int, high: int) -> int:
    """A whole number from a query string or form, written in ASCII digits (not "²" or "٣")."""
    if value is None or value == "":
        return default
    if not _ASCII_DIGITS.fullmatch(value) or len(value) > MAX_INTEGER_DIGITS:
        raise InvalidInputError(
            f"`{name}` must be a whole number from {low} to {high}, in digits 0-9", field=name
        )
    number = int(value)
    if not low <= number <= high:
        raise InvalidInputError(f"`{name}` must be a whole number from {low} to {high}", field=name)
    return number


def share(value: str | None, name: str) -> float | None:
    """A number from 0 to 1 from a form, written in ASCII digits with a point ("0.35"), or
    None when the field is left empty."""
    if value is None or not value.strip():
        return None
    if not _SHARE.fullmatch(value.strip()) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(
            f"`{name}` must be a number from 0 to 1 written like 0.35", field=name
        )
    return float(value)


def email(value: str, name: str) -> str:
    """An email address, stripped."""
    if not EMAIL.match(value.strip()):
        raise InvalidInputError(
            f"`{name}` must be an email address like ana@example.com", field=name
        )
    return value.strip()


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
