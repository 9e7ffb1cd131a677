"""Parse a Markdown article with YAML front matter into an Article, validating every field.

Pure: takes the text and the path it came from, reads no files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import PurePath
from typing import Any

import yaml

from kb.errors import ArticleParseError
from kb.model import ARTICLE_TYPES, AUDIENCES, STATUSES, Article

KNOWN_KEYS = (
    "id",
    "title",
    "summary",
    "category",
    "tags",
    "audience",
    "status",
    "owner",
    "updated",
    "review_by",
    "related",
    "language",
    "type",
)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
FENCE = "---"


def parse_article(text: str, path: str | PurePath) -> Article:
    """Return the Article in `text`; raise ArticleParseError naming path and line otherwise.

    Front matter is optional: without it the title comes from the first `# ` heading.
    """
    path = PurePath(path)
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    front_matter: Mapping[str, Any] = {}
    body = text
    key_lines: dict[str, int] = {}
    if lines and lines[0].strip() == FENCE:
        closing = next(
            (number for number in range(1, len(lines)) if lines[number].strip() in {FENCE, "..."}),
            None,
        )
        if closing is None:
            raise ArticleParseError(
                path, 1, "front matter opened with `---` is never closed by a second `---` line"
            )
        front_matter = _load_yaml(lines[1:closing], path)
        key_lines = _key_lines(lines[1:closing])
        body = "\n".join(lines[closing + 1 :]).strip("\n") + "\n"

    def fail(key: str, problem: str) -> ArticleParseError:
        return ArticleParseError(path, key_lines.get(key, 1), f"front matter: {problem}")

    fields = _validated_fields(front_matter, fail)
    if "title" not in fields:
        heading = _first_title_heading(body)
        if heading is None:
            raise ArticleParseError(
                path, 1, "no title: add `title:` to the front matter or start with a `# ` heading"
            )
        fields["title"] = heading
    fields.setdefault("id", path.stem)
    if not ID_PATTERN.match(fields["id"]):
        raise fail(
            "id",
            f"`id` {fields['id']!r} must be a slug of lowercase letters, digits, `-`, `_` or `.`",
        )
    extra = {key: value for key, value in front_matter.items() if key not in KNOWN_KEYS}
    return Article(body=body, path=str(path), extra=extra, **fields)


def _first_title_heading(body: str) -> str | None:
    """The text of the first `# ` heading outside fenced code blocks."""
    in_fence = False
    for line in body.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
            continue
        match = None if in_fence else re.match(r"^#\s+(.+?)\s*#*\s*$", line)
        if match:
            return match.group(1)
    return None


def _load_yaml(lines: list[str], path: PurePath) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load("\n".join(lines))
    except ValueError:
        # PyYAML raises a bare ValueError for impossible dates such as 2026-02-30. Read
        # everything as text instead; field validation then names the key and its line.
        data = yaml.load("\n".join(lines), Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # Line 1 of the file is the opening `---`, so YAML line 0 is file line 2.
        line = mark.line + 2 if mark is not None else 1
        problem = error.problem or "invalid YAML"
        raise ArticleParseError(path, line, f"front matter is not valid YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise ArticleParseError(path, 1, f"front matter is not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ArticleParseError(path, 2, "front matter must be `key: value` lines")
    return {str(key): value for key, value in data.items()}


def _key_lines(lines: list[str]) -> dict[str, int]:
    found = {}
    for number, line in enumerate(lines, start=2):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match and match.group(1) not in found:
            found[match.group(1)] = number
    return found


def _validated_fields(front_matter: Mapping[str, Any], fail: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("id", "title", "summary", "category", "owner"):
        value = front_matter.get(key)
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            raise fail(key, f"`{key}` must be text, not a {type(value).__name__}")
        text = str(value).strip()
        if text:
            fields[key] = text
    for key in ("tags", "related"):
        value = front_matter.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(
            isinstance(item, (str, int, float)) for item in value
        ):
            raise fail(key, f"`{key}` must be a list, like `{key}: [vpn, remote-access]`")
        items = [str(item).strip() for item in value if str(item).strip()]
        fields[key] = tuple(item.lower() for item in items) if key == "tags" else tuple(items)
    for key, allowed in (("audience", AUDIENCES), ("status", STATUSES), ("type", ARTICLE_TYPES)):
        value = front_matter.get(key)
        if value is None:
            continue
        if str(value) not in allowed:
            raise fail(key, f"`{key}` is {value!r}; use one of: {', '.join(allowed)}")
        fields[key] = str(value)
    language = front_matter.get("language")
    if language is not None:
        if not LANGUAGE_PATTERN.match(str(language)):
            raise fail("language", f"`language` {language!r} must be a code like `en` or `es`")
        fields["language"] = str(language)
    for key in ("updated", "review_by"):
        value = front_matter.get(key)
        if value is None:
            continue
        fields[key] = _to_date(value, key, fail)
    return fields


def _to_date(value: Any, key: str, fail: Any) -> date:
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise fail(key, f"`{key}` {value!r} must be a date like 2026-11-24") from None
