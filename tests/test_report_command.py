"""`kb report`: the same readouts as Services.insights, in the terminal, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.config import Settings
from kb.events import (
    Search,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.readout import Filters, Period
from kb.insights.reports import REPORTS
from kb.services import build_services
from kb.web import create_app

FAST = {"KB_EMBEDDER": "hashing", "KB_HOME": None, "KB_CONFIG": None}
PERIOD = Period(date(2026, 11, 16), date(2026, 11, 22))


def run(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments), env=FAST)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A KB home whose store holds three help sessions in the week of PERIOD."""
    home = tmp_path / "home"
    services = build_services(Settings(home=home, embedder="hashing"))
    try:
        for number, day in enumerate((16, 17, 18)):
            session = f"s{number}"
            moment = datetime(2026, 11, day, 9, tzinfo=UTC)
            shown = ShownSuggestion("vpn", 0.7)
            services.events.record(SessionStarted(session_id=session, at=moment, language="en"))
            services.events.record(
                SuggestionsShown(session_id=session, at=moment, query="vpn", suggestions=(shown,))
            )
        services.events.record(
            SelfResolved(
                session_id="s0", at=datetime(2026, 11, 16, 9, 5, tzinfo=UTC), article_id="vpn"
            )
        )
        services.events.record(
            TicketCreated(
                session_id="s1", at=datetime(2026, 11, 17, 9, 30, tzinfo=UTC), ticket_id="INC-1"
            )
        )
    finally:
        services.close()
    return home


def insights_json(home: Path, filters: Filters | None = None) -> dict[str, object]:
    services = build_services(Settings(home=home, embedder="hashing"))
    try:
        found = services.insights.overview(PERIOD, filters or Filters()).to_json()
    finally:
        services.close()
    found.pop("generated")
    return found


def test_json_is_the_insights_readout(home: Path) -> None:
    result = run(
        "report",
        "overview",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-22",
        "--json",
        "--home",
        str(home),
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed.pop("generated")
    assert printed == insights_json(home)
    numbers = {number["key"]: number["value"] for number in printed["numbers"]}
    # One confirmed, one ticket, one no signal: 1 of 3 deflected.
    assert (numbers["help_sessions"], numbers["tickets"]) == (3, 1)
    assert numbers["deflection_rate"] == round(1 / 3, 6)


@pytest.mark.parametrize("report", REPORTS)
def test_json_agrees_with_the_api(home: Path, report: str) -> None:
    window = ("--since", "2026-11-16", "--until", "2026-11-22", "--language", "en")
    result = run("report", report, *window, "--json", "--home", str(home))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    services = build_services(Settings(home=home, embedder="hashing"))
    try:
        owner = services.users.add("boss@example.com", "correct horse battery", ("manager",))
        _, secret = services.users.create_token(owner.id, "report")
        response = (
            create_app(services=services)
            .test_client()
            .get(
                f"/api/v1/insights/{report}?since=2026-11-16&until=2026-11-22&language=en",
                headers={"Authorization": f"Bearer {secret}"},
            )
        )
    finally:
        services.close()
    assert response.status_code == 200
    served = response.get_json()
    assert printed.pop("generated") and served.pop("generated")
    assert printed == served


def test_the_filters_reach_the_readout(home: Path) -> None:
    result = run(
        "report",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-22",
        "--language",
        "es",
        "--json",
        "--home",
        str(home),
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    printed.pop("generated")
    assert printed == insights_json(home, Filters(language="es"))
    assert printed["numbers"][0]["value"] == 0


def test_the_terminal_shows_numbers_with_the_previous_period_and_the_tables(home: Path) -> None:
    result = run("report", "--since", "2026-11-16", "--until", "2026-11-22", "--home", str(home))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert (
        "Overview: 2026-11-16 to 2026-11-22 (7 days), compared with 2026-11-09 to 2026-11-15"
        in text
    )
    assert "Deflection rate" in text and "33.3%  (previous no data)" in text
    assert "Help sessions" in text and "3  (previous 0, +3)" in text
    assert "minutes_per_ticket" in text
    assert "Deflection and tickets by day" in text


def test_csv_holds_the_tables(home: Path) -> None:
    result = run(
        "report",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-22",
        "--csv",
        "--table",
        "trend",
        "--home",
        str(home),
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:3] == ["From", "To", "Sessions shown suggestions, decided"]
    assert [row[0] for row in rows[1:]] == [f"2026-11-{day}" for day in range(16, 23)]
    assert [row[6] for row in rows[1:4]] == ["0", "1", "0"]
    every = run(
        "report", "--since", "2026-11-16", "--until", "2026-11-22", "--csv", "--home", str(home)
    )
    assert "# trend: " in every.stdout and "# outcomes: " in every.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--days", "week"), "`days` must be a whole number"),
        (("--since", "2026-11-20", "--until", "2026-11-01"), "ends before it starts"),
        (("--json", "--csv"), "choose one of --json and --csv"),
        (("--table", "trend"), "add --csv"),
        (("--csv", "--table", "nothing"), "has no table 'nothing'"),
    ],
)
def test_bad_options_say_what_to_do(home: Path, arguments: tuple[str, ...], message: str) -> None:
    result = run("report", *arguments, "--home", str(home))
    assert result.exit_code != 0
    assert message in result.output


