"""`kb demo`: a month of portal traffic replayed through the real portal into a demo home.

Every visit goes through the portal's own routes (Flask's test client on the real app): a
search or a request being typed, the answers the engine gives, articles opened, votes,
"this solved it", known issues joined, tickets filed. What a simulated requester does next
is drawn, with the seed, from what the engine itself says: an answer solves the problem with
the deflection probability the portal showed for it. Nothing is counted here; the insights
pages compute every number from the events this leaves. A visit is replayed now and its
rows are then moved to the time planned for it, spread over the days, business hours first.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import sqlalchemy
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kb.cli.options import kb_errors, settings_from
from kb.cli.progress import progress_display
from kb.indexer.sources import read_ticket_export
from kb.model import WorkDone
from kb.services import DEMO_MARKER, Services, build_services
from kb.store.database import DATABASE_FILE_NAME
from kb.store.tables import Base, TicketRow
from kb.web import create_app
from kb.web.visits import COOKIE as VISIT_COOKIE

# How requesters behave (not what comes of it: outcomes come from the engine's probabilities).
SEARCH_FIRST = 0.55  # the rest start on the request form
VIEW_BY_RANK = (0.65, 0.3, 0.15)  # chance to open the answer at each rank, if still looking
CONFIRM_SOLVED = 0.35  # "this solved it" after an answer worked
VOTE_HELPFUL = 0.3  # "was this helpful? yes" after an answer worked, without confirming
VOTE_UNHELPFUL = 0.3  # "no" after an answer did not work
FILE_AFTER_FAILURE = 0.8  # a ticket when nothing shown worked
JOIN_KNOWN_ISSUE = 0.6  # "this is my problem too" when a known issue is shown
WEEKEND = 0.3  # a weekend day's traffic against a weekday's
REQUESTERS = 150
# The repository's sample tickets, indexed and used as requests when no export is given.
SAMPLE_TICKETS = Path("tickets") / "resolved-tickets.jsonl"
# Requests the sample knowledge does not answer: they become content gaps.
UNANSWERED = (
    ("Book a meeting room for 12 people", "Which rooms have video conferencing on floor 4?"),
    ("Expense report rejected", "My travel expense claim came back without a reason"),
    ("Parking badge stopped working", "The garage gate does not open with my badge"),
    ("Need a second monitor arm", "Can I order a monitor arm for my desk?"),
    ("Payslip not visible", "The HR portal shows no payslip for last month"),
    ("Coffee machine error E5", "The machine on the 3rd floor shows E5"),
)
UNHELPFUL_COMMENTS = (
    "Did not match my error message",
    "The steps do not exist on my version",
    None,
    None,
)


@dataclass(frozen=True)
class Need:
    """What a simulated requester wants help with."""

    subject: str
    description: str
    category: str | None = None


@dataclass(frozen=True)
class PlannedVisit:
    start: datetime
    need: Need
    requester: str


def plan_visits(
    needs: Sequence[Need], days: int, per_day: float, end: datetime, rng: random.Random
) -> list[PlannedVisit]:
    """Visits over `days` days before `end`, oldest first: fewer at weekends, most in office
    hours (normal around 11:00 and 14:30)."""
    visits = []
    for back in range(days, 0, -1):
        day = (end - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        weight = WEEKEND if day.weekday() >= 5 else 1.0
        count = _poisson(per_day * weight, rng)
        for _ in range(count):
            hour = rng.gauss(11.0 if rng.random() < 0.5 else 14.5, 2.0)
            start = day + timedelta(hours=min(23.9, max(0.0, hour)))
            if start < end:
                need = rng.choice(needs)
                requester = f"requester{rng.randrange(REQUESTERS):03d}@example.com"
                visits.append(PlannedVisit(start, need, requester))
    return sorted(visits, key=lambda visit: visit.start)


def _poisson(mean: float, rng: random.Random) -> int:
    """Knuth's method: enough for a few dozen visits a day."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def needs_from(tickets_file: Path | None) -> list[Need]:
    """Requests like the desk's own: the sample tickets' words, and some nothing answers."""
    needs = [Need(subject, description) for subject, description in UNANSWERED]
    if tickets_file is not None and tickets_file.is_file():
        tickets, _ = read_ticket_export(tickets_file)
        needs += [Need(t.subject, t.description, t.category) for t in tickets]
    return needs


