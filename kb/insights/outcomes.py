"""Deflection outcomes of help sessions and the rates built from them (DESIGN.md). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kb.events import (
    ArticleView,
    Event,
    Feedback,
    ProblemJoined,
    SelfResolved,
    SuggestionsShown,
    TicketCreated,
    suggested_ids,
)

OUTCOMES = ("confirmed", "potential", "known_issue", "not_deflected", "no_signal", "pending")
DEFAULT_WINDOW = timedelta(hours=24)


def session_outcome(
    events: Sequence[Event], window: timedelta = DEFAULT_WINDOW, now: datetime | None = None
) -> str | None:
    """The outcome of one help session, or None when it was never shown suggestions.

    Everything is measured in the window that opens at the first suggestions_shown event (or
    the first "this is my problem too" on a known issue, itself an answer shown first) and
    closes `window` later, both ends included; events outside it do not count, so an outcome
    is final once its window has closed.
    - "not_deflected": a ticket was created in the window.
    - "confirmed": no ticket, and "this solved it" or a helpful vote.
    - "known_issue": no ticket and no confirmation, and the visit joined a known issue
      instead of filing a duplicate ticket; reported at once, as "confirmed" is.
    - "potential": no ticket and no explicit signal, but a suggestion was viewed (an article
      view from a suggestion, or of an article that had been suggested).
    - "no_signal": none of these.
    While the window is still open at `now` (default: the current time), "potential" and
    "no_signal" are "pending": a ticket may yet come. "confirmed" is reported at once, and a
    later ticket in the window still turns it into "not_deflected".
    """
    if window < timedelta(0):
        raise ValueError("the deflection window cannot be negative")
    ordered = sorted(events, key=lambda event: event.at)
    opening = (SuggestionsShown, ProblemJoined)
    start = next((event.at for event in ordered if isinstance(event, opening)), None)
    if start is None:
        return None
    end = start + window
    inside = [event for event in ordered if start <= event.at <= end]

    if any(isinstance(event, TicketCreated) for event in inside):
        return "not_deflected"
    if any(_confirms(event) for event in inside):
        return "confirmed"
    if any(isinstance(event, ProblemJoined) for event in inside):
        return "known_issue"
    suggested = suggested_ids(inside)
    viewed_suggestion = any(
        isinstance(event, ArticleView)
        and (event.article_id in suggested or event.source == "suggestion")
        for event in inside
    )
    outcome = "potential" if viewed_suggestion else "no_signal"
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware, e.g. datetime.now(UTC)")
    return "pending" if now <= end else outcome


def _confirms(event: Event) -> bool:
    return isinstance(event, SelfResolved) or (isinstance(event, Feedback) and event.helpful)


@dataclass(frozen=True)
class DeflectionRates:
    """Outcome counts and the two rates; pending sessions are counted but not in `sessions`."""

    sessions: int
    confirmed: int
    potential: int
    not_deflected: int
    no_signal: int
    pending: int
    rate: float
    confirmed_rate: float
    known_issue: int = 0


def deflection_rates(outcomes: Iterable[str | None]) -> DeflectionRates:
    """Deflection rate = (confirmed + potential + known_issue) / sessions shown suggestions, and
    confirmed-only; a visit that joined a known issue did not file its duplicate ticket.

    None (a session never shown suggestions) is skipped; pending sessions are left out of the
    denominator until their window closes. Both rates are 0.0 when there are no sessions.
    """
    tally: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome is None:
            continue
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        tally[outcome] += 1
    sessions = sum(count for outcome, count in tally.items() if outcome != "pending")
    deflected = tally["confirmed"] + tally["potential"] + tally["known_issue"]
    return DeflectionRates(
        sessions=sessions,
        confirmed=tally["confirmed"],
        potential=tally["potential"],
        not_deflected=tally["not_deflected"],
        no_signal=tally["no_signal"],
        pending=tally["pending"],
        rate=deflected / sessions if sessions else 0.0,
        confirmed_rate=tally["confirmed"] / sessions if sessions else 0.0,
        known_issue=tally["known_issue"],
    )
