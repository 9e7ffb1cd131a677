"""The holdout readout: true deflection, the ticket rate of held-out sessions against that of
treated ones, with Newcombe's 95% interval on the difference (DESIGN.md). Pure.

Both groups are measured the same way: from the session's start, a session counts once its
window (`deflection_window_hours`) has closed, and it filed a ticket when its first ticket came
within the window. Held-out sessions are shown nothing, so nothing suggested can open their
window: the start is the one moment both groups share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from kb.insights.metrics import TrueDeflection, true_deflection, wilson_interval
from kb.insights.outcomes import DEFAULT_WINDOW
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table

# Fewer sessions than this in either group and the readout concludes nothing, even when the
# interval clears zero. Newcombe's interval keeps its coverage at small counts, but with a
# handful of held-out sessions one ticket more or less turns the verdict, and a manager reads
# a verdict as settled; 30 per group is the usual floor below which a share is anecdote.
MINIMUM_SESSIONS = 30


class StartedSession(Protocol):
    """What the holdout reads of a session (kb.insights.sessions.SessionSummary has it)."""

    @property
    def started(self) -> datetime: ...
    @property
    def holdout(self) -> bool: ...
    @property
    def ticket(self) -> datetime | None: ...


@dataclass(frozen=True)
class HoldoutCounts:
    """Sessions of each group whose window has closed, those that filed a ticket in it, and
    the sessions still inside their window (not counted yet)."""

    held_out: int = 0
    held_out_tickets: int = 0
    treated: int = 0
    treated_tickets: int = 0
    pending: int = 0

    def estimate(self) -> TrueDeflection:
        return true_deflection(
            (self.held_out, self.held_out_tickets), (self.treated, self.treated_tickets)
        )

    @property
    def enough(self) -> bool:
        return min(self.held_out, self.treated) >= MINIMUM_SESSIONS


def holdout_counts(
    sessions: Sequence[StartedSession], now: datetime, window: timedelta = DEFAULT_WINDOW
) -> HoldoutCounts:
    """Count each group's sessions whose window (from their start) closed by `now`: the
    definition kb.insights.session_rollups.holdout_tallies counts in SQL."""
    held_out = held_out_tickets = treated = treated_tickets = pending = 0
    for session in sessions:
        end = session.started + window
        if end > now:
            pending += 1
            continue
        ticket = session.ticket is not None and session.ticket <= end
        if session.holdout:
            held_out += 1
            held_out_tickets += ticket
        else:
            treated += 1
            treated_tickets += ticket
    return HoldoutCounts(held_out, held_out_tickets, treated, treated_tickets, pending)


def verdict(counts: HoldoutCounts, share: float) -> str:
    """What the numbers allow a manager to say, in one sentence."""
    found = counts.estimate()
    if counts.held_out == 0:
        if share <= 0:
            return (
                "No session was held out: set holdout_share (for example 0.05) to measure "
                "what suggestions prevent."
            )
        return "No held-out session has closed its window yet: too few sessions to conclude."
    if not counts.enough:
        return (
            f"Too few sessions to conclude: each group needs at least {MINIMUM_SESSIONS} "
            f"sessions whose window has closed ({counts.held_out} held out, "
            f"{counts.treated} treated so far)."
        )
    if not found.conclusive or found.difference is None:
        return (
            "Too few sessions to conclude: the 95% interval of the difference spans zero, so "
            "suggestions may prevent tickets or not."
        )
    if found.difference > 0:
        return (
            f"Suggestions prevent tickets: treated sessions file {_points(found.difference)} "
            "fewer tickets per 100 sessions than held-out ones."
        )
    return (
        f"Sessions shown suggestions file {_points(-found.difference)} more tickets per 100 "
        "sessions than held-out ones: the suggestions are not preventing tickets."
    )


def _points(share: float) -> str:
    return f"{share * 100:.1f}"


def holdout_readout(
    period: Period,
    filters: Filters,
    current: HoldoutCounts,
    previous: HoldoutCounts,
    share: float,
    window: timedelta = DEFAULT_WINDOW,
    generated: datetime | None = None,
) -> Readout:
    """The holdout page from the counts of the period and of the period before it.

    Filters are not applied (the counts should be taken over every session): held-out
    sessions are shown no answer, so they have no category to filter by, and filtering would
    compare treated sessions of one category with held-out sessions of all.
    """
    now, before = current.estimate(), previous.estimate()
    numbers = (
        Number(
            "true_deflection",
            "True deflection",
            now.difference,
            before.difference,
            "rate",
            "held-out ticket rate − treated ticket rate",
        ),
        Number("interval_low", "95% interval, low", now.low, before.low, "rate"),
        Number("interval_high", "95% interval, high", now.high, before.high, "rate"),
        Number(
            "held_out_rate",
            "Ticket rate, held out",
            now.held_out_rate,
            before.held_out_rate,
            "rate",
        ),
        Number(
            "treated_rate",
            "Ticket rate, shown suggestions",
            now.treated_rate,
            before.treated_rate,
            "rate",
        ),
        Number("held_out_sessions", "Held-out sessions", current.held_out, previous.held_out),
        Number("treated_sessions", "Treated sessions", current.treated, previous.treated),
    )
    columns = (
        Column("group", "Group"),
        Column("sessions", "Sessions", "count"),
        Column("tickets", "Sessions with a ticket", "count"),
        Column("rate", "Ticket rate", "rate"),
        Column("low", "95% interval, low", "rate"),
        Column("high", "95% interval, high", "rate"),
    )
    rows = []
    if current.held_out or current.treated:
        rows = [
            _group_row("Held out", current.held_out, current.held_out_tickets),
            _group_row("Shown suggestions", current.treated, current.treated_tickets),
        ]
        if now.difference is not None:
            rows.append(
                {
                    "group": "Difference (true deflection)",
                    "sessions": current.held_out + current.treated,
                    "tickets": current.held_out_tickets + current.treated_tickets,
                    "rate": now.difference,
                    "low": now.low,
                    "high": now.high,
                }
            )
    hours = window.total_seconds() / 3600
    table = Table(
        "groups",
        "Ticket rate of held-out and treated sessions",
        columns,
        tuple(rows),
        empty=(
            "Sessions appear here once their window has closed. With holdout_share above 0, "
            "that share of help sessions is shown no suggestions, so that their ticket rate "
            "can be compared with everyone else's."
        ),
        note=(
            f"A session filed a ticket when one came within {hours:g} hours of its start; "
            "intervals are Wilson's for each rate and Newcombe's for the difference."
        ),
    )
    notes = [verdict(current, share)]
    if current.pending:
        notes.append(
            f"{current.pending} sessions of the period are still inside their window and are "
            "not counted yet."
        )
    if filters.category or filters.language:
        notes.append(
            "Category and language filters do not apply here: held-out sessions are shown no "
            "answer to take a category from, so every session is counted."
        )
    notes.append(
        f"A verdict needs at least {MINIMUM_SESSIONS} sessions in each group and a 95% "
        "interval that does not span zero."
    )
    return Readout(
        report="holdout",
        title="True deflection (holdout)",
        period=period,
        filters=filters,
        numbers=numbers,
        tables=(table,),
        charts=(
            Chart(
                "groups",
                "Ticket rates with their 95% intervals",
                "interval",
                "groups",
                "group",
                ("rate", "low", "high"),
                {"no difference": 0.0},
            ),
        ),
        notes=tuple(notes),
        generated=generated,
    )


def _group_row(name: str, sessions: int, tickets: int) -> dict[str, object]:
    interval = wilson_interval(tickets, sessions)
    rate = tickets / sessions if sessions else None
    return {
        "group": name,
        "sessions": sessions,
        "tickets": tickets,
        "rate": rate,
        "low": interval.low if sessions else None,
        "high": interval.high if sessions else None,
    }
