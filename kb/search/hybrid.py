"""Rank fusion over (id, score) lists, and collapsing chunk rankings to documents. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

Ranking = Sequence[tuple[str, float]]


def fuse_rrf(rankings: Sequence[Ranking], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: each list adds 1 / (k + rank) for every id it holds."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return _sorted(scores)


def normalise_min_max(ranking: Ranking, window: int | None = None) -> dict[str, float]:
    """Scores scaled to [0, 1] by the min and max of the first `window` entries.

    Entries past the window are clipped at 0, so how many candidates were fetched does not
    change the scores of the leaders. A window of equal scores maps to 1.
    """
    if not ranking:
        return {}
    values = [score for _, score in (ranking[:window] if window else ranking)]
    low, high = min(values), max(values)
    if high == low:
        return {item: 1.0 if score >= high else 0.0 for item, score in ranking}
    return {item: max(0.0, (score - low) / (high - low)) for item, score in ranking}


def normalise_from_minimum(ranking: Ranking, minimum: float) -> dict[str, float]:
    """Scores scaled to [0, 1] from the lowest score the ranker can give up to the query's best.

    Bruch, Gai and Ingber (ACM TOIS 2023) call this theoretical-minimum normalisation: unlike
    min-max, the weakest candidate fetched does not become 0, so a ranker whose candidates all
    match well keeps them close to its best, and how many were fetched changes nothing. A
    ranking whose best score is not above the minimum maps to 0.
    """
    if not ranking:
        return {}
    top = max(score for _, score in ranking)
    if top <= minimum:
        return {item: 0.0 for item, _ in ranking}
    return {item: max(0.0, score - minimum) / (top - minimum) for item, score in ranking}


def fuse_weighted(
    rankings: Sequence[Ranking], weights: Sequence[float], window: int | None = None
) -> list[tuple[str, float]]:
    """A weighted sum of min-max normalised scores; an id missing from a list scores 0 there."""
    return _weighted_sum([normalise_min_max(ranking, window) for ranking in rankings], weights)


def fuse_convex(
    rankings: Sequence[Ranking], weights: Sequence[float], minimums: Sequence[float]
) -> list[tuple[str, float]]:
    """A weighted sum of scores normalised from each ranker's minimum (normalise_from_minimum);
    an id missing from a list scores 0 there."""
    if len(rankings) != len(minimums):
        raise ValueError("one minimum per ranking")
    normalised = [
        normalise_from_minimum(ranking, minimum)
        for ranking, minimum in zip(rankings, minimums, strict=True)
    ]
    return _weighted_sum(normalised, weights)


def _weighted_sum(
    normalised: Sequence[Mapping[str, float]], weights: Sequence[float]
) -> list[tuple[str, float]]:
    if len(normalised) != len(weights):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(normalised, weights, strict=True):
        for item, score in ranking.items():
            scores[item] = scores.get(item, 0.0) + weight * score
    return _sorted(scores)


def collapse(
    ranking: Ranking, owner: Callable[[str], str | None]
) -> tuple[list[tuple[str, float]], dict[str, str]]:
    """Collapse chunk scores to their documents (a document scores its best chunk).

    Returns the document ranking and each document's best chunk. Chunks whose owner is
    None (filtered out) are dropped.
    """
    best: dict[str, tuple[float, str]] = {}
    for chunk_id, score in ranking:
        document_id = owner(chunk_id)
        if document_id is None:
            continue
        if document_id not in best or score > best[document_id][0]:
            best[document_id] = (score, chunk_id)
    documents = _sorted({document: score for document, (score, _) in best.items()})
    return documents, {document: chunk for document, (_, chunk) in best.items()}


def with_titles(documents: Ranking, titles: Mapping[str, float]) -> list[tuple[str, float]]:
    """Each document scores the better of its best chunk and its title alone.

    A title names the problem its article solves, so a query that paraphrases it matches the
    title more closely than any section, whose text dilutes the title it is embedded with.
    Documents without a title score are kept as they are.
    """
    return _sorted(
        {document: max(score, titles.get(document, score)) for document, score in documents}
    )


def ranks(ranking: Ranking) -> Mapping[str, int]:
    """Zero-based position of each id in a ranking."""
    return {item: position for position, (item, _) in enumerate(ranking)}


def _sorted(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    # Ties broken by id so the order is the same on every run.
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
