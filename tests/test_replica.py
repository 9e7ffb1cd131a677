"""Searches on a real streaming replica (pg_basebackup, hot standby), writes on the primary."""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy

from kb.config import Settings
from kb.errors import IndexNotFoundError
from kb.model import Document, SearchQuery
from kb.services import Services, build_services
from tests.conftest import ARTICLES
from tests.postgres import replica_of

# How long the replica may take to replay a change: the contract is "eventually", the margin
# is for a loaded machine, not a target (bench/replica.py measures the lag).
CAUGHT_UP_WITHIN = 15.0


def keyword_hits(services: Services, text: str) -> list[str]:
    try:
        result = services.searcher.search(SearchQuery(text, mode="keyword"))
    except IndexNotFoundError:
        return []
    return [hit.document.id for hit in result.hits]


def first_hit_eventually(services: Services, text: str) -> str | None:
    deadline = time.monotonic() + CAUGHT_UP_WITHIN
    while True:
        hits = keyword_hits(services, text)
        if hits or time.monotonic() > deadline:
            return hits[0] if hits else None
        time.sleep(0.1)


def test_a_streaming_replica_answers_searches_while_the_primary_takes_writes(
    settings: Settings,
    postgres_index_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    primary = postgres_index_settings.database_url
    assert primary is not None
    name = f"kb-search-{uuid.uuid4().hex[:12]}"
    replica = replica_of(primary, name)
    shutil.copytree(ARTICLES, settings.articles_dir, dirs_exist_ok=True)
    host = build_services(
        replace(
            postgres_index_settings,
            articles_dir=settings.articles_dir,
            embedder="hashing",
            database_read_url=replica,
        )
    )
    standby = sqlalchemy.create_engine(replica, poolclass=sqlalchemy.NullPool)
    try:
        with standby.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT pg_is_in_recovery()")).scalar()
        with caplog.at_level(logging.WARNING, logger="kb.indexer.pg_replica"):
            host.index_files()
            host.indexer.update(
                [
                    Document(
                        id="ticket-11",
                        kind="ticket",
                        title="Request 11",
                        body="The badge reader at the loading dock beeps red.",
                        metadata={"ticket_id": "11"},
                    )
                ]
            )
            assert first_hit_eventually(host, "badge reader beeps") == "ticket-11"
        assert not caplog.records, [record.getMessage() for record in caplog.records]
        with standby.connect() as connection:
            searching = connection.execute(
                sqlalchemy.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"
                ),
                {"n": name},
            ).scalar()
        assert searching, "the searches did not read the replica"
    finally:
        standby.dispose()
        host.close()
