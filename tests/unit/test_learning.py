"""Training rows from portal outcomes: who is labelled resolved, unresolved, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kb.events import (
    ArticleView,
    Event,
    Feedback,
    Search,
    SelfResolved,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.learning import rows_from_sessions
from kb.search.deflection import FEATURES

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def event(kind: type[Event], minute: int, **fields: object) -> Event:
    return kind(session_id="s", at=START + timedelta(minutes=minute), **fields)  # type: ignore[arg-type]


WIDTH = len(FEATURES)


def shown(*ids: str, width: int = WIDTH) -> Event:
    suggestions = tuple(ShownSuggestion(i, 0.5, (float(n),) * width) for n, i in enumerate(ids))
    return event(SuggestionsShown, 0, query="vpn", suggestions=suggestions)


@pytest.mark.parametrize(
    ("events", "hits", "queries"),
    [
        # "This solved it" labels that suggestion resolved, and the session confirmed.
        (
            [shown("a", "b"), event(SelfResolved, 2, article_id="b")],
            [([1.0] * WIDTH, 1)],
            [([0.0] * WIDTH, 1)],
        ),
        # Helpful vote counts as resolved too.
        (
            [shown("a"), event(Feedback, 1, article_id="a", helpful=True)],
            [([0.0] * WIDTH, 1)],
            [([0.0] * WIDTH, 1)],
        ),
        # Viewed, then filed a ticket: unresolved; the unviewed suggestion has no label.
        (
            [
                shown("a", "b"),
                event(ArticleView, 1, article_id="a"),
                event(TicketCreated, 5, ticket_id="INC-000001"),
            ],
            [([0.0] * WIDTH, 0)],
            [([0.0] * WIDTH, 0)],
        ),
        # An unhelpful vote without a ticket: the hit is unresolved, the session unknown.
        (
            [shown("a"), event(Feedback, 1, article_id="a", helpful=False)],
            [([0.0] * WIDTH, 0)],
            [],
        ),
        # Shown and ignored: nothing to learn from.
        ([shown("a", "b")], [], []),
        # Never shown suggestions: not a deflection session at all.
        ([event(Search, 0, query="vpn"), event(TicketCreated, 1, ticket_id="INC-1")], [], []),
    ],
)
def test_rows_from_sessions(events, hits, queries) -> None:
    rows = rows_from_sessions([events])
    assert rows.hits == hits
    assert rows.queries == queries


def test_suggestions_recorded_with_other_evidence_are_left_out() -> None:
    # Events from a kb whose model read fewer features cannot train this one.
    older = [shown("a", width=WIDTH - 1), event(SelfResolved, 2, article_id="a")]
    newer = [shown("b"), event(SelfResolved, 2, article_id="b")]
    rows = rows_from_sessions([older, newer])
    assert rows.hits == [([0.0] * WIDTH, 1)]
    assert rows.queries == [([0.0] * WIDTH, 1)]
