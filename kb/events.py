"""What happens in a help session, as typed events: the input of every deflection metric. Pure.

A help session is one portal visit, named by the id in the portal's cookie. Each event carries
the ids it concerns in its own fields and anything else in `data`, a JSON-serialisable mapping
whose keys depend on the kind:

- `search`: {"hits": [document ids, best first], "deflection": float}, the query in `query`.
- `suggestions_shown`: {"suggestions": [{"id": str, "deflection": float, "features": [float]}],
  "deflection": float, "confident": bool}; the suggestions offered while a request is typed,
  the query-level deflection probability, and whether it cleared the confidence threshold.
- `article_view`: {"source": "search" | "suggestion" | "link"}, the document in `article_id`.
- `feedback`: {"helpful": bool, "comment": str | None}, the document in `article_id`.
- `self_resolved`: {}, the document that solved it ("this solved it") in `article_id`.
- `ticket_created`: {"shown": [document ids], "viewed": [document ids]}, the number in `ticket_id`.
- `ticket_resolved`, `ticket_reopened`: {}, the number in `ticket_id`.

Document ids are article ids or "ticket:<number>" for resolved-ticket notes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EVENT_KINDS = (
    "search",
    "suggestions_shown",
    "article_view",
    "feedback",
    "self_resolved",
    "ticket_created",
    "ticket_resolved",
    "ticket_reopened",
)


@dataclass(frozen=True)
class Event:
    """One thing that happened in a help session.

    `at` must be timezone-aware and is kept in UTC; `data` must survive `json.dumps`.
    An unknown kind, a naive time or data that is not JSON raise ValueError.
    """

    kind: str
    session_id: str
    at: datetime
    article_id: str | None = None
    ticket_id: str | None = None
    query: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(
                f"unknown event kind {self.kind!r}; expected one of {', '.join(EVENT_KINDS)}"
            )
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("event time must be timezone-aware, e.g. datetime.now(UTC)")
        try:
            json.dumps(self.data)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{self.kind} event data is not JSON-serialisable: {error}") from None
        # Frozen: normalise through object.__setattr__, as dataclasses document.
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        object.__setattr__(self, "data", dict(self.data))
