"""The overview readout: how many visits helped themselves, and what that saved. Pure.

SQL counts a period's sessions by outcome (kb.insights.session_rollups.outcome_tallies,
which judges them as kb.insights.outcomes.outcome does) and its activity
(kb.insights.activity); the figures, rates and trend are made from those counts here, as
DESIGN.md's "Events and metrics" defines them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kb.insights.metrics import hours_saved, kcs_link_rate, ratio, self_service_score
from kb.insights.outcomes import OUTCOMES, DeflectionRates, tally_rates
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table
from kb.insights.wording import Text

OUTCOME_LABELS = {
    "confirmed": Text("Confirmed deflection (this solved it, or a helpful vote)"),
    "potential": Text("Potential deflection (viewed a suggestion, no ticket)"),
    "known_issue": Text("Joined a known issue instead of filing"),
    "not_deflected": Text("Not deflected (a ticket in the window)"),
    "no_signal": Text("No signal (shown suggestions, nothing opened)"),
    "pending": Text("Window still open"),
}


@dataclass(frozen=True)
class PortalActivity:
    """What the portal and the desk did in a period, counted in SQL."""

    # Tickets created from the portal (ticket_created events).
    tickets: int = 0
    # Distinct portal visits with any event: the help centre's users.
    visitors: int = 0
    # Distinct requesters of the tickets created, from any channel.
    requesters: int = 0
    # Tickets resolved, and of those the ones with a linked article (the KCS link).
    resolved: int = 0
    linked: int = 0


@dataclass(frozen=True)
class Figures:
    """A period's headline counts. `shown` counts sessions shown suggestions, pending too."""

    help_sessions: int
    shown: int
    rates: DeflectionRates
    activity: PortalActivity

    @property
    def deflection_rate(self) -> float | None:
        return ratio(self.rates.deflected, self.rates.sessions)

    @property
    def confirmed_rate(self) -> float | None:
        return ratio(self.rates.confirmed, self.rates.sessions)


def figures(tally: Mapping[str | None, int], activity: PortalActivity) -> Figures:
    """The counts of one period from how many of its sessions had each outcome (None: never
    shown suggestions), as kb.insights.session_rollups.outcome_tallies counts them."""
    return Figures(
        help_sessions=sum(tally.values()),
        shown=sum(count for name, count in tally.items() if name is not None),
        rates=tally_rates(tally),
        activity=activity,
    )


@dataclass(frozen=True)
class TrendPoint:
    """One day or week of the trend: the outcomes of the sessions that started in it."""

    first: date
    last: date
    rates: DeflectionRates
    tickets: int


def trend(
    buckets: Sequence[tuple[date, date]],
    tallies: Sequence[Mapping[str | None, int]],
    tickets: Sequence[int],
) -> list[TrendPoint]:
    """A point per bucket (first and last day, both included) from the outcomes of the
    sessions that started in it; `tickets` counts each bucket's tickets created from the
    portal."""
    if len(tickets) != len(buckets) or len(tallies) != len(buckets):
        raise ValueError("give one outcome tally and one ticket count per bucket")
    return [
        TrendPoint(first, last, tally_rates(tally), count)
        for (first, last), tally, count in zip(buckets, tallies, tickets, strict=True)
    ]


