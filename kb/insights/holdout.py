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
from kb.insights.wording import Fixed, Text

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


def verdict(counts: HoldoutCounts, share: float) -> Text:
    """What the numbers allow a manager to say, in one sentence."""
    found = counts.estimate()
    if counts.held_out == 0:
        if share <= 0:
            return Text(
                "No session was held out: set holdout_share (for example 0.05) to measure "
                "what suggestions prevent."
            )
        return Text("No held-out session has closed its window yet: too few sessions to conclude.")
    if not counts.enough:
        return Text(
            "Too few sessions to conclude: each group needs at least %(minimum)s sessions "
            "whose window has closed (%(held_out)s held out, %(treated)s treated so far).",
            minimum=MINIMUM_SESSIONS,
            held_out=counts.held_out,
            treated=counts.treated,
        )
    if not found.conclusive or found.difference is None:
        return Text(
            "Too few sessions to conclude: the 95%% interval of the difference spans zero, so "
            "suggestions may prevent tickets or not."
        )
    if found.difference > 0:
        return Text(
            "Suggestions prevent tickets: treated sessions file %(points)s fewer tickets per "
            "100 sessions than held-out ones.",
            points=_points(found.difference),
        )
    return Text(
        "Sessions shown suggestions file %(points)s more tickets per 100 sessions than "
        "held-out ones: the suggestions are not preventing tickets.",
        points=_points(-found.difference),
    )


def _points(share: float) -> Fixed:
    return Fixed(share * 100, 1)


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
            Text("True deflection"),
            now.difference,
            before.difference,
            "rate",
            Text("held-out ticket rate − treated ticket rate"),
        ),
        Number("interval_low", Text("95%% interval, low"), now.low, before.low, "rate"),
        Number("interval_high", Text("95%% interval, high"), now.high, before.high, "rate"),
        Number(
            "held_out_rate",
            Text("Ticket rate, held out"),
            now.held_out_rate,
            before.held_out_rate,
            "rate",
        ),
        Number(
            "treated_rate",
            Text("Ticket rate, shown suggestions"),
            now.treated_rate,
            before.treated_rate,
            "rate",
        ),
        Number("held_out_sessions", Text("Held-out sessions"), current.held_out, previous.held_out),
        Number("treated_sessions", Text("Treated sessions"), current.treated, previous.treated),
    )
    columns = (
        Column("group", Text("Group")),
        Column("sessions", Text("Sessions"), "count"),
        Column("tickets", Text("Sessions with a ticket"), "count"),
        Column("rate", Text("Ticket rate"), "rate"),
        Column("low", Text("95%% interval, low"), "rate"),
        Column("high", Text("95%% interval, high"), "rate"),
    )
    rows = []
    if current.held_out or current.treated:
        rows = [
            _group_row(Text("Held out"), current.held_out, current.held_out_tickets),
            _group_row(Text("Shown suggestions"), current.treated, current.treated_tickets),
        ]
        if now.difference is not None:
            rows.append(
                {
                    "group": Text("Difference (true deflection)"),
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
        Text("Ticket rate of held-out and treated sessions"),
        columns,
        tuple(rows),
        empty=Text(
            "Sessions appear here once their window has closed. With holdout_share above 0, "
            "that share of help sessions is shown no suggestions, so that their ticket rate "
            "can be compared with everyone else's."
        ),
        note=Text(
            "A session filed a ticket when one came within %(hours)s hours of its start; "
            "intervals are Wilson's for each rate and Newcombe's for the difference.",
            hours=hours,
        ),
    )
    notes = [verdict(current, share)]
    if current.pending:
        notes.append(
            Text(
                "%(pending)s sessions of the period are still inside their window and are "
                "not counted yet.",
                pending=current.pending,
            )
        )
    if filters.category or filters.language:
        notes.append(
            Text(
                "Category and language filters do not apply here: held-out sessions are shown "
                "no answer to take a category from, so every session is counted."
            )
        )
    notes.append(
        Text(
            "A verdict needs at least %(minimum)s sessions in each group and a 95%% interval "
            "that does not span zero.",
            minimum=MINIMUM_SESSIONS,
        )
    )
    return Readout(
        report="holdout",
        title=Text("True deflection (holdout)"),
        period=period,
        filters=filters,
        numbers=numbers,
        tables=(table,),
        charts=(
            Chart(
                "groups",
                Text("Ticket rates with their 95%% intervals"),
                "interval",
                "groups",
                "group",
                ("rate", "low", "high"),
                {Text("no difference"): 0.0},
            ),
        ),
        notes=tuple(notes),
        generated=generated,
    )


def _group_row(name: Text, sessions: int, tickets: int) -> dict[str, object]:
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
