"""The index on PostgreSQL through Services: the same answers as embedded, updates in place."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kb.backends import Generation, open_generation_store
from kb.config import Settings
from kb.model import Document, SearchQuery
from kb.services import Services, build_services
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
        first.thresholds.change("show_threshold", 0.45, actor="admin")
        assert second.thresholds.current().show_threshold == 0.45
    finally:
        first.close()
        second.close()
