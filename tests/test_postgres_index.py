"""The index on PostgreSQL through Services: the same answers as embedded, updates in place."""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy

from kb.backends import Generation, open_generation_store
from kb.config import Settings
from kb.model import Document, Filters, SearchQuery
from kb.services import Services, build_services
from kb.workflow import NewTicket
from tests.conftest import ARTICLES

QUERIES = [
    "vpn certificate error",
    "printer offline",
    "reset my password",
    "outlook calendar sharing",
    "configurar la impresora",
    "laptop docking station monitor",
]


def ticket(number: int, text: str) -> Document:
    return Document(
        id=f"ticket-{number}",
        kind="ticket",
        title=f"Request {number}",
        body=text,
        metadata={"ticket_id": str(number)},
    )


def document_ids(services: Services, text: str, mode: str = "hybrid") -> list[str]:
    result = services.searcher.search(SearchQuery(text, mode=mode))
    return [hit.document.id for hit in result.hits]


def current(services: Services) -> Generation:
    """The parts of the current generation, opened for reading."""
    store = open_generation_store(services.settings)
    name = store.current()
    assert name is not None
    return store.open(name, services.embedder.dimension)


@pytest.fixture
def both(
    settings: Settings, postgres_index_settings: Settings, tmp_path: Path
) -> Iterator[tuple[Services, Services]]:
    """The sample articles indexed embedded and on PostgreSQL, with the same settings else."""
    shutil.copytree(ARTICLES, settings.articles_dir, dirs_exist_ok=True)
    on_postgres = replace(
        settings,
        home=tmp_path / "postgres-home",
        database_url=postgres_index_settings.database_url,
        index_store="postgresql",
        keyword_backend="postgresql-bm25",
        vector_backend="pgvector",
    )
    pair = (build_services(settings), build_services(on_postgres))
    for services in pair:
        services.index_files()
    yield pair
    for services in pair:
        services.close()


def test_postgres_ranks_like_the_embedded_backend(both: tuple[Services, Services]) -> None:
    embedded, postgres = both
    parts = [current(embedded), current(postgres)]
    assert parts[0].catalog.counts() == parts[1].catalog.counts()
    assert parts[0].vectors.count() == parts[1].vectors.count()
    for text in QUERIES:
        first, second = (part.keyword.search(text, 20) for part in parts)
        assert [chunk for chunk, _ in first] == [chunk for chunk, _ in second], text
        assert [score for _, score in second] == pytest.approx([score for _, score in first])
        vector = embedded.embedder.embed_query(text)
        nearest = [{chunk for chunk, _ in part.vectors.search(vector, 10)} for part in parts]
        assert len(nearest[0] & nearest[1]) >= 9, text
        assert document_ids(embedded, text) == document_ids(postgres, text), text
    for part in parts:
        part.close()


def test_update_adds_replaces_and_removes_in_place(
    both: tuple[Services, Services],
) -> None:
    _, postgres = both
    generation = postgres.searcher.generation()
    report = postgres.indexer.update([ticket(1, "The badge reader at the loading dock beeps red.")])
    assert report.added == ["ticket-1"]
    assert report.generation == generation
    assert document_ids(postgres, "badge reader beeps", mode="keyword")[0] == "ticket-1"

    postgres.indexer.update([ticket(1, "The parking barrier ignores the badge.")])
    assert "ticket-1" not in document_ids(postgres, "loading dock beeps", mode="keyword")
    assert document_ids(postgres, "parking barrier", mode="keyword")[0] == "ticket-1"

    postgres.indexer.update(removed=["ticket-1"])
    assert "ticket-1" not in document_ids(postgres, "parking barrier badge", mode="keyword")
    parts = current(postgres)
    documents, chunks = parts.catalog.counts()
    assert parts.keyword.count() == parts.vectors.count() == chunks
    assert "ticket-1" not in parts.catalog.manifest()
    parts.close()


def test_a_document_made_internal_in_place_leaves_requesters_results(
    both: tuple[Services, Services],
) -> None:
    """On PostgreSQL the generation keeps its name through an update, so what the searcher
    remembered about a document (the filters' verdicts) must not outlive the change."""
    public_only = Filters(audiences=("public",))
    for services in both:
        shared = replace(
            ticket(3, "The badge reader at the loading dock beeps red."), audience="public"
        )
        services.indexer.update([shared])
        query = SearchQuery("badge reader beeps", mode="keyword", filters=public_only)
        assert services.searcher.search(query).hits[0].document.id == "ticket-3"
        services.indexer.update([replace(shared, audience="internal")])
        found = [hit.document.id for hit in services.searcher.search(query).hits]
        assert "ticket-3" not in found, services.settings.index_store