def overview_readout(
    period: Period,
    filters: Filters,
    current: Figures,
    previous: Figures,
    points: Sequence[TrendPoint],
    *,
    minutes_per_ticket: float,
    window: timedelta,
    generated: datetime,
) -> Readout:
    """The overview: help sessions, deflection, tickets, self-service score, KCS link rate
    and agent hours saved, each beside its value in the previous period."""
    hours = window.total_seconds() / 3600
    deflected = current.rates.deflected
    numbers = (
        Number(
            "help_sessions",
            Text("Help sessions"),
            current.help_sessions,
            previous.help_sessions,
            note=Text("Portal visits that searched or opened the request form."),
        ),
        Number(
            "shown_suggestions",
            Text("Sessions shown suggestions"),
            current.shown,
            previous.shown,
        ),
        Number(
            "deflection_rate",
            Text("Deflection rate"),
            current.deflection_rate,
            previous.deflection_rate,
            kind="rate",
            note=Text(
                "(confirmed + potential + known issue) / sessions shown suggestions whose "
                "%(hours)s h window has closed or that were decided; %(pending)s still inside "
                "their window are not counted yet.",
                hours=hours,
                pending=current.rates.pending,
            ),
        ),
        Number(
            "confirmed_rate",
            Text("Confirmed deflection rate"),
            current.confirmed_rate,
            previous.confirmed_rate,
            kind="rate",
            note=Text('Only sessions that said "this solved it" or voted an answer helpful.'),
        ),
        Number(
            "tickets",
            Text("Tickets created from the portal"),
            current.activity.tickets,
            previous.activity.tickets,
        ),
        Number(
            "self_service_score",
            Text("Self-service score"),
            self_service_score(current.activity.visitors, current.activity.requesters),
            self_service_score(previous.activity.visitors, previous.activity.requesters),
            kind="number",
            note=Text(
                "Distinct portal visits (%(visitors)s) / distinct ticket requesters "
                "(%(requesters)s).",
                visitors=current.activity.visitors,
                requesters=current.activity.requesters,
            ),
        ),
        Number(
            "kcs_link_rate",
            Text("KCS link rate"),
            kcs_link_rate(current.activity.linked, current.activity.resolved),
            kcs_link_rate(previous.activity.linked, previous.activity.resolved),
            kind="rate",
            note=Text(
                "Resolved tickets with a linked article (%(linked)s) / resolved tickets "
                "(%(resolved)s).",
                linked=current.activity.linked,
                resolved=current.activity.resolved,
            ),
        ),
        Number(
            "hours_saved",
            Text("Estimated agent hours saved"),
            hours_saved(deflected, minutes_per_ticket),
            hours_saved(previous.rates.deflected, minutes_per_ticket),
            kind="number",
            note=Text(
                "An assumption, not a measurement: %(deflected)s deflected sessions × "
                "%(minutes)s minutes per ticket (the minutes_per_ticket setting) / 60.",
                deflected=deflected,
                minutes=minutes_per_ticket,
            ),
        ),
    )
    tables = (_trend_table(points, hours), _outcome_table(current.rates, previous.rates))
    charts = (
        Chart(
            "deflection_trend",
            Text("Deflection rate"),
            "line",
            "trend",
            "first",
            ("deflection_rate", "confirmed_rate"),
        ),
        Chart(
            "ticket_trend",
            Text("Tickets created from the portal"),
            "bar",
            "trend",
            "first",
            ("tickets",),
        ),
    )
    notes: tuple[Text, ...] = ()
    if current.help_sessions == 0:
        notes = (
            Text(
                "No help sessions in this period. The numbers appear as requesters search the "
                "portal or open the request form."
            ),
        )
    return Readout(
        report="overview",
        title=Text("Overview"),
        period=period,
        filters=filters,
        numbers=numbers,
        tables=tables,
        charts=charts,
        notes=notes,
        generated=generated,
    )


def _trend_table(points: Sequence[TrendPoint], hours: float) -> Table:
    weekly = any(point.first != point.last for point in points)
    rows = tuple(
        {
            "first": point.first,
            "last": point.last,
            "sessions": point.rates.sessions,
            "deflected": point.rates.deflected,
            "deflection_rate": ratio(point.rates.deflected, point.rates.sessions),
            "confirmed_rate": ratio(point.rates.confirmed, point.rates.sessions),
            "tickets": point.tickets,
        }
        for point in points
    )
    return Table(
        key="trend",
        title=Text("Deflection and tickets by week")
        if weekly
        else Text("Deflection and tickets by day"),
        columns=(
            Column("first", Text("From"), "date"),
            Column("last", Text("To"), "date"),
            Column("sessions", Text("Sessions shown suggestions, decided"), "count"),
            Column("deflected", Text("Deflected"), "count"),
            Column("deflection_rate", Text("Deflection rate"), "rate"),
            Column("confirmed_rate", Text("Confirmed deflection rate"), "rate"),
            Column("tickets", Text("Tickets created from the portal"), "count"),
        ),
        rows=rows,
        empty=Text("One row per day (per week past a month) once the period has begun."),
        note=Text(
            "Sessions by the day they started; a session is decided once its %(hours)s h "
            "window has closed, or sooner by a ticket, a confirmation or a known issue joined.",
            hours=hours,
        ),
    )


def _outcome_table(current: DeflectionRates, previous: DeflectionRates) -> Table:
    rows = tuple(
        {
            "outcome": OUTCOME_LABELS[name],
            "sessions": getattr(current, name),
            "share": None if name == "pending" else ratio(getattr(current, name), current.sessions),
            "previous": getattr(previous, name),
        }
        for name in OUTCOMES
    )
    return Table(
        key="outcomes",
        title=Text("Outcomes of sessions shown suggestions"),
        columns=(
            Column("outcome", Text("Outcome")),
            Column("sessions", Text("Sessions"), "count"),
            Column("share", Text("Share of decided sessions"), "rate"),
            Column("previous", Text("Previous period"), "count"),
        ),
        rows=rows
        if any((current.sessions, current.pending, previous.sessions, previous.pending))
        else (),
        empty=Text("Sessions appear here once the portal has shown suggestions in this period."),
    )
