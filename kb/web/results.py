"""Which answers a page shows, in which group, and which filters narrow them; pure logic.

A requester reads the likely answers first, then at most a few less likely ones, then
nothing: a long tail of 1% answers reads as noise and hides the request button. Filters are
offered only where they narrow what is shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from kb.model import Document

# Bands of kb.selfservice.confidence_band shown as answers, with their label and chance.
LIKELY_BANDS = ("high", "medium")
# Below this chance an answer is not shown at all, even in the "less likely" group.
LESS_LIKELY_FLOOR = 0.05
LESS_LIKELY_LIMIT = 3
FACETS = ("category", "tag", "language")
FACET_VALUES = 5


class Answer(Protocol):
    @property
    def document(self) -> Document: ...

    @property
    def deflection(self) -> float: ...

    @property
    def confidence(self) -> str: ...


A = TypeVar("A", bound=Answer)


@dataclass(frozen=True)
class AnswerGroups(Generic[A]):
    likely: tuple[A, ...]
    less_likely: tuple[A, ...]

    @property
    def shown(self) -> tuple[A, ...]:
        return self.likely + self.less_likely


def group_answers(
    answers: Sequence[A],
    *,
    floor: float = LESS_LIKELY_FLOOR,
    less_likely_limit: int = LESS_LIKELY_LIMIT,
) -> AnswerGroups[A]:
    """The likely answers (in rank order), then the first few others at or above `floor`."""
    likely = tuple(answer for answer in answers if answer.confidence in LIKELY_BANDS)
    others = [
        answer
        for answer in answers
        if answer.confidence not in LIKELY_BANDS and answer.deflection >= floor
    ]
    return AnswerGroups(likely=likely, less_likely=tuple(others[:less_likely_limit]))


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    chosen: bool


@dataclass(frozen=True)
class Facet:
    name: str
    values: tuple[FacetValue, ...]


def facet_values(document: Document, facet: str) -> tuple[str, ...]:
    if facet == "category":
        return (document.category,) if document.category else ()
    if facet == "tag":
        return tuple(document.tags)
    return (document.language,)


def narrowing_facets(
    answers: Sequence[Answer],
    chosen: Mapping[str, Sequence[str]],
    *,
    limit: int = FACET_VALUES,
) -> list[Facet]:
    """Per facet, the chosen values and the few most common ones that narrow the answers.

    A value held by every answer (or by none) narrows nothing and is left out, unless it is
    chosen, so it can be seen and cleared. A facet with nothing to offer is left out whole.
    """
    facets = []
    for name in FACETS:
        counts = Counter(
            value
            for answer in answers
            for value in dict.fromkeys(facet_values(answer.document, name))
        )
        picked = set(chosen.get(name, ()))
        narrowing = [
            value
            for value, count in counts.items()
            if 0 < count < len(answers) and value not in picked
        ]
        narrowing.sort(key=lambda value: (-counts[value], value))
        values = [FacetValue(value, counts[value], True) for value in sorted(picked)]
        values += [FacetValue(value, counts[value], False) for value in narrowing[:limit]]
        if values:
            facets.append(Facet(name, tuple(values)))
    return facets
