"""Typed events: each kind's stored form, reading older records, and a visit's trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kb.events import (
    EVENT_KINDS,
    ArticleView,
    Event,
    Feedback,
    ProblemJoined,
    Record,
    Search,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
    TicketReopened,
    TicketResolved,
    TrailRating,
    TrailSearch,
    TrailSuggestion,
    TrailView,
    from_record,
    session_trail,
    to_record,
)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


ONE_OF_EACH: list[Event] = [
    SessionStarted(session_id="s", at=at(0), holdout=True),
    Search(
        session_id="s",
        at=at(1),
        query="vpn",
        hits=("vpn-setup", "ticket:INC-000004"),
        deflection=0.4,
        confident=False,
        known_issues=("PRB-000001",),
        category="network",
        language="en",
    ),
    SuggestionsShown(
        session_id="s",
        at=at(2),
        query="vpn drops",
        suggestions=(ShownSuggestion("vpn-setup", 0.7, (0.1, 0.2)),),
        deflection=0.8,
        confident=True,
    ),
    ArticleView(session_id="s", at=at(3), article_id="vpn-setup", source="suggestion"),
    Feedback(session_id="s", at=at(4), article_id="vpn-setup", helpful=False, comment="old"),
    SelfResolved(session_id="s", at=at(5), article_id="vpn-setup"),
    TicketCreated(
        session_id="s",
        at=at(6),
        ticket_id="INC-000001",
        shown=("vpn-setup",),
        viewed=("vpn-setup",),
        failed=("vpn-setup",),
    ),
    TicketResolved(session_id="s", at=at(7), ticket_id="INC-000001", by="a@x.org", shareable=True),
    TicketReopened(session_id="s", at=at(8), ticket_id="INC-000001", by="a@x.org"),
    ProblemJoined(session_id="s", at=at(9), problem="PRB-000001"),
]


def test_there_is_one_type_per_kind_and_the_example_covers_them() -> None:
    assert sorted(event.kind for event in ONE_OF_EACH) == sorted(EVENT_KINDS)


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda event: event.kind)
def test_every_kind_survives_its_stored_form(event: Event) -> None:
    assert from_record(to_record(event)) == event


STORED = [
    pytest.param(
        to_record(ONE_OF_EACH[2]),
        Record(
            kind="suggestions_shown",
            session_id="s",
            at=at(2),
            query="vpn drops",
            data={
                "suggestions": [{"id": "vpn-setup", "deflection": 0.7, "features": [0.1, 0.2]}],
                "deflection": 0.8,
                "confident": True,
                "known_issues": [],
            },
        ),
        id="suggestions: query in its column, the rest as JSON",
    ),
    pytest.param(
        to_record(ONE_OF_EACH[3]),
        Record(
            kind="article_view",
            session_id="s",
            at=at(3),
            article_id="vpn-setup",
            data={"source": "suggestion"},
        ),
        id="view: the document in its column",
    ),
]


@pytest.mark.parametrize(("record", "expected"), STORED)
def test_the_stored_layout(record: Record, expected: Record) -> None:
    assert record == expected


OLDER = [
    pytest.param(
        Record(
            "ticket_created", "s", START, ticket_id="INC-1", data={"shown": ["a"], "viewed": []}
        ),
        TicketCreated(session_id="s", at=START, ticket_id="INC-1", shown=("a",)),
        id="a ticket recorded before `failed` existed fails nothing",
    ),
    pytest.param(
        Record("search", "s", START, query="vpn", data={"hits": ["a"], "deflection": 1}),
        Search(session_id="s", at=START, query="vpn", hits=("a",), deflection=1.0),
        id="missing keys take defaults, whole numbers read as floats",
    ),
    pytest.param(
        Record("article_view", "s", START, article_id="a", data={"source": "search", "x": 1}),
        ArticleView(session_id="s", at=START, article_id="a", source="search"),
        id="unknown keys are ignored",
    ),
    pytest.param(
        Record(
            "suggestions_shown",
            "s",
            START,
            query="q",
            data={"suggestions": [{"id": 7, "deflection": 0.5}]},
        ),
        SuggestionsShown(
            session_id="s", at=START, query="q", suggestions=(ShownSuggestion("7", 0.5),)
        ),
        id="a suggestion without features",
    ),
]


@pytest.mark.parametrize(("record", "event"), OLDER)
def test_older_records_still_read(record: Record, event: Event) -> None:
    assert from_record(record) == event


MALFORMED = [
    pytest.param(Record("clicked", "s", START), "unknown event kind", id="unknown kind"),
    pytest.param(Record("feedback", "s", START), "malformed feedback", id="missing fields"),
    pytest.param(
        Record("suggestions_shown", "s", START, query="q", data={"suggestions": {"id": "a"}}),
        "must be a list",
        id="suggestions not a list",
    ),
    pytest.param(
        Record("search", "s", START, query="q", data={"deflection": "high"}),
        "must be a number",
        id="probability not a number",
    ),
    pytest.param(
        Record("article_view", "s", START, article_id="a", data={"source": "email"}),
        "view source",
        id="unknown view source",
    ),
]


@pytest.mark.parametrize(("record", "problem"), MALFORMED)
def test_malformed_records_are_refused(record: Record, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        from_record(record)


def test_times_are_kept_in_utc_and_must_be_aware() -> None:
    local = datetime(2026, 11, 2, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    assert Search(session_id="s", at=local, query="q").at == START
    with pytest.raises(ValueError, match="timezone-aware"):
        Search(session_id="s", at=datetime(2026, 11, 2), query="q")
    with pytest.raises(ValueError, match="session"):
        Search(session_id="", at=START, query="q")
    with pytest.raises(TypeError, match="event kinds"):
        Event(session_id="s", at=START)


def test_a_trail_reads_searches_suggestions_views_and_ratings_in_order() -> None:
    events = [
        Search(session_id="s", at=at(0), query="vpn", hits=("a", "b")),
        ArticleView(session_id="s", at=at(1), article_id="a", source="search"),
        SuggestionsShown(
            session_id="s",
            at=at(2),
            query="vpn drops hourly",
            suggestions=(ShownSuggestion("b", 0.6), ShownSuggestion("c", 0.4)),
        ),
        ArticleView(session_id="s", at=at(3), article_id="b", source="suggestion"),
        Feedback(session_id="s", at=at(4), article_id="b", helpful=False, comment="no"),
        Search(session_id="s", at=at(5), query="vpn", hits=()),
        TicketCreated(session_id="s", at=at(6), ticket_id="INC-1"),
        ArticleView(session_id="s", at=at(7), article_id="d"),
    ]
    trail = session_trail(events, until=at(6))
    assert trail.searches == (TrailSearch("vpn", at(0), 2), TrailSearch("vpn", at(5), 0))
    assert trail.shown == (
        TrailSuggestion("b", 0.6, "vpn drops hourly"),
        TrailSuggestion("c", 0.4, "vpn drops hourly"),
    )
    assert trail.viewed == (
        TrailView("a", at(1), "search", "vpn"),
        TrailView("b", at(3), "suggestion", "vpn drops hourly"),
    )
    assert trail.ratings == (TrailRating("b", False, "no"),)
    assert trail.summary() == {
        "searches": ["vpn", "vpn drops hourly"],
        "shown": ["b", "c"],
        "viewed": ["a", "b"],
    }
    assert not trail.empty and session_trail([]).empty
    assert session_trail(events).viewed[-1] == TrailView("d", at(7), "link", "vpn")
