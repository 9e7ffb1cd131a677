"""Deflection outcomes of help sessions and the rates, as tables of DESIGN.md's rules."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from kb.events import (
    ArticleView,
    Event,
    Feedback,
    ProblemJoined,
    Search,
    SelfResolved,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)
from kb.insights.outcomes import DeflectionRates, deflection_rates, session_outcome, tally_rates

SHOWN_AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LONG_AFTER = SHOWN_AT + timedelta(days=30)


def after(hours: float = 0.0, minutes: float = 0.0) -> datetime:
    return SHOWN_AT + timedelta(hours=hours, minutes=minutes)


def shown(hours: float = 0.0) -> Event:
    return SuggestionsShown(
        session_id="s1",
        at=after(hours),
        query="vpn drops every hour",
        suggestions=(ShownSuggestion("vpn-setup", 0.7),),
    )


def view(
    hours: float = 0.0, minutes: float = 0.0, article: str = "vpn-setup", source: str = "suggestion"
) -> Event:
    return ArticleView(session_id="s1", at=after(hours, minutes), article_id=article, source=source)


def vote(helpful: bool, hours: float = 0.0) -> Event:
    return Feedback(session_id="s1", at=after(hours), article_id="vpn-setup", helpful=helpful)


def solved(hours: float = 0.0, minutes: float = 0.0) -> Event:
    return SelfResolved(session_id="s1", at=after(hours, minutes), article_id="vpn-setup")


def ticket(hours: float = 0.0, minutes: float = 0.0) -> Event:
    return TicketCreated(session_id="s1", at=after(hours, minutes), ticket_id="INC-000001")


def joined(hours: float = 0.0, minutes: float = 0.0) -> Event:
    return ProblemJoined(session_id="s1", at=after(hours, minutes), problem="PRB-000001")


def shown_later(hours: float, article: str) -> Event:
    return SuggestionsShown(
        session_id="s1",
        at=after(hours),
        query="still broken",
        suggestions=(ShownSuggestion(article, 0.5),),
    )


def search(hours: float = 0.0) -> Event:
    return Search(session_id="s1", at=after(hours), query="vpn", hits=("vpn-setup",))


# (events, outcome) with the 24-hour window long closed.
CLOSED = [
    pytest.param([], None, id="empty session"),
    pytest.param([search(), view(0, 1), ticket(0, 5)], None, id="never shown suggestions"),
    pytest.param([shown(), ticket(0, 5)], "not_deflected", id="ticket right away"),
    pytest.param([shown(), ticket(23, 59)], "not_deflected", id="ticket at 23h59"),
    pytest.param([shown(), ticket(24)], "not_deflected", id="ticket at exactly 24h"),
    pytest.param([shown(), ticket(24, 1)], "no_signal", id="ticket at 24h01 is outside"),
    pytest.param([shown(), solved(0, 3)], "confirmed", id="this solved it"),
    pytest.param([shown(), vote(True, 1)], "confirmed", id="helpful vote"),
    pytest.param([shown(), view(0, 1), vote(True, 1)], "confirmed", id="viewed and voted"),
    pytest.param([shown(), solved(0, 3), ticket(2)], "not_deflected", id="solved, then ticket"),
    pytest.param([shown(), vote(True, 1), ticket(23, 59)], "not_deflected", id="helpful, ticket"),
    pytest.param([shown(), solved(0, 3), ticket(24, 1)], "confirmed", id="solved, late ticket"),
    pytest.param([shown(), view(0, 1)], "potential", id="viewed a suggestion"),
    pytest.param([shown(), view(0, 1), vote(False, 1)], "potential", id="viewed, voted no"),
    pytest.param([shown(), view(0, 1), ticket(24, 1)], "potential", id="viewed, late ticket"),
    pytest.param([shown(), view(0, 1), ticket(3)], "not_deflected", id="viewed, then ticket"),
    pytest.param([shown()], "no_signal", id="shown and left"),
    pytest.param(
        [shown(), view(0, 2, article="printer-offline", source="link")],
        "no_signal",
        id="viewed only an article that was not suggested",
    ),
    pytest.param(
        [shown(), view(0, 2, source="link")],
        "potential",
        id="opened a suggested article from a link",
    ),
    pytest.param([shown(), vote(False, 1)], "no_signal", id="unhelpful vote only"),
    pytest.param([search(), view(0, 0), shown(1)], "no_signal", id="view before suggestions"),
    pytest.param([vote(True), shown(1)], "no_signal", id="vote before suggestions"),
    pytest.param([ticket(), shown(1)], "no_signal", id="ticket before suggestions"),
    pytest.param([shown(), solved(24, 1)], "no_signal", id="solved after the window"),
    pytest.param([shown(), view(24, 1)], "no_signal", id="viewed after the window"),
    pytest.param(
        [shown(), shown(20), ticket(25)], "no_signal", id="window opens at the first showing"
    ),
    pytest.param([ticket(23), view(0, 1), shown()], "not_deflected", id="events out of order"),
    pytest.param(
        [shown(), view(0, 1, article="wifi-drops", source="link"), shown_later(2, "wifi-drops")],
        "no_signal",
        id="an article read before it was suggested is not a suggestion viewed",
    ),
    pytest.param(
        [shown(), shown_later(2, "wifi-drops"), view(3, article="wifi-drops", source="link")],
        "potential",
        id="an article suggested later in the window, then read",
    ),
    pytest.param([joined()], "known_issue", id="this is my problem too, no suggestions"),
    pytest.param([shown(), joined(0, 2)], "known_issue", id="joined a known issue"),
    pytest.param([shown(), joined(0, 2), ticket(3)], "not_deflected", id="joined, then a ticket"),
    pytest.param([shown(), joined(0, 2), solved(0, 4)], "confirmed", id="joined, then solved"),
    pytest.param([shown(), joined(24, 1)], "no_signal", id="joined after the window"),
    pytest.param(
        [search(), view(0, 1, source="search"), joined(0, 2)], "known_issue", id="from a search"
    ),
    pytest.param([shown(), view(0, 1), joined(0, 2)], "known_issue", id="viewed, then joined"),
    pytest.param([joined(), ticket(24, 1)], "known_issue", id="joined, late ticket"),
]


@pytest.mark.parametrize(("events", "outcome"), CLOSED)
def test_outcome_once_the_window_has_closed(events: list[Event], outcome: str | None) -> None:
    assert session_outcome(events, now=LONG_AFTER) == outcome


# (events, now, outcome) while the window may still be open.
OPEN = [
    pytest.param([shown()], after(12), "pending", id="nothing yet"),
    pytest.param([shown(), view(0, 1)], after(12), "pending", id="viewed, window open"),
    pytest.param([shown(), vote(False, 1)], after(12), "pending", id="voted no, window open"),
    pytest.param([shown(), solved(0, 3)], after(12), "confirmed", id="solved is reported at once"),
    pytest.param([shown(), vote(True, 1)], after(12), "confirmed", id="helpful at once"),
    pytest.param([shown(), ticket(6)], after(12), "not_deflected", id="ticket at once"),
    pytest.param([shown(), solved(1), ticket(6)], after(12), "not_deflected", id="solved, ticket"),
    pytest.param([shown(), view(0, 1)], after(24), "pending", id="at exactly 24h still open"),
    pytest.param([shown(), view(0, 1)], after(24, 1), "potential", id="at 24h01 closed"),
    pytest.param([shown(), joined(1)], after(2), "known_issue", id="joined is reported at once"),
    pytest.param([shown()], after(24, 1), "no_signal", id="no signal at 24h01"),
    pytest.param([joined(), ticket(2)], after(3), "not_deflected", id="joined, then a ticket"),
]


@pytest.mark.parametrize(("events", "now", "outcome"), OPEN)
def test_outcome_while_the_window_may_be_open(
    events: list[Event], now: datetime, outcome: str
) -> None:
    assert session_outcome(events, now=now) == outcome


def test_the_window_is_a_parameter() -> None:
    events = [shown(), view(0, 1), ticket(2)]
    assert session_outcome(events, window=timedelta(hours=1), now=LONG_AFTER) == "potential"
    assert session_outcome(events, window=timedelta(hours=3), now=LONG_AFTER) == "not_deflected"
    assert session_outcome(events, window=timedelta(hours=3), now=after(2, 30)) == "not_deflected"
    assert session_outcome([shown()], window=timedelta(hours=1), now=after(0, 59)) == "pending"


def test_now_defaults_to_the_current_time() -> None:
    recent = SuggestionsShown(
        session_id="s1", at=datetime.now(UTC) - timedelta(minutes=5), query="vpn"
    )
    old = SuggestionsShown(session_id="s1", at=datetime.now(UTC) - timedelta(hours=25), query="vpn")
    assert session_outcome([recent]) == "pending"
    assert session_outcome([old]) == "no_signal"


def test_naive_now_and_negative_window_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        session_outcome([shown()], now=datetime(2025, 3, 4))
    with pytest.raises(ValueError, match="negative"):
        session_outcome([shown()], window=timedelta(hours=-1))


RATES = [
    pytest.param([], DeflectionRates(0, 0, 0, 0, 0, 0, 0, 0.0, 0.0), id="no sessions"),
    pytest.param([None, None], DeflectionRates(0, 0, 0, 0, 0, 0, 0, 0.0, 0.0), id="none shown"),
    pytest.param(
        ["pending", "pending"], DeflectionRates(0, 0, 0, 0, 0, 0, 2, 0.0, 0.0), id="only pending"
    ),
    pytest.param(
        ["confirmed", "potential", "not_deflected", "no_signal"],
        DeflectionRates(4, 1, 1, 0, 1, 1, 0, 0.5, 0.25),
        id="one of each",
    ),
    pytest.param(
        ["known_issue", "confirmed", "not_deflected", "not_deflected"],
        DeflectionRates(4, 1, 0, 1, 2, 0, 0, 0.5, 0.25),
        id="a known issue joined is deflected, not confirmed",
    ),
    pytest.param(
        ["confirmed"] * 2
        + ["potential"]
        + ["not_deflected"] * 3
        + ["no_signal"] * 2
        + ["pending"] * 2
        + [None] * 4,
        DeflectionRates(8, 2, 1, 0, 3, 2, 2, 3 / 8, 2 / 8),
        id="pending and never-shown left out of the denominator",
    ),
    pytest.param(
        ["not_deflected", "no_signal"], DeflectionRates(2, 0, 0, 0, 1, 1, 0, 0.0, 0.0), id="none"
    ),
    pytest.param(
        ["known_issue", "known_issue", "confirmed", "not_deflected"],
        DeflectionRates(4, 1, 0, 2, 1, 0, 0, 3 / 4, 1 / 4),
        id="known issues count as deflected, apart from confirmed",
    ),
]


@pytest.mark.parametrize(("outcomes", "rates"), RATES)
def test_deflection_rates(outcomes: list[str | None], rates: DeflectionRates) -> None:
    assert deflection_rates(outcomes) == rates


def test_rates_accept_any_iterable_such_as_a_generator() -> None:
    outcomes = (
        session_outcome(events, now=LONG_AFTER) for events in ([shown()], [shown(), view()])
    )
    assert deflection_rates(outcomes).rate == 0.5


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="deflected"):
        deflection_rates(["deflected"])


@pytest.mark.parametrize(("outcomes", "rates"), RATES)
def test_rates_from_a_tally_equal_rates_from_the_outcomes(
    outcomes: list[str | None], rates: DeflectionRates
) -> None:
    assert tally_rates(Counter(outcomes)) == rates


def test_a_tally_with_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="deflected"):
        tally_rates({"deflected": 3, None: 1})