class Visitor:
    """One simulated requester on the portal, through the app's own routes."""

    def __init__(self, client: FlaskClient, rng: random.Random) -> None:
        self.client = client
        self.rng = rng

    def visit(self, planned: PlannedVisit) -> bool:
        """Replay one visit; True when it filed a ticket."""
        need = planned.need
        if self.rng.random() < SEARCH_FIRST:
            answers = self._json(
                self.client.get("/api/v1/search", query_string={"q": need.subject})
            )
            source = "search"
        else:
            body = {"subject": need.subject, "description": need.description}
            answers = self._json(self.client.post("/api/v1/suggest", json=body))
            source = "suggestion"
        issues = answers.get("known_issues", [])
        if issues and self.rng.random() < JOIN_KNOWN_ISSUE:
            self._json(self.client.post(issues[0]["join"], json={}))
            return False
        for rank, hit in enumerate(answers.get("hits", [])[: len(VIEW_BY_RANK)]):
            if hit["url"] is None or self.rng.random() >= VIEW_BY_RANK[rank]:
                continue
            page = str(hit["url"]).split("#", 1)[0]
            self._ok(self.client.get(page, query_string={"from": source}))
            if self.rng.random() < hit["deflection"]:
                self._worked(hit["id"])
                return False
            if self.rng.random() < VOTE_UNHELPFUL:
                comment = self.rng.choice(UNHELPFUL_COMMENTS)
                vote: dict[str, Any] = {"article_id": hit["id"], "helpful": False}
                self._json(self.client.post("/api/v1/feedback", json=vote | {"comment": comment}))
        if self.rng.random() >= FILE_AFTER_FAILURE:
            return False
        ticket = {
            "subject": need.subject,
            "description": need.description or need.subject,
            "requester_email": planned.requester,
            **({"category": need.category} if need.category else {}),
        }
        self._json(self.client.post("/api/v1/tickets", json=ticket))
        return True

    def _worked(self, article_id: str) -> None:
        draw = self.rng.random()
        if draw < CONFIRM_SOLVED:
            self._json(self.client.post("/api/v1/resolved", json={"article_id": article_id}))
        elif draw < CONFIRM_SOLVED + VOTE_HELPFUL:
            vote = {"article_id": article_id, "helpful": True}
            self._json(self.client.post("/api/v1/feedback", json=vote))

    def _ok(self, response: Any) -> None:
        if response.status_code >= 400:
            raise click.ClickException(
                f"the portal answered {response.status_code} to {response.request.path} "
                "during the replay; nothing after this visit was replayed"
            )

    def _json(self, response: Any) -> dict[str, Any]:
        self._ok(response)
        body: dict[str, Any] = response.get_json()
        return body

    def session_id(self) -> str:
        cookie = self.client.get_cookie(VISIT_COOKIE)
        if cookie is None:
            raise click.ClickException("the portal set no visit cookie during the replay")
        return cookie.value.split(".")[0]


