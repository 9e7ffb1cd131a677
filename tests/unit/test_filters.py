"""Search filters: which documents a reader may get back."""

from __future__ import annotations

import pytest

from kb.model import Document, Filters
from kb.search.filters import allows, audiences_for

DOCUMENT = Document(
    id="vpn-setup",
    kind="article",
    title="Set up the VPN",
    body="Install the client.",
    language="es",
    category="network",
    tags=("vpn", "windows"),
    audience="internal",
    status="published",
)


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters(), True),
        (Filters(statuses=()), True),
        (Filters(categories=("network",)), True),
        (Filters(categories=("accounts", "network")), True),
        (Filters(categories=("accounts",)), False),
        (Filters(kinds=("article",)), True),
        (Filters(kinds=("ticket",)), False),
        (Filters(languages=("en", "es")), True),
        (Filters(languages=("en",)), False),
        (Filters(audiences=("public", "internal")), True),
        (Filters(audiences=("public",)), False),
        (Filters(statuses=("published", "review")), True),
        (Filters(statuses=("draft",)), False),
        # Tags: every tag asked for must be on the document.
        (Filters(tags=("vpn",)), True),
        (Filters(tags=("vpn", "windows")), True),
        (Filters(tags=("vpn", "macos")), False),
        (Filters(tags=("macos",)), False),
        # Every restriction must pass.
        (Filters(categories=("network",), kinds=("ticket",)), False),
        (Filters(categories=("network",), tags=("vpn",), audiences=("internal",)), True),
    ],
)
def test_allows(filters: Filters, allowed: bool) -> None:
    assert allows(filters, DOCUMENT) is allowed


@pytest.mark.parametrize("status", ["draft", "review", "archived"])
def test_default_filters_hide_unpublished_documents(status: str) -> None:
    document = Document(id="d", kind="article", title="T", body="B", status=status)
    assert allows(Filters(), document) is False


def test_category_filter_rejects_documents_without_a_category() -> None:
    document = Document(id="d", kind="article", title="T", body="B", category=None)
    assert allows(Filters(categories=("network",)), document) is False


@pytest.mark.parametrize(
    ("role", "audiences"),
    [
        ("requester", ("public",)),
        ("agent", ("public", "internal")),
        ("someone-else", ("public",)),
        ("", ("public",)),
    ],
)
def test_audiences_for(role: str, audiences: tuple[str, ...]) -> None:
    assert audiences_for(role) == audiences


def test_requesters_cannot_see_internal_documents() -> None:
    assert allows(Filters(audiences=audiences_for("requester")), DOCUMENT) is False
    assert allows(Filters(audiences=audiences_for("agent")), DOCUMENT) is True
