"""Rank fusion and collapsing chunk rankings to documents."""

from __future__ import annotations

import pytest

from kb.search.hybrid import (
    collapse,
    fuse_convex,
    fuse_rrf,
    fuse_weighted,
    normalise_from_minimum,
    normalise_min_max,
    ranks,
    with_titles,
)


def test_rrf_adds_reciprocal_ranks_from_every_list() -> None:
    fused = dict(fuse_rrf([[("a", 9.0), ("b", 5.0)], [("b", 0.9), ("c", 0.1)]], k=60))
    assert fused == pytest.approx({"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 62})


def test_rrf_ignores_raw_scores() -> None:
    low = fuse_rrf([[("a", 0.001), ("b", 0.0001)]])
    high = fuse_rrf([[("a", 1000.0), ("b", 999.0)]])
    assert low == high


@pytest.mark.parametrize(
    ("rankings", "k", "expected_order"),
    [
        ([[("a", 1), ("b", 1)], [("b", 1), ("a", 1)]], 60, ["a", "b"]),
        ([[("x", 1)], [("y", 1)], [("z", 1)]], 60, ["x", "y", "z"]),
        ([[("c", 1), ("a", 1)], [("a", 1)]], 60, ["a", "c"]),
        ([[("a", 1), ("b", 1), ("c", 1)], [("c", 1)]], 1, ["c", "a", "b"]),
        ([], 60, []),
    ],
)
def test_rrf_order(
    rankings: list[list[tuple[str, float]]], k: int, expected_order: list[str]
) -> None:
    assert [item for item, _ in fuse_rrf(rankings, k=k)] == expected_order


@pytest.mark.parametrize(
    ("ranking", "window", "expected"),
    [
        ([("a", 10.0), ("b", 5.0), ("c", 0.0)], None, {"a": 1.0, "b": 0.5, "c": 0.0}),
        ([("a", -1.0), ("b", -3.0)], None, {"a": 1.0, "b": 0.0}),
        # Only the first `window` entries set the scale; the rest are clipped at 0.
        (
            [("a", 10.0), ("b", 8.0), ("c", 6.0), ("d", 1.0)],
            2,
            {"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.0},
        ),
        (
            [("a", 10.0), ("b", 8.0), ("c", 6.0), ("d", 2.0)],
            3,
            {"a": 1.0, "b": 0.5, "c": 0.0, "d": 0.0},
        ),
        # Equal scores map to 1 (and anything below them, outside the window, to 0).
        ([("a", 0.7), ("b", 0.7)], None, {"a": 1.0, "b": 1.0}),
        ([("a", 0.7)], None, {"a": 1.0}),
        ([("a", 0.7), ("b", 0.7), ("c", 0.2)], 2, {"a": 1.0, "b": 1.0, "c": 0.0}),
        ([], None, {}),
    ],
)
def test_normalise_min_max(
    ranking: list[tuple[str, float]], window: int | None, expected: dict[str, float]
) -> None:
    assert normalise_min_max(ranking, window) == pytest.approx(expected)


def test_window_keeps_leader_scores_stable_when_more_candidates_are_fetched() -> None:
    short = [("a", 0.9), ("b", 0.7), ("c", 0.5)]
    longer = [*short, ("d", 0.2), ("e", 0.1)]
    leaders = {"a": 1.0, "b": 0.5, "c": 0.0}
    assert normalise_min_max(short, 3) == pytest.approx(leaders)
    assert normalise_min_max(longer, 3) == pytest.approx({**leaders, "d": 0.0, "e": 0.0})
    # Without a window the extra candidates move the leaders' scores.
    assert normalise_min_max(longer)["b"] == pytest.approx(0.75)


def test_weighted_fusion_sums_weighted_normalised_scores() -> None:
    semantic = [("a", 0.9), ("b", 0.5), ("c", 0.1)]
    keyword = [("c", 12.0), ("a", 6.0), ("d", 0.0)]
    fused = fuse_weighted([semantic, keyword], [0.8, 0.2])
    assert dict(fused) == pytest.approx(
        {"a": 0.8 * 1.0 + 0.2 * 0.5, "b": 0.8 * 0.5, "c": 0.8 * 0.0 + 0.2 * 1.0, "d": 0.0}
    )
    assert [item for item, _ in fused] == ["a", "b", "c", "d"]


def test_weighted_fusion_window_clips_scores_past_the_window() -> None:
    semantic = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    keyword = [("c", 4.0), ("b", 2.0), ("a", 1.0)]
    fused = dict(fuse_weighted([semantic, keyword], [0.5, 0.5], window=2))
    assert fused == pytest.approx({"a": 0.5, "b": 0.0, "c": 0.5})


def test_weighted_fusion_with_only_one_ranking_keeps_its_order() -> None:
    ranking = [("b", 3.0), ("a", 2.0), ("c", 1.0)]
    assert [item for item, _ in fuse_weighted([ranking, []], [0.5, 0.5])] == ["b", "a", "c"]


def test_weighted_fusion_needs_one_weight_per_ranking() -> None:
    with pytest.raises(ValueError, match="one weight per ranking"):
        fuse_weighted([[("a", 1.0)], [("b", 1.0)]], [1.0])


def test_fused_ties_are_ordered_by_id_on_every_run() -> None:
    first = [("zeta", 1.0), ("alpha", 0.0)]
    second = [("alpha", 1.0), ("zeta", 0.0)]
    assert [item for item, _ in fuse_weighted([first, second], [0.5, 0.5])] == ["alpha", "zeta"]
    assert [item for item, _ in fuse_weighted([second, first], [0.5, 0.5])] == ["alpha", "zeta"]
    assert [item for item, _ in fuse_rrf([first, second])] == ["alpha", "zeta"]


OWNERS = {"a#0": "a", "a#1": "a", "b#0": "b", "b#1": "b", "x#0": None}


@pytest.mark.parametrize(
    ("ranking", "expected_documents", "expected_best"),
    [
        (
            [("a#0", 0.4), ("b#1", 0.9), ("a#1", 0.7), ("b#0", 0.2)],
            [("b", 0.9), ("a", 0.7)],
            {"a": "a#1", "b": "b#1"},
        ),
        # Chunks whose owner is None are filtered out, even when they score best.
        ([("x#0", 5.0), ("a#0", 0.3)], [("a", 0.3)], {"a": "a#0"}),
        # Equal chunk scores: the first one seen stays the best chunk.
        ([("a#1", 0.5), ("a#0", 0.5)], [("a", 0.5)], {"a": "a#1"}),
        # Equal document scores: ordered by id.
        ([("b#0", 0.5), ("a#0", 0.5)], [("a", 0.5), ("b", 0.5)], {"a": "a#0", "b": "b#0"}),
        ([], [], {}),
    ],
)
def test_collapse_keeps_the_best_chunk_of_each_document(
    ranking: list[tuple[str, float]],
    expected_documents: list[tuple[str, float]],
    expected_best: dict[str, str],
) -> None:
    documents, best = collapse(ranking, OWNERS.get)
    assert documents == expected_documents
    assert best == expected_best


def test_ranks_are_zero_based_positions() -> None:
    assert ranks([("c", 3.0), ("a", 2.0), ("b", 1.0)]) == {"c": 0, "a": 1, "b": 2}


@pytest.mark.parametrize(
    ("documents", "titles", "expected"),
    [
        # A title closer to the query than any chunk lifts its document past the others.
        ([("a", 0.6), ("b", 0.5)], {"a": 0.4, "b": 0.9}, [("b", 0.9), ("a", 0.6)]),
        # A title further away never lowers its document's best chunk.
        ([("a", 0.6), ("b", 0.5)], {"a": 0.1, "b": 0.2}, [("a", 0.6), ("b", 0.5)]),
        # Documents without a title vector keep their chunk's score.
        ([("a", 0.6), ("b", 0.5)], {"b": 0.7}, [("b", 0.7), ("a", 0.6)]),
        # Titles of documents outside the ranking add nothing to it.
        ([("a", 0.6)], {"z": 0.99}, [("a", 0.6)]),
        # Equal scores are ordered by id.
        ([("b", 0.8), ("a", 0.3)], {"a": 0.8}, [("a", 0.8), ("b", 0.8)]),
        ([], {"a": 0.5}, []),
    ],
)
def test_a_document_scores_the_better_of_its_best_chunk_and_its_title(
    documents: list[tuple[str, float]],
    titles: dict[str, float],
    expected: list[tuple[str, float]],
) -> None:
    assert with_titles(documents, titles) == expected


@pytest.mark.parametrize(
    ("ranking", "minimum", "expected"),
    [
        # From the lowest possible score to the best: the weakest candidate is not made 0.
        ([("a", 10.0), ("b", 5.0), ("c", 2.0)], 0.0, {"a": 1.0, "b": 0.5, "c": 0.2}),
        ([("a", 0.8), ("b", 0.6)], 0.0, {"a": 1.0, "b": 0.75}),
        ([("a", 0.5), ("b", -0.5)], -1.0, {"a": 1.0, "b": 1 / 3}),
        # Candidates that all match about as well stay close to the best.
        ([("a", 0.9), ("b", 0.88), ("c", 0.86)], 0.0, {"a": 1.0, "b": 0.88 / 0.9, "c": 0.86 / 0.9}),
        # A score below the stated minimum counts as the minimum.
        ([("a", 0.5), ("b", -0.1)], 0.0, {"a": 1.0, "b": 0.0}),
        # A best score at or below the minimum: nothing above it, everything 0.
        ([("a", 0.0), ("b", -0.2)], 0.0, {"a": 0.0, "b": 0.0}),
        ([("a", 3.0)], 0.0, {"a": 1.0}),
        ([], 0.0, {}),
    ],
)
def test_normalise_from_minimum(
    ranking: list[tuple[str, float]], minimum: float, expected: dict[str, float]
) -> None:
    assert normalise_from_minimum(ranking, minimum) == pytest.approx(expected)


def test_normalising_from_the_minimum_ignores_how_many_candidates_were_fetched() -> None:
    short = [("a", 8.0), ("b", 4.0)]
    longer = [*short, ("c", 1.0), ("d", 0.5)]
    assert normalise_from_minimum(longer, 0.0)["b"] == normalise_from_minimum(short, 0.0)["b"]


@pytest.mark.parametrize(
    ("keyword", "semantic", "weight", "expected"),
    [
        # Keyword scores over their best, cosines over theirs, then weighted and added.
        (
            [("a", 10.0), ("b", 5.0)],
            [("b", 0.8), ("a", 0.4)],
            0.75,
            [("b", 0.25 * 0.5 + 0.75 * 1.0), ("a", 0.25 * 1.0 + 0.75 * 0.5)],
        ),
        # A strong keyword match outweighs a semantic lead that is small on the cosine scale,
        # where min-max would stretch that lead to the whole range.
        (
            [("a", 20.0), ("b", 2.0)],
            [("b", 0.62), ("a", 0.60)],
            0.75,
            [("a", 0.25 * 1.0 + 0.75 * 0.60 / 0.62), ("b", 0.25 * 0.1 + 0.75 * 1.0)],
        ),
        # A document one ranker did not return scores 0 there.
        ([("a", 4.0)], [("b", 0.5)], 0.6, [("b", 0.6), ("a", 0.4)]),
        # Weight 1 is semantic alone, 0 keyword alone.
        ([("a", 9.0), ("b", 1.0)], [("b", 0.9), ("a", 0.3)], 1.0, [("b", 1.0), ("a", 0.3 / 0.9)]),
        ([("a", 9.0), ("b", 1.0)], [("b", 0.9), ("a", 0.3)], 0.0, [("a", 1.0), ("b", 1 / 9)]),
        ([], [], 0.75, []),
    ],
)
def test_convex_fusion(
    keyword: list[tuple[str, float]],
    semantic: list[tuple[str, float]],
    weight: float,
    expected: list[tuple[str, float]],
) -> None:
    fused = fuse_convex([keyword, semantic], [1.0 - weight, weight], [0.0, 0.0])
    assert [item for item, _ in fused] == [item for item, _ in expected]
    assert dict(fused) == pytest.approx(dict(expected))


def test_convex_fusion_needs_one_weight_and_one_minimum_per_ranking() -> None:
    with pytest.raises(ValueError, match="one minimum per ranking"):
        fuse_convex([[("a", 1.0)], [("b", 1.0)]], [0.5, 0.5], [0.0])
    with pytest.raises(ValueError, match="one weight per ranking"):
        fuse_convex([[("a", 1.0)], [("b", 1.0)]], [1.0], [0.0, 0.0])
