"""Which answers a results page shows, in which group, and the filters that narrow them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kb.model import Document
from kb.selfservice import confidence_band
from kb.web.results import LESS_LIKELY_LIMIT, group_answers, narrowing_facets


@dataclass(frozen=True)
class Answer:
    document: Document
    deflection: float

    @property
    def confidence(self) -> str:
        return confidence_band(self.deflection)


def answer(
    name: str,
    deflection: float = 0.5,
    *,
    category: str | None = "network",
    tags: tuple[str, ...] = (),
    language: str = "en",
) -> Answer:
    document = Document(
        id=name,
        kind="article",
        title=name,
        body="",
        category=category,
        tags=tags,
        language=language,
    )
    return Answer(document, deflection)


def names(answers: tuple[Answer, ...]) -> list[str]:
    return [item.document.id for item in answers]


@pytest.mark.parametrize(
    ("chances", "likely", "less_likely"),
    [
        # The 20-answer page of the defect: two confident answers, then a tail down to 1%.
        (
            [0.97, 0.62] + [0.3, 0.2, 0.12, 0.08, 0.05] + [0.03] * 8 + [0.01] * 5,
            ["a0", "a1"],
            ["a2", "a3", "a4"],
        ),
        # No confident answer: only a short group of the less unlikely ones.
        ([0.4, 0.3, 0.2, 0.1], [], ["a0", "a1", "a2"]),
        # 1-3% answers are never shown, not even as "less likely".
        ([0.03, 0.02, 0.01], [], []),
        # Every confident answer is shown, however many.
        ([0.9, 0.85, 0.8, 0.7, 0.6, 0.55, 0.5], [f"a{n}" for n in range(7)], []),
        ([], [], []),
    ],
)
def test_confident_answers_then_a_short_less_likely_group_then_nothing(
    chances: list[float], likely: list[str], less_likely: list[str]
) -> None:
    groups = group_answers([answer(f"a{n}", chance) for n, chance in enumerate(chances)])
    assert names(groups.likely) == likely
    assert names(groups.less_likely) == less_likely
    assert len(groups.less_likely) <= LESS_LIKELY_LIMIT
    assert names(groups.shown) == likely + less_likely


def test_only_values_that_narrow_the_answers_are_offered() -> None:
    answers = [
        answer("a", tags=("vpn", "certificate"), category="network"),
        answer("b", tags=("vpn", "mac"), category="network"),
        answer("c", tags=("vpn", "certificate", "windows"), category="security", language="es"),
    ]
    facets = {facet.name: facet for facet in narrowing_facets(answers, {})}
    # "vpn" is on every answer: choosing it would change nothing.
    assert [(item.value, item.count) for item in facets["tag"].values] == [
        ("certificate", 2),
        ("mac", 1),
        ("windows", 1),
    ]
    assert [item.value for item in facets["category"].values] == ["network", "security"]
    assert [item.value for item in facets["language"].values] == ["en", "es"]


def test_a_facet_with_nothing_to_narrow_is_left_out() -> None:
    answers = [answer("a", tags=("vpn",)), answer("b", tags=("vpn",))]
    assert narrowing_facets(answers, {}) == []


def test_the_most_common_values_first_and_only_a_few() -> None:
    # Sixty answers with a tag of their own and one of three shared ones (a tag listed twice
    # counts once): five values are offered, the shared ones first, ties by name.
    answers = [answer(f"a{n}", tags=(f"own{n:02d}", f"shared{n % 3}")) for n in range(60)]
    answers.append(answer("twice", tags=("shared0", "shared0")))
    (facet,) = [item for item in narrowing_facets(answers, {}, limit=5) if item.name == "tag"]
    assert [(item.value, item.count) for item in facet.values] == [
        ("shared0", 21),
        ("shared1", 20),
        ("shared2", 20),
        ("own00", 1),
        ("own01", 1),
    ]


def test_a_chosen_value_stays_visible_so_it_can_be_seen_and_cleared() -> None:
    answers = [answer("a", tags=("vpn", "mac")), answer("b", tags=("vpn",))]
    facets = {facet.name: facet for facet in narrowing_facets(answers, {"tag": ["vpn"]})}
    chosen = [item for item in facets["tag"].values if item.chosen]
    assert [(item.value, item.count) for item in chosen] == [("vpn", 2)]
    assert [item.value for item in facets["tag"].values if not item.chosen] == ["mac"]