def move_visit(engine: sqlalchemy.Engine, session_id: str, start: datetime) -> None:
    """Move every row the visit left (events, and any table of the store keyed by session
    and time, tickets it filed) so that it began at `start`, keeping the gaps between them."""
    with Session(engine) as session, session.begin():
        tables = [
            (table, table.c.at)
            for table in Base.metadata.sorted_tables
            if "session_id" in table.c and "at" in table.c
        ]
        times = [
            moment
            for table, column in tables
            for moment in session.scalars(select(column).where(table.c.session_id == session_id))
        ]
        if not times:
            return
        offset = start - min(times)
        for table, column in tables:
            rows = session.execute(
                select(table.c.id, column).where(table.c.session_id == session_id)
            ).all()
            for row_id, moment in rows:
                session.execute(
                    update(table).where(table.c.id == row_id).values(at=moment + offset)
                )
        tickets = session.scalars(select(TicketRow).where(TicketRow.help_session == session_id))
        for ticket in tickets:
            ticket.created = ticket.created + offset
            if ticket.updated is not None:
                ticket.updated = ticket.updated + offset


def replay(
    services: Services,
    needs: Sequence[Need],
    *,
    days: int,
    per_day: float,
    seed: int,
    end: datetime,
) -> Iterator[tuple[int, int, bool]]:
    """Replay the planned visits one by one; yields (done, total, filed a ticket)."""
    rng = random.Random(seed)
    planned = plan_visits(needs, days, per_day, end, rng)
    app = create_app(services=services)
    for done, visit in enumerate(planned, start=1):
        visitor = Visitor(app.test_client(), rng)
        filed = visitor.visit(visit)
        move_visit(services.engine, visitor.session_id(), visit.start)
        yield done, len(planned), filed


@click.command()
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".kb-demo"),
    show_default=True,
    help="The demo's own KB home (never your real one: it is marked as demo data).",
)
@click.option("--days", type=click.IntRange(1, 365), default=30, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--visits-per-day",
    type=click.FloatRange(0.1, 500),
    default=30.0,
    show_default=True,
    help="Mean help sessions on a weekday.",
)
@click.option(
    "--holdout-share",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of visits held out of suggestions, so the holdout page has data.",
)
@click.option("--articles", type=click.Path(path_type=Path), help="Articles folder.")
@click.option("--tickets", type=click.Path(path_type=Path), help="Resolved-ticket export.")
def demo(
    home: Path,
    days: int,
    seed: int,
    visits_per_day: float,
    holdout_share: float,
    articles: Path | None,
    tickets: Path | None,
) -> None:
    """Fill a separate demo home with a month of portal traffic, replayed through the portal."""
    settings = settings_from(home=home, articles_dir=articles, tickets_file=tickets)
    if settings.tickets_file is None and SAMPLE_TICKETS.is_file():
        settings = replace(settings, tickets_file=SAMPLE_TICKETS)
    settings = replace(settings, holdout_share=holdout_share)
    marker = settings.home / DEMO_MARKER
    if settings.home.exists() and any(settings.home.iterdir()) and not marker.exists():
        raise click.ClickException(
            f"{settings.home} is a KB home that is not a demo; give the demo its own --home"
        )
    if (settings.home / DATABASE_FILE_NAME).exists():
        raise click.ClickException(
            f"{settings.home} already holds a demo; remove it or choose another --home"
        )
    settings.home.mkdir(parents=True, exist_ok=True)
    end = datetime.now(UTC)
    marker.write_text(
        json.dumps({"days": days, "seed": seed, "created": end.isoformat()}) + "\n", "utf-8"
    )
    with kb_errors():
        services = build_services(settings)
        try:
            with progress_display("kb demo: indexing") as progress:
                report = services.index_files(progress=progress)
            for error in report.errors:
                click.echo(f"skipped {error}", err=True)
            needs = needs_from(settings.tickets_file)
            visits = filed = 0
            with progress_display("kb demo: visits") as progress:
                for done, total, ticket in replay(
                    services, needs, days=days, per_day=visits_per_day, seed=seed, end=end
                ):
                    visits, filed = done, filed + ticket
                    progress(WorkDone(unit="visits", done=done, total=total))
        finally:
            services.close()
    click.echo(
        f"{settings.home}: demo data, {visits} visits over {days} days, {filed} tickets filed. "
        f"See it with: kb serve --home {settings.home}"
    )
