"""Random help sessions for the store tests that compare SQL with the pure definitions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from kb.events import (
    ArticleView,
    Event,
    Feedback,
    ProblemJoined,
    Search,
    SelfResolved,
    SessionStarted,
    ShownSuggestion,
    SuggestionsShown,
    TicketCreated,
)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ARTICLES = ("vpn", "printer", "outlook", "wifi")


def random_session(chooser: random.Random, number: int) -> list[Event]:
    """A visit of random steps over two days, with ties and suggestions after views."""
    session = f"s{number:03d}"
    at = START + timedelta(minutes=chooser.randrange(0, 3000))
    events: list[Event] = [
        SessionStarted(
            session_id=session,
            at=at,
            holdout=chooser.random() < 0.2,
            category=chooser.choice(("network", "printing", None)),
            language=chooser.choice(("en", "es")),
        )
    ]
    for _ in range(chooser.randrange(0, 8)):
        # Steps of 0 minutes make ties; steps of up to 20 hours cross the 24-hour window.
        at += timedelta(minutes=chooser.choice((0, 1, 5, 90, 600, 1200)))
        article = chooser.choice(ARTICLES)
        step = chooser.randrange(8)
        if step == 0:
            events.append(Search(session_id=session, at=at, query="vpn", hits=(article,)))
        elif step == 1:
            shown = tuple(ShownSuggestion(a, 0.5) for a in chooser.sample(ARTICLES, 2))
            events.append(SuggestionsShown(session_id=session, at=at, query="q", suggestions=shown))
        elif step == 2:
            source = chooser.choice(("search", "suggestion", "link"))
            events.append(ArticleView(session_id=session, at=at, article_id=article, source=source))
        elif step == 3:
            helpful = chooser.random() < 0.5
            events.append(Feedback(session_id=session, at=at, article_id=article, helpful=helpful))
        elif step == 4:
            events.append(SelfResolved(session_id=session, at=at, article_id=article))
        elif step == 5:
            events.append(TicketCreated(session_id=session, at=at, ticket_id=f"INC-{number}"))
        elif step == 6:
            events.append(ProblemJoined(session_id=session, at=at, problem="PRB-000001"))
        else:
            events.append(ArticleView(session_id=session, at=at, article_id=article))
    return events
