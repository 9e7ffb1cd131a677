"""Words of the managers' reports that a person reads, kept translatable: Text. Pure.

A readout's titles, labels, notes and some cells are Text, an English message with its
values; each page words them in its own language when it shows them (kb.web.readout_words),
and the JSON API and `kb report` in English. Messages are the gettext catalogues' ids:
`make messages` finds every `Text("...")` in kb/insights, as it finds `_()` in kb/web.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class Text:
    """Words of a readout that a person reads: an English message, the catalogue's id, and
    the values written into its %(name)s places (numbers, or Text in turn).

    Pages show it in their language (kb.web translates the message and formats the values);
    `str()` is the English, which the JSON API and `kb report` show. `make messages` finds
    every `Text("...")` in kb/insights.
    """

    __slots__ = ("message", "values")

    def __init__(self, message: str, **values: Any) -> None:
        self.message = message
        self.values: Mapping[str, Any] = values

    def __str__(self) -> str:
        # Always formatted, values or not: a literal percent sign is written %%.
        return self.message % {name: english(value) for name, value in self.values.items()}

    def __repr__(self) -> str:
        return f"Text({self.message!r}, {dict(self.values)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Text):
            return NotImplemented
        return (self.message, dict(self.values)) == (other.message, dict(other.values))

    def __hash__(self) -> int:
        return hash((self.message, tuple(sorted(self.values))))


@dataclass(frozen=True)
class Fixed:
    """A number written into a Text with a fixed count of decimals (AUROC 0.90, 20.0 points)."""

    value: float
    digits: int


# What a readout's titles, labels and notes are: words to translate (Text), or a name that
# stays as it is (a setting's, an article's).
Words = str | Text


def english(value: Any) -> str:
    """A value written into an English Text: whole numbers with thousands separators."""
    if isinstance(value, Fixed):
        return f"{value.value:,.{value.digits}f}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.10g}" if abs(value) >= 1000 else f"{value:.10g}"
    return str(value)


def wording(value: Any, say: Callable[[Text], str]) -> Any:
    """`value` with every Text in it worded by `say`; a list or tuple item by item."""
    if isinstance(value, Text):
        return say(value)
    if isinstance(value, (list, tuple)):
        return type(value)(wording(item, say) for item in value)
    return value
