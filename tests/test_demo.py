"""`kb demo`: simulated traffic through the real portal into its own, labelled home."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from kb.cli import cli
from kb.config import Settings
from kb.events import SessionStarted
from kb.insights.outcomes import session_outcome
from kb.services import build_services
from kb.web import create_app
from tests.conftest import ARTICLES, TICKETS

FAST = {"KB_EMBEDDER": "hashing", "KB_HOME": None, "KB_CONFIG": None}


def run_demo(home: Path, *arguments: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["demo", "--home", str(home), "--articles", str(ARTICLES), "--tickets", str(TICKETS)]
        + list(arguments),
        env=FAST,
    )


def test_a_small_demo_fills_its_own_home_through_the_portal(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    started = datetime.now(UTC)
    result = run_demo(home, "--days", "4", "--seed", "7", "--visits-per-day", "6")
    assert result.exit_code == 0, result.output
    assert "kb demo: visits" in result.stderr and "visits over 4 days" in result.stdout
    assert (home / "demo.json").is_file()
    services = build_services(Settings(home=home, embedder="hashing"))
    try:
        sessions = {
            session_id: services.events.session(session_id)
            for session_id in services.events.sessions_with(SessionStarted.kind)
        }
        events = [event for trail in sessions.values() for event in trail]
        assert len(events) == services.events.count()
        assert len(sessions) >= 8
        # Every visit started, and each says whether it was held out.
        for trail in sessions.values():
            assert sum(isinstance(event, SessionStarted) for event in trail) == 1
        # Spread over the days before the run, never in the future.
        days = {event.at.date() for event in events}
        assert len(days) >= 3
        first_day = (started - timedelta(days=4)).replace(hour=0, minute=0, second=0)
        assert all(first_day <= event.at <= datetime.now(UTC) for event in events)
        kinds = Counter(event.kind for event in events)
        assert kinds["search"] + kinds["suggestions_shown"] > 0 and kinds["article_view"] > 0
        # The outcomes come from what the visits did, not from a table of results.
        window = timedelta(hours=24)
        outcomes = Counter(session_outcome(trail, window=window) for trail in sessions.values())
        filed = int(result.stdout.split(" tickets filed")[0].rsplit(" ", 1)[-1])
        assert kinds["ticket_created"] == filed == services.tickets.count()
        assert outcomes["not_deflected"] <= filed
        page = create_app(services=services).test_client().get("/").get_data(as_text=True)
        assert "Demo data." in page and "simulated by kb demo" in page
    finally:
        services.close()


def test_a_real_home_is_not_labelled_demo(tmp_path: Path) -> None:
    services = build_services(Settings(home=tmp_path / ".kb", embedder="hashing"))
    try:
        page = create_app(services=services).test_client().get("/").get_data(as_text=True)
        assert "Demo data." not in page
    finally:
        services.close()


def test_the_demo_never_writes_into_a_home_that_is_not_a_demo(tmp_path: Path) -> None:
    home = tmp_path / ".kb"
    home.mkdir()
    (home / "kb.sqlite3").write_bytes(b"")
    result = run_demo(home, "--days", "1")
    assert result.exit_code != 0
    assert "is a KB home that is not a demo; give the demo its own --home" in result.output
    assert not (home / "demo.json").exists()