def test_unknown_reports_are_refused_with_the_choices(home: Path) -> None:
    result = run("report", "everything", "--home", str(home))
    assert result.exit_code == 2
    assert "overview" in result.output and "problems" in result.output


@pytest.fixture
def gap_home(home: Path) -> Path:
    """The home with two searches the knowledge base had no confident answer for."""
    services = build_services(Settings(home=home, embedder="hashing"))
    try:
        for number, query in enumerate(("printer on fire", "teleport my laptop")):
            at = datetime(2026, 11, 19, 10 + number, tzinfo=UTC)
            services.events.record(SessionStarted(session_id=f"g{number}", at=at, language="en"))
            services.events.record(
                Search(session_id=f"g{number}", at=at, query=query, confident=False)
            )
    finally:
        services.close()
    return home


def gap_texts(home: Path) -> list[str]:
    result = run(
        "report",
        "gaps",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-22",
        "--json",
        "--home",
        str(home),
    )
    assert result.exit_code == 0, result.output
    (gaps,) = [t for t in json.loads(result.output)["tables"] if t["key"] == "gaps"]
    return [row["gap"] for row in gaps["rows"]]


def test_a_gap_is_dismissed_listed_and_put_back_from_the_command_line(gap_home: Path) -> None:
    where = ("--home", str(gap_home))
    # The home's search followed by a ticket is a gap too.
    assert sorted(gap_texts(gap_home)) == ["printer on fire", "teleport my laptop", "vpn"]
    dismissed = run(
        "report", "gaps", "--dismiss", "Printer  on fire", "--by", "mo@example.com", *where
    )
    assert dismissed.exit_code == 0, dismissed.output
    assert "Dismissed gap 1: 'Printer on fire'" in dismissed.output
    assert "kb report gaps --restore 1" in dismissed.output
    # The gaps report leaves it out, as the page does, and lists it as dismissed.
    assert sorted(gap_texts(gap_home)) == ["teleport my laptop", "vpn"]
    listed = run("report", "gaps", "--dismissed", *where)
    assert listed.exit_code == 0, listed.output
    assert "Dismissed gaps" in listed.output
    assert "Printer on fire" in listed.output and "mo@example.com" in listed.output
    as_json = json.loads(run("report", "gaps", "--dismissed", "--json", *where).output)
    assert [(row["id"], row["gap"], row["dismissed_by"]) for row in as_json["rows"]] == [
        (1, "Printer on fire", "mo@example.com")
    ]
    as_csv = list(
        csv.reader(io.StringIO(run("report", "gaps", "--dismissed", "--csv", *where).output))
    )
    assert as_csv[0] == ["Number", "Gap", "Dismissed by", "Dismissed"]
    assert as_csv[1][:3] == ["1", "Printer on fire", "mo@example.com"]
    restored = run("report", "gaps", "--restore", "1", *where)
    assert restored.exit_code == 0 and "Gap 1 is reported again." in restored.output
    assert sorted(gap_texts(gap_home)) == ["printer on fire", "teleport my laptop", "vpn"]
    empty = run("report", "gaps", "--dismissed", *where).output
    assert "Gaps a manager dismisses appear here" in empty


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("overview", "--dismiss", "x", "--by", "mo"), "--dismiss is for the gaps report"),
        (("searches", "--dismissed"), "--dismissed is for the gaps report"),
        (("gaps", "--dismiss", "printer on fire"), "--by you@example.com"),
        (("gaps", "--by", "mo"), "--by goes with --dismiss"),
        (("gaps", "--dismiss", "x", "--by", "mo", "--restore", "1"), "choose one of"),
        (("gaps", "--restore", "7"), "no dismissed gap 7"),
    ],
)
def test_gap_options_that_cannot_work_say_what_to_do(
    gap_home: Path, arguments: tuple[str, ...], message: str
) -> None:
    result = run("report", *arguments, "--home", str(gap_home))
    assert result.exit_code != 0 and message in result.output
