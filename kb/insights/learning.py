"""Turn the portal's own outcomes into training rows for the deflection model. Pure.

A suggestion is labelled resolved when the requester said so ("this solved it" or a helpful
vote) and unresolved when they viewed it and still filed a ticket, or voted it unhelpful.
Suggestions nobody acted on carry no label and are left out, as are suggestions recorded by
a kb whose model read other evidence (a different number of features).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.events import Event
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
        shown = [event for event in events if event.kind == "suggestions_shown"]
        if not shown:
            continue
        solved = {e.article_id for e in events if e.kind == "self_resolved"}
        solved |= {e.article_id for e in events if e.kind == "feedback" and e.data.get("helpful")}
        unhelpful = {
            e.article_id for e in events if e.kind == "feedback" and e.data.get("helpful") is False
        }
        viewed = {e.article_id for e in events if e.kind == "article_view"}
        ticket = any(event.kind == "ticket_created" for event in events)
        labelled: dict[str, tuple[list[float], int]] = {}
        for event in shown:
            for suggestion in event.data.get("suggestions", []):
                identifier = str(suggestion["id"])
                features = _features(suggestion)
                if features is None:
                    continue
                if identifier in solved:
                    labelled[identifier] = (features, 1)
                elif identifier in unhelpful or (ticket and identifier in viewed):
                    labelled.setdefault(identifier, (features, 0))
        rows.hits.extend(labelled.values())
        first = shown[-1].data.get("suggestions", [])
        top = _features(first[0]) if first else None
        if top is not None and (solved or ticket):
            rows.queries.append((top, int(bool(solved))))
    return rows


def _features(suggestion: dict[str, Any]) -> list[float] | None:
    """A recorded suggestion's features, or None when this kb's model reads other ones."""
    features = [float(value) for value in suggestion["features"]]
    return features if len(features) == len(FEATURES) else None