def test_two_hosts_with_empty_folders_share_one_index(
    settings: Settings, postgres_index_settings: Settings, tmp_path: Path
) -> None:
    """A second host, its own empty folder, finds at once what the first indexed and saved."""
    shutil.copytree(ARTICLES, settings.articles_dir, dirs_exist_ok=True)
    shared = {
        "database_url": postgres_index_settings.database_url,
        "index_store": "postgresql",
        "keyword_backend": "postgresql-bm25",
        "vector_backend": "pgvector",
    }
    first = build_services(replace(settings, home=tmp_path / "host-a", **shared))
    second = build_services(replace(settings, home=tmp_path / "host-b", **shared))
    try:
        first.index_files()
        assert document_ids(second, "printer offline") == document_ids(first, "printer offline")
        first.indexer.update([ticket(7, "The badge reader at the loading dock beeps red.")])
        assert document_ids(second, "badge reader beeps", mode="keyword")[0] == "ticket-7"
        first.indexer.update(removed=["ticket-7"])
        assert "ticket-7" not in document_ids(second, "badge reader beeps", mode="keyword")
        assert not (tmp_path / "host-b" / "generations").exists()
        first.upgrade_database()
        assert second.thresholds.current().show_threshold == settings.show_threshold
        first.thresholds.change("show_threshold", 0.45, actor="admin")
        assert second.thresholds.current().show_threshold == 0.45
        second.thresholds.change("confident_threshold", 0.9, actor="admin")
        assert first.thresholds.current().confident_threshold == 0.9
    finally:
        first.close()
        second.close()


def replica_url(primary: str, name: str) -> str:
    """A second URL to the primary's server standing in for a streaming replica: every
    transaction on it is read-only, as on a hot standby, and its connections carry `name`."""
    url = sqlalchemy.make_url(primary)
    options = f"{url.query.get('options', '')} -c default_transaction_read_only=on".strip()
    changed = url.update_query_dict({"options": options, "application_name": name})
    return changed.render_as_string(hide_password=False)


def test_searches_read_the_replica_and_writes_go_to_the_primary(
    settings: Settings,
    postgres_index_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A read-only URL to the test server stands in for a replica (tests/test_replica.py has a
    real one). Indexing, an update and a ticket written through a host whose
    `database_read_url` is that URL succeed, so none of them wrote through it; its searches
    are answered through it. A second host whose replica is down still writes, and its
    searches are answered from the primary, with one warning naming the replica."""
    shutil.copytree(ARTICLES, settings.articles_dir, dirs_exist_ok=True)
    primary = postgres_index_settings.database_url
    assert primary is not None
    name = f"kb-replica-{uuid.uuid4().hex[:12]}"
    on_postgres = replace(
        settings,
        database_url=primary,
        index_store="postgresql",
        keyword_backend="postgresql-bm25",
        vector_backend="pgvector",
    )
    host = build_services(
        replace(on_postgres, home=tmp_path / "host", database_read_url=replica_url(primary, name))
    )
    unreachable = sqlalchemy.make_url(primary).set(host="127.0.0.1", port=1)
    cut_off = build_services(
        replace(
            on_postgres,
            home=tmp_path / "cut-off",
            database_read_url=unreachable.render_as_string(hide_password=False),
        )
    )
    observer = sqlalchemy.create_engine(primary, poolclass=sqlalchemy.NullPool)
    try:
        host.upgrade_database()
        host.index_files()
        host.indexer.update([ticket(9, "The badge reader at the loading dock beeps red.")])
        filed = host.tickets.create(NewTicket("Badge reader", "It beeps red.", "li@example.com"))
        assert host.tickets.get(filed.number) is not None
        assert document_ids(host, "badge reader beeps", mode="keyword")[0] == "ticket-9"
        assert document_ids(host, "printer offline")
        with observer.connect() as connection:
            through_replica = connection.execute(
                sqlalchemy.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"
                ),
                {"n": name},
            ).scalar()
        assert through_replica

        cut_off.indexer.update([ticket(10, "The lift display shows error 42.")])
        assert cut_off.tickets.create(NewTicket("Lift", "Error 42.", "li@example.com"))
        assert document_ids(host, "lift display error", mode="keyword")[0] == "ticket-10"
        with caplog.at_level(logging.WARNING, logger="kb.indexer.pg_replica"):
            assert document_ids(cut_off, "lift display error", mode="keyword")[0] == "ticket-10"
            assert document_ids(cut_off, "printer offline")
        warnings = [record.getMessage() for record in caplog.records]
        assert len(warnings) == 1, warnings
        assert "127.0.0.1:1/" in warnings[0] and "searches read the primary" in warnings[0]
    finally:
        observer.dispose()
        host.close()
        cut_off.close()
