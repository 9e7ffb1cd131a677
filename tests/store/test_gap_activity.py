"""Content gaps from known sessions on each store: the SQL's rows, dismissals, and the
readout through Insights with the hashing embedder (texts sharing most words are close)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy

from kb.errors import InvalidInputError, NotFoundError
from kb.events import (
    ArticleView,
    Feedback,
    Search,
    SelfResolved,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.gap_activity import gap_rows
from kb.insights.gaps import GapRow
from kb.insights.readout import Filters, Period
from kb.insights.reports import Insights
from kb.model import Ticket
from kb.store.events import EventStore
from kb.store.gaps import GapDismissals
from kb.store.tickets import TicketStore
from tests.store.reports_over import insights_at

PERIOD = Period(date(2026, 11, 16), date(2026, 11, 22))
T = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)


def minute(count: float) -> datetime:
    return T + timedelta(minutes=count)


def search(session: str, at: datetime, query: str, confident: bool = False) -> Search:
    return Search(session_id=session, at=at, query=query, confident=confident, language="en")


def typed(session: str, at: datetime, text: str, confident: bool = False) -> SuggestionsShown:
    return SuggestionsShown(
        session_id=session,
        at=at,
        query=text,
        suggestions=(ShownSuggestion("printer", 0.4),),
        confident=confident,
        language="en",
    )


def record(engine: sqlalchemy.Engine) -> None:
    [ticket] = TicketStore(engine).import_tickets(
        [Ticket(id="T1", subject="Printer on floor 3 jammed", description="", resolution="")]
    )
    store = EventStore(engine)
    for event in (
        # a: an unconfident search, nothing after it: lost.
        search("a", minute(0), "printer floor 3 jammed"),
        # b: an unconfident search, then an answer opened from the results: not lost.
        search("b", minute(1), "printer floor 3 jammed"),
        ArticleView(session_id="b", at=minute(2), article_id="printer", source="search"),
        # c: a confident search followed by a ticket (a gap, lost), whose subject is a gap too.
        search("c", minute(3), "Printer floor 3 jammed again", confident=True),
        TicketCreated(session_id="c", at=minute(4), ticket_id=ticket.number, language="en"),
        # d: a confident search that solved it: no gap.
        search("d", minute(5), "reset password", confident=True),
        SelfResolved(session_id="d", at=minute(6), article_id="password"),
        # e: a request typed in two steps, not confident, never sent: its last text is the gap;
        # a helpful vote after it means it was not lost.
        typed("e", minute(7), "monitor"),
        typed("e", minute(8), "monitor stays black after docking"),
        Feedback(session_id="e", at=minute(9), article_id="dock", helpful=True),
        # f: a confident request never sent: no gap.
        typed("f", minute(10), "wifi drops", confident=True),
        # g: last week.
        search("g", minute(0) - timedelta(days=7), "printer floor 3 jammed"),
    ):
        store.record(event)


def found(engine: sqlalchemy.Engine, filters: Filters) -> list[tuple[object, ...]]:
    rows = gap_rows(engine, PERIOD.start, PERIOD.end, filters)
    return sorted(
        (row.text, row.session_id, row.occurrences, row.searches, row.lost, row.ticketed)
        for row in rows
    )


def test_gap_rows_by_text_and_session(engine: sqlalchemy.Engine) -> None:
    record(engine)
    assert found(engine, Filters()) == [
        ("Printer floor 3 jammed again", "c", 1, 1, True, True),
        ("Printer on floor 3 jammed", "c", 1, 0, True, True),
        ("monitor stays black after docking", "e", 1, 0, False, False),
        ("printer floor 3 jammed", "a", 1, 1, True, False),
        ("printer floor 3 jammed", "b", 1, 1, False, False),
    ]
    [row] = [
        row
        for row in gap_rows(engine, PERIOD.start, PERIOD.end, Filters())
        if row.session_id == "a"
    ]
    assert row == GapRow(
        "printer floor 3 jammed", "a", "en", None, 1, 1, True, False, minute(0), minute(0)
    )
    assert found(engine, Filters(language="es")) == []


def test_dismissals_are_kept_once_and_can_be_taken_back(engine: sqlalchemy.Engine) -> None:
    store = GapDismissals(engine)
    first = store.dismiss("Printer  jammed", "key-1", "boss@example.com", at=T)
    again = store.dismiss("printer jammed", "key-1", "other@example.com", at=minute(5))
    assert again == first and (first.text, first.dismissed_by) == (
        "Printer jammed",
        "boss@example.com",
    )
    second = store.dismiss("wifi slow", "key-2", "boss@example.com", at=minute(1))
    assert [item.id for item in store.all()] == [second.id, first.id]
    store.restore(first.id)
    assert store.all() == [second]
    with pytest.raises(NotFoundError, match="no dismissed gap"):
        store.restore(first.id)
    with pytest.raises(InvalidInputError, match="give the gap's text"):
        store.dismiss("  ", "key-3", "boss@example.com")


@pytest.fixture
def insights(engine: sqlalchemy.Engine, database_url: str, tmp_path: Path) -> Iterator[Insights]:
    with insights_at(NOW, engine, database_url, tmp_path) as insights:
        yield insights


def test_the_gaps_readout_groups_by_meaning_and_leaves_dismissed_gaps_out(
    insights: Insights, engine: sqlalchemy.Engine
) -> None:
    record(engine)
    readout = insights.readout("gaps", PERIOD, Filters())
    rows = readout.table("gaps").rows
    # The printer texts share most words: one gap, three sessions (a, b, c), two lost (a, c).
    assert [(row["gap"], row["sessions"], row["lost"], row["ticketed"]) for row in rows] == [
        ("printer floor 3 jammed", 3, 2, 1),
        ("monitor stays black after docking", 1, 0, 0),
    ]
    assert rows[0]["examples"][0] == "printer floor 3 jammed"
    assert set(rows[0]["examples"][1:]) == {
        "Printer floor 3 jammed again",
        "Printer on floor 3 jammed",
    }
    numbers = {number.key: (number.value, number.previous) for number in readout.numbers}
    assert numbers["gaps"] == (2, 1) and numbers["sessions_lost"] == (2, 1)
    dismissal = insights.content_gaps.dismiss("Printer floor 3 JAMMED", "boss@example.com")
    after = insights.readout("gaps", PERIOD, Filters())
    assert [row["gap"] for row in after.table("gaps").rows] == ["monitor stays black after docking"]
    assert [row["id"] for row in after.table("dismissed").rows] == [dismissal.id]
    insights.content_gaps.restore(dismissal.id)
    assert len(insights.readout("gaps", PERIOD, Filters()).table("gaps").rows) == 2
