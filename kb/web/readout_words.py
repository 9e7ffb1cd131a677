"""A readout in the page's language: each Text in it (kb.insights.wording) translated from the
gettext catalogues, with its numbers written as the language writes them."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, gettext

from kb.insights.readout import Readout
from kb.insights.wording import Fixed, Text


def in_page_language(readout: Readout) -> Readout:
    """The readout with every title, label, note and worded cell in the page's language."""
    return readout.worded(say)


def say(text: Text) -> str:
    """The Text in the page's language. Its message is always %-formatted (a literal percent
    sign is written %%), with or without values, as Text's own English is."""
    message: str = gettext(text.message)
    return message % {name: _value(value) for name, value in text.values.items()}


def _value(value: Any) -> Any:
    if isinstance(value, Text):
        return say(value)
    if isinstance(value, Fixed):
        return str(format_decimal(value.value, "#,##0." + "0" * value.digits))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(format_decimal(value, "#,##0"))
    if isinstance(value, float):
        return str(format_decimal(value, "#,##0.##########"))
    return value
