"""The managers' reports over a test's own database, as the store tests of insights build them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy

from kb.config import Settings
from kb.insights.content_gaps import ContentGaps
from kb.insights.reports import Insights
from kb.model import Article
from kb.services import build_services
from kb.store.gaps import GapDismissals
from kb.store.problems import ProblemStore


@contextmanager
def insights_at(
    now: datetime,
    engine: sqlalchemy.Engine,
    database_url: str,
    folder: Path,
    articles: Sequence[Article] = (),
    **changes: Any,
) -> Iterator[Insights]:
    """The reports over `engine` as of `now`, with `articles` in the catalogue and `changes`
    to the settings."""
    (folder / "articles").mkdir()
    settings = Settings(
        home=folder / ".kb",
        articles_dir=folder / "articles",
        embedder="hashing",
        database_url=database_url,
        **changes,
    )
    services = build_services(settings)
    try:
        yield Insights(
            engine,
            settings,
            services.problem_candidates,
            ProblemStore(engine),
            lambda: list(articles),
            ContentGaps(engine, services.embedder, GapDismissals(engine)),
            clock=lambda: now,
        )
    finally:
        services.close()
