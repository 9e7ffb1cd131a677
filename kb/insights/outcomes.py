"""Deflection outcomes of help sessions and the rates built from them (DESIGN.md). Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
)

OUTCOMES = ("confirmed", "potential", "known_issue", "not_deflected", "no_signal", "pending")
DEFLECTED = ("confirmed", "potential", "known_issue")
DEFAULT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class OutcomeTimes:
    """When what decides a session's outcome first happened, once its window had opened.

    `opened`: the first suggestions shown, or the first "this is my problem too" on a known
    issue (itself the first answer shown); None when neither happened. The others are the
    first such event at or after `opened`: a ticket; "this solved it" or a helpful vote; a
    view of a suggestion (from a suggestion, or of an article suggested at or before it);
    joining a known issue. SQL computes the same times for many sessions at once
    (kb.insights.sessions), so both read the definition from here.
    """

    opened: datetime | None
    ticket: datetime | None = None
    confirmed: datetime | None = None
    viewed: datetime | None = None
    joined: datetime | None = None


def outcome_times(events: Sequence[Event]) -> OutcomeTimes:
    ordered = sorted(events, key=lambda event: event.at)
    opened = next((e.at for e in ordered if isinstance(e, (SuggestionsShown, ProblemJoined))), None)
    if opened is None:
        return OutcomeTimes(None)
    after = [event for event in ordered if event.at >= opened]
    suggested: set[str] = set()
    ticket = confirmed = viewed = joined = None
    for event in after:
        if isinstance(event, SuggestionsShown):
            suggested.update(event.ids)
        elif isinstance(event, TicketCreated):
            ticket = ticket or event.at
        elif isinstance(event, SelfResolved) or (isinstance(event, Feedback) and event.helpful):
            confirmed = confirmed or event.at
        elif isinstance(event, ProblemJoined):
            joined = joined or event.at
        elif isinstance(event, ArticleView) and (
            event.source == "suggestion" or event.article_id in suggested
        ):
            viewed = viewed or event.at
    return OutcomeTimes(opened, ticket, confirmed, viewed, joined)


def outcome(
    times: OutcomeTimes, window: timedelta = DEFAULT_WINDOW, now: datetime | None = None
) -> str | None:
    """The outcome of a session from its OutcomeTimes; see session_outcome."""
    if window < timedelta(0):
        raise ValueError("the deflection window cannot be negative")
    if times.opened is None:
        return None
    end = times.opened + window

    def inside(moment: datetime | None) -> bool:
        return moment is not None and moment <= end

    if inside(times.ticket):
        return "not_deflected"
    if inside(times.confirmed):
        return "confirmed"
    if inside(times.joined):
        return "known_issue"
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware, e.g. datetime.now(UTC)")
    if now <= end:
        return "pending"
    return "potential" if inside(times.viewed) else "no_signal"


def session_outcome(
    events: Sequence[Event], window: timedelta = DEFAULT_WINDOW, now: datetime | None = None
) -> str | None:
    """The outcome of one help session, or None when it was never shown suggestions.

    Everything is measured in the window that opens at the first suggestions shown (or the
    first "this is my problem too") and closes `window` later, both ends included; events
    outside it do not count, so an outcome is final once its window has closed.
    - "not_deflected": a ticket was created in the window.
    - "confirmed": no ticket, and "this solved it" or a helpful vote.
    - "known_issue": no ticket, no confirmation, and the requester joined a known issue
      ("this is my problem too") instead of filing a duplicate.
    - "potential": none of those, but a suggestion was viewed (an article view from a
      suggestion, or of an article suggested at or before the view).
    - "no_signal": none of these.
    While the window is still open at `now` (default: the current time), "potential" and
    "no_signal" are "pending": a ticket may yet come. "confirmed" and "known_issue" are
    reported at once, and a later ticket in the window still turns them into "not_deflected".
    """
    return outcome(outcome_times(events), window, now)


@dataclass(frozen=True)
class DeflectionRates:
    """Outcome counts and the two rates; pending sessions are counted but not in `sessions`."""

    sessions: int
    confirmed: int
    potential: int
    known_issue: int
    not_deflected: int
    no_signal: int
    pending: int
    rate: float
    confirmed_rate: float

    @property
    def deflected(self) -> int:
        return self.confirmed + self.potential + self.known_issue


def deflection_rates(outcomes: Iterable[str | None]) -> DeflectionRates:
    """Deflection rate = (confirmed + potential + known issue) / sessions shown suggestions,
    and the confirmed-only rate.

    None (a session never shown suggestions) is skipped; pending sessions are left out of the
    denominator until their window closes. Both rates are 0.0 when there are no sessions.
    """
    return tally_rates(Counter(outcomes))


def tally_rates(tally: Mapping[str | None, int]) -> DeflectionRates:
    """deflection_rates from how many sessions had each outcome (SQL counts them, see
    kb.insights.session_rollups.outcome_tallies); None counts sessions never shown suggestions."""
    for item in tally:
        if item is not None and item not in OUTCOMES:
            raise ValueError(f"unknown outcome {item!r}; expected one of {', '.join(OUTCOMES)}")
    sessions = sum(count for name, count in tally.items() if name not in (None, "pending"))
    deflected = sum(tally.get(name, 0) for name in DEFLECTED)
    return DeflectionRates(
        sessions=sessions,
        confirmed=tally.get("confirmed", 0),
        potential=tally.get("potential", 0),
        known_issue=tally.get("known_issue", 0),
        not_deflected=tally.get("not_deflected", 0),
        no_signal=tally.get("no_signal", 0),
        pending=tally.get("pending", 0),
        rate=deflected / sessions if sessions else 0.0,
        confirmed_rate=tally.get("confirmed", 0) / sessions if sessions else 0.0,
    )
