"""Shared fixtures: settings on a temporary home, services, the sample KB with the real model."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kb.config import Settings
from kb.indexer.embed import SentenceTransformerEmbedder
from kb.indexer.sources import read_ticket_export
from kb.services import Services, build_services
from kb.web import create_app
from tests.postgres import fresh_schema, index_settings, migrated_schema

# Nothing may be downloaded: the model comes from an installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPOSITORY = Path(__file__).resolve().parent.parent
ARTICLES = REPOSITORY / "articles"
TICKETS = REPOSITORY / "tickets" / "resolved-tickets.jsonl"

WriteArticle = Callable[..., Path]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fast settings: the hashing embedder, a home and an articles folder under tmp_path."""
    (tmp_path / "articles").mkdir()
    return Settings(
        home=tmp_path / ".kb",
        articles_dir=tmp_path / "articles",
        embedder="hashing",
        lock_timeout=0.5,
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL on an empty schema of the test PostgreSQL (see tests/postgres.py)."""
    with fresh_schema() as url:
        yield url


@pytest.fixture
def postgres_index_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings keeping the store and the index in a migrated schema of the test PostgreSQL."""
    with migrated_schema() as url:
        yield index_settings(url, tmp_path / ".kb")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def write_article(settings: Settings) -> WriteArticle:
    """Write articles/<id>.md with front matter from keyword arguments and a Markdown body."""

    def write(article_id: str, body: str, **front_matter: object) -> Path:
        front_matter.setdefault("title", article_id.replace("-", " ").capitalize())
        lines = ["---"]
        for key, value in front_matter.items():
            if isinstance(value, (list, tuple)):
                value = "[" + ", ".join(str(item) for item in value) + "]"
            lines.append(f"{key}: {value}")
        lines.append("---")
        path = settings.articles_dir / f"{article_id}.md"
        path.write_text("\n".join(lines) + "\n" + textwrap.dedent(body).strip() + "\n", "utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def real_embedder(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run, offline.

    Its ONNX export for queries is written under a temporary home, not the working folder.
    """
    return SentenceTransformerEmbedder(Settings(home=tmp_path_factory.mktemp("model-home")))


@pytest.fixture(scope="session")
def exported_home(real_embedder: SentenceTransformerEmbedder) -> Path:
    """The KB home holding the model's ONNX export (models/), made once for the whole run."""
    real_embedder.embed(["make the export"])
    home = real_embedder.models_folder.parent
    assert list(home.glob("models/*/export.json")), "the model was not exported"
    return home


@pytest.fixture(scope="session")
def pytorch_embedder(tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    """The same model with documents and queries on PyTorch: the reference vectors."""
    return SentenceTransformerEmbedder(
        Settings(
            home=tmp_path_factory.mktemp("pytorch-home"),
            document_encoder="pytorch",
            query_encoder="pytorch",
        )
    )


@pytest.fixture(scope="session")
def sample_kb(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Iterator[Services]:
    """The repository's sample articles and tickets, indexed once with the real model."""
    home = tmp_path_factory.mktemp("sample") / ".kb"
    built = build_services(
        Settings(home=home, articles_dir=ARTICLES, tickets_file=TICKETS), real_embedder
    )
    report = built.index_files()
    assert not report.errors, report.errors
    yield built
    built.close()


@pytest.fixture
def portal_services(sample_kb: Services, tmp_path: Path) -> Iterator[Services]:
    """The indexed sample KB (shared, read-only) with this test's own ticket and event store."""
    yield from _own_store(sample_kb, tmp_path)


@pytest.fixture
def imported(portal_services: Services) -> dict[str, str]:
    """The sample tickets in the store; their export id -> kb number."""
    tickets, errors = read_ticket_export(TICKETS)
    assert not errors
    stored = portal_services.tickets.import_tickets(tickets)
    return {str(ticket.external_id): ticket.number for ticket in stored}


@pytest.fixture
def app(portal_services: Services) -> Flask:
    return create_app(services=portal_services, test_config={"TESTING": True})


@pytest.fixture
def writable_kb(sample_kb: Services, tmp_path: Path) -> Iterator[Services]:
    """A private copy of the indexed sample KB (articles and index) that a test may change."""
    articles = tmp_path / "articles"
    shutil.copytree(sample_kb.settings.articles_dir, articles)
    home = tmp_path / ".kb"
    shutil.copytree(sample_kb.settings.home, home, ignore=shutil.ignore_patterns("*.lock"))
    yield from _own_store(sample_kb, tmp_path, home=home, articles_dir=articles)


@pytest.fixture
def writable_app(writable_kb: Services) -> Flask:
    return create_app(services=writable_kb, test_config={"TESTING": True})


def _own_store(sample_kb: Services, folder: Path, **changes: Any) -> Iterator[Services]:
    """Services sharing the sample KB's model, with a database of their own under `folder`."""
    settings = replace(
        sample_kb.settings,
        database_url=f"sqlite:///{folder / 'kb.sqlite3'}",
        secret_key="test-secret",
        **changes,
    )
    services = build_services(settings, sample_kb.embedder)
    yield services
    services.close()
