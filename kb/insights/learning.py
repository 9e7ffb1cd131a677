"""Turn the portal's own outcomes into training rows for the deflection model. Pure.

A suggestion is labelled resolved when the requester said so ("this solved it" or a helpful
vote) and unresolved when they viewed it and still filed a ticket, or voted it unhelpful.
Suggestions nobody acted on carry no label and are left out, as are suggestions recorded by
a kb whose model read other evidence (a different number of features).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kb.events import (
    ArticleView,
    Event,
    Feedback,
    SelfResolved,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.search.deflection import FEATURES


@dataclass
class TrainingRows:
    hits: list[tuple[list[float], int]] = field(default_factory=list)
    queries: list[tuple[list[float], int]] = field(default_factory=list)


def rows_from_sessions(sessions: Iterable[Sequence[Event]]) -> TrainingRows:
    """Rows for the hit model (one per labelled suggestion) and the query model (one per
    session that was shown suggestions and either confirmed a fix or filed a ticket)."""
    rows = TrainingRows()
    for events in sessions:
        shown = [event for event in events if isinstance(event, SuggestionsShown)]
        if not shown:
            continue
        solved = {e.article_id for e in events if isinstance(e, SelfResolved)}
        solved |= {e.article_id for e in events if isinstance(e, Feedback) and e.helpful}
        unhelpful = {e.article_id for e in events if isinstance(e, Feedback) and not e.helpful}
        viewed = {e.article_id for e in events if isinstance(e, ArticleView)}
        ticket = any(isinstance(event, TicketCreated) for event in events)
        labelled: dict[str, tuple[list[float], int]] = {}
        for event in shown:
            for suggestion in event.suggestions:
                features = _features(suggestion)
                if features is None:
                    continue
                if suggestion.id in solved:
                    labelled[suggestion.id] = (features, 1)
                elif suggestion.id in unhelpful or (ticket and suggestion.id in viewed):
                    labelled.setdefault(suggestion.id, (features, 0))
        rows.hits.extend(labelled.values())
        last = shown[-1].suggestions
        top = _features(last[0]) if last else None
        if top is not None and (solved or ticket):
            rows.queries.append((top, int(bool(solved))))
    return rows


def _features(suggestion: ShownSuggestion) -> list[float] | None:
    """A recorded suggestion's features, or None when this kb's model reads other ones."""
    features = list(suggestion.features)
    return features if len(features) == len(FEATURES) else None
