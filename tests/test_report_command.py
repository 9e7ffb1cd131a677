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
from kb.events import SelfResolved, SessionStarted, ShownSuggestion, SuggestionsShown, TicketCreated
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
