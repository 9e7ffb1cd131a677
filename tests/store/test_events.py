"""The event store on a real SQLite file: WAL mode, sessions in order, article track records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy

from kb.errors import InvalidInputError
from kb.events import (
    ArticleView,
    Feedback,
    Search,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.store.database import open_database, sqlite_url
from kb.store.events import EventStore, TrackRecord
from kb.store.tables import EventItemRow

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def store(engine: sqlalchemy.Engine) -> EventStore:
    return EventStore(engine)


def test_sqlite_url_names_a_file_in_the_home_and_creates_the_home(tmp_path: Path) -> None:
    home = tmp_path / "new" / ".kb"
    assert sqlite_url(home) == f"sqlite:///{home}/kb.sqlite3"
    assert home.is_dir()


def test_sqlite_runs_in_wal_mode_synced_normally_with_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = open_database(sqlite_url(tmp_path / "home"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # 1 is NORMAL: synced at checkpoints, not at every event's commit.
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()
    assert (tmp_path / "home" / "kb.sqlite3").is_file()


def test_engine_creates_the_folder_of_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "events.db"
    engine = open_database(f"sqlite:///{path}")
    try:
        EventStore(engine).record(Search(session_id="s1", at=START, query="vpn"))
    finally:
        engine.dispose()
    assert path.is_file()


def test_event_round_trips_with_its_data_and_utc_time(store: EventStore) -> None:
    shown = SuggestionsShown(
        session_id="s1",
        at=datetime(2025, 3, 3, 11, 0, tzinfo=timezone(timedelta(hours=2))),
        query="vpn drops every hour",
        suggestions=(ShownSuggestion("vpn-setup", 0.71, (0.8, 0.1)),),
        deflection=0.74,
        confident=True,
        category="network",
        language="en",
    )
    store.record(shown)
    [loaded] = store.session("s1")
    assert loaded == shown
    assert loaded.at == START and loaded.at.tzinfo == UTC


def test_session_is_oldest_first_and_only_that_session(store: EventStore) -> None:
    store.record(TicketCreated(session_id="s1", at=at(30), ticket_id="INC-000001"))
    store.record(Search(session_id="s1", at=at(0), query="printer"))
    store.record(Search(session_id="s2", at=at(5), query="wifi"))
    store.record(ArticleView(session_id="s1", at=at(10), article_id="printer-jam"))
    # Same instant as the view: recording order breaks the tie.
    store.record(Feedback(session_id="s1", at=at(10), article_id="printer-jam", helpful=False))

    kinds = [event.kind for event in store.session("s1")]

    assert kinds == ["search", "article_view", "feedback", "ticket_created"]
    assert store.session("nobody") == []


def test_sessions_with_a_kind_are_distinct_and_can_start_from_a_time(store: EventStore) -> None:
    for session, minute in (("early", 0), ("late", 60), ("early", 90)):
        store.record(SuggestionsShown(session_id=session, at=at(minute), query="vpn"))
    store.record(Search(session_id="searcher", at=at(5), query="vpn"))

    assert store.sessions_with("suggestions_shown") == ["early", "late"]
    assert store.sessions_with("suggestions_shown", since=at(61)) == ["early"]
    assert store.sessions_with("suggestions_shown", since=at(120)) == []
    assert store.sessions_with("self_resolved") == []
    with pytest.raises(ValueError, match="timezone-aware"):
        store.sessions_with("suggestions_shown", since=datetime(2025, 3, 3))


def test_unknown_kind_is_refused_rather_than_answered_with_nothing(store: EventStore) -> None:
    with pytest.raises(InvalidInputError, match="suggestion_shown"):
        store.sessions_with("suggestion_shown")
    with pytest.raises(InvalidInputError):
        store.count("views")


def test_count_by_kind_and_in_all(store: EventStore) -> None:
    assert store.count() == 0
    store.record(Search(session_id="s1", at=at(0), query="vpn"))
    store.record(Search(session_id="s2", at=at(1), query="mail"))
    store.record(ArticleView(session_id="s2", at=at(2), article_id="mail"))

    assert store.count() == 3
    assert store.count("search") == 2
    assert store.count("ticket_created") == 0


def test_track_records_count_votes_resolutions_and_tickets_about_the_same_problem(
    store: EventStore,
) -> None:
    events = [
        # s1: read vpn-setup, found it helpful, said it solved it.
        ArticleView(session_id="s1", at=at(0), article_id="vpn-setup", source="suggestion"),
        Feedback(session_id="s1", at=at(1), article_id="vpn-setup", helpful=True),
        SelfResolved(session_id="s1", at=at(2), article_id="vpn-setup"),
        # s2: read vpn-setup twice and printer-jam, voted vpn-setup down, then filed a ticket
        # about the printer: it counts against printer-jam only.
        ArticleView(session_id="s2", at=at(0), article_id="vpn-setup", source="search"),
        ArticleView(session_id="s2", at=at(1), article_id="vpn-setup", source="link"),
        Feedback(session_id="s2", at=at(2), article_id="vpn-setup", helpful=False),
        ArticleView(session_id="s2", at=at(3), article_id="printer-jam", source="search"),
        TicketCreated(
            session_id="s2",
            at=at(4),
            ticket_id="INC-000001",
            viewed=("vpn-setup", "printer-jam"),
            failed=("printer-jam",),
        ),
        # s3: filed a ticket first and read mail-quota only afterwards.
        TicketCreated(session_id="s3", at=at(0), ticket_id="INC-000002"),
        ArticleView(session_id="s3", at=at(1), article_id="mail-quota", source="link"),
        # s4: read mail-quota; the ticket came in another session.
        ArticleView(session_id="s4", at=at(0), article_id="mail-quota", source="search"),
        TicketCreated(session_id="s5", at=at(5), ticket_id="INC-000003"),
        Feedback(session_id="s6", at=at(0), article_id="mail-quota", helpful=True),
        Feedback(session_id="s7", at=at(0), article_id="mail-quota", helpful=True),
    ]
    for event in events:
        store.record(event)

    assert store.track_records() == {
        "vpn-setup": TrackRecord(helpful=1, unhelpful=1, resolved=1),
        "printer-jam": TrackRecord(failed=1),
        "mail-quota": TrackRecord(helpful=2),
    }
    assert store.track_records(["printer-jam", "never-touched"]) == {
        "printer-jam": TrackRecord(failed=1)
    }
    assert store.track_records([]) == {}


def test_a_second_engine_on_the_same_file_reads_what_the_first_wrote(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "home")
    writer, reader = open_database(url), open_database(url)
    try:
        EventStore(writer).record(Search(session_id="s1", at=START, query="vpn"))
        assert [event.query for event in EventStore(reader).session("s1")] == ["vpn"]
    finally:
        writer.dispose()
        reader.dispose()


def test_a_naive_time_is_refused_before_it_reaches_the_store() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Search(session_id="s1", at=datetime(2025, 3, 3, 9, 0), query="vpn")


def test_suggestions_and_failures_are_also_kept_one_row_each(
    store: EventStore, engine: sqlalchemy.Engine
) -> None:
    store.record(
        SuggestionsShown(
            session_id="s1",
            at=at(0),
            query="vpn",
            suggestions=(ShownSuggestion("vpn-setup", 0.7), ShownSuggestion("wifi", 0.4)),
        )
    )
    store.record(TicketCreated(session_id="s1", at=at(5), ticket_id="INC-1", failed=("wifi",)))
    with engine.connect() as connection:
        rows = connection.execute(
            sqlalchemy.select(
                EventItemRow.role,
                EventItemRow.document_id,
                EventItemRow.position,
                EventItemRow.deflection,
            ).order_by(EventItemRow.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("shown", "vpn-setup", 0, 0.7),
        ("shown", "wifi", 1, 0.4),
        ("failed", "wifi", 0, None),
    ]


def test_prune_deletes_events_and_their_rows_before_a_time(
    store: EventStore, engine: sqlalchemy.Engine
) -> None:
    store.record(
        SuggestionsShown(
            session_id="old", at=at(0), query="vpn", suggestions=(ShownSuggestion("a", 0.5),)
        )
    )
    store.record(Search(session_id="new", at=at(60), query="vpn"))
    assert store.prune(at(30)) == 1
    assert [event.session_id for event in store.session("new")] == ["new"]
    assert store.session("old") == [] and store.count() == 1
    with engine.connect() as connection:
        assert (
            connection.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(EventItemRow))
            == 0
        )


def test_retention_deletes_old_events_as_new_ones_arrive(engine: sqlalchemy.Engine) -> None:
    keeping = EventStore(engine, retention_days=30)
    now = datetime.now(UTC)
    keeping.record(Search(session_id="old", at=now - timedelta(days=31), query="vpn"))
    # The first record of a process prunes; the old event it wrote a moment ago goes.
    assert keeping.count() == 0
    keeping.record(Search(session_id="recent", at=now - timedelta(days=29), query="vpn"))
    assert keeping.count() == 1
    forever = EventStore(engine)
    forever.record(Search(session_id="old", at=now - timedelta(days=3000), query="vpn"))
    assert forever.count() == 2


def test_holdout_is_read_from_the_first_start_of_a_session(store: EventStore) -> None:
    assert store.holdout("s1") is None
    store.record(SessionStarted(session_id="s1", at=at(0), holdout=True))
    store.record(SessionStarted(session_id="s1", at=at(1), holdout=False))
    store.record(SessionStarted(session_id="s2", at=at(0)))
    assert store.holdout("s1") is True and store.holdout("s2") is False
