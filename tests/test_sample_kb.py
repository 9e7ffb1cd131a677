"""The sample knowledge base shipped in the repository is complete and valid."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kb.indexer.sources import load_articles, load_tickets

REPOSITORY = Path(__file__).resolve().parent.parent
ARTICLES = REPOSITORY / "articles"
TICKETS = REPOSITORY / "tickets" / "resolved-tickets.jsonl"


def test_every_article_parses_with_a_mix_of_types_and_languages() -> None:
    loaded = load_articles(ARTICLES)
    assert loaded.errors == []
    documents = loaded.documents
    assert len(documents) >= 40
    languages = Counter(document.language for document in documents)
    assert languages["es"] >= 10
    assert {document.metadata["type"] for document in documents} >= {
        "how-to",
        "troubleshooting",
        "faq",
    }
    assert any(document.audience == "internal" for document in documents)
    ids = {document.id for document in documents}
    for document in documents:
        missing = set(document.metadata["related"]) - ids
        assert not missing, f"{document.id} links to unknown articles {missing}"


def test_ticket_export_has_enough_resolved_tickets() -> None:
    loaded = load_tickets(TICKETS)
    assert loaded.errors == []
    assert len(loaded.documents) >= 100
    assert all("Resolution:" in document.body for document in loaded.documents)
