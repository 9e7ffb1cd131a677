"""The Catalog contract, run against every catalog backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kb.backends import Catalog, Generation, open_generation_store
from kb.config import Settings
from kb.indexer.catalog import SqliteCatalog
from kb.model import Chunk, Document
from tests.postgres import GenerationsByPlace

DIMENSION = 4


def article(document_id: str, title: str, *texts: str, **fields: object) -> tuple:
    document = Document(
        id=document_id,
        kind=str(fields.pop("kind", "article")),
        title=title,
        body="\n\n".join(texts),
        tags=("vpn", "network"),
        metadata={"path": f"articles/{document_id}.md", **fields},
    )
    chunks = [
        Chunk(
            id=f"{document_id}#{n}",
            document_id=document_id,
            position=n,
            heading_path=(title, f"Part {n}"),
            anchor=f"part-{n}",
            text=text,
        )
        for n, text in enumerate(texts)
    ]
    return document, chunks


class CatalogContract:
    """Subclasses give `open(writable)` on one location and `reopen(catalog)` after commit."""

    def open(self, writable: bool) -> Catalog:
        raise NotImplementedError

    def reopen(self, catalog: Catalog) -> Catalog:
        catalog.close()
        return self.open(writable=False)

    @pytest.fixture
    def catalog(self) -> Catalog:
        catalog = self.open(writable=True)
        catalog.put(*article("vpn", "VPN fails", "Reinstall the client.", "Check the date."))
        catalog.put(*article("printer", "Printer offline", "Restart the spooler.", related=["vpn"]))
        catalog.put(*article("INC-1", "Mail bounces", "Fixed the alias.", kind="ticket", path=None))
        catalog.commit()
        return catalog

    def test_manifest_names_kind_hash_and_path(self, catalog: Catalog) -> None:
        manifest = catalog.manifest()
        document, _ = article("vpn", "VPN fails", "Reinstall the client.", "Check the date.")
        assert manifest["vpn"] == ("article", document.content_hash(), "articles/vpn.md")
        assert manifest["INC-1"][0] == "ticket" and manifest["INC-1"][2] is None
        assert set(manifest) == {"vpn", "printer", "INC-1"}

    def test_manifest_of_some_documents(self, catalog: Catalog) -> None:
        everything = catalog.manifest()
        some = catalog.manifest(["printer", "missing", "INC-1", "printer"])
        assert some == {"printer": everything["printer"], "INC-1": everything["INC-1"]}
        assert catalog.manifest([]) == {}

    def test_documents_and_chunks_come_back_whole(self, catalog: Catalog) -> None:
        document, chunks = article("vpn", "VPN fails", "Reinstall the client.", "Check the date.")
        assert catalog.documents(["vpn", "missing"]) == {"vpn": document}
        found = catalog.chunks(["vpn#1", "vpn#0", "nope#0"])
        assert found == {"vpn#0": chunks[0], "vpn#1": chunks[1]}
        assert found["vpn#1"].heading_path == ("VPN fails", "Part 1")

    def test_owners_of_chunks(self, catalog: Catalog) -> None:
        found = catalog.owners(["vpn#1", "INC-1#0", "nope#0", "vpn#1"])
        assert found == {"vpn#1": "vpn", "INC-1#0": "INC-1"}
        catalog.remove(["vpn"])
        catalog.commit()
        assert self.reopen(catalog).owners(["vpn#0", "printer#0"]) == {"printer#0": "printer"}

    def test_chunks_of_each_document_in_order(self, catalog: Catalog) -> None:
        _, chunks = article("vpn", "VPN fails", "Reinstall the client.", "Check the date.")
        found = catalog.chunks_of(["INC-1", "vpn", "missing"])
        assert found["vpn"] == chunks
        assert [chunk.text for chunk in found["INC-1"]] == ["Fixed the alias."]
        assert found["missing"] == []
        assert list(found) == ["INC-1", "vpn", "missing"]

    def test_put_replaces_a_document_and_its_chunks(self, catalog: Catalog) -> None:
        catalog.remove(["vpn"])
        catalog.put(*article("vpn", "VPN fails again", "One part now."))
        catalog.commit()
        assert catalog.documents(["vpn"])["vpn"].title == "VPN fails again"
        assert set(catalog.chunks(["vpn#0", "vpn#1"])) == {"vpn#0"}
        assert catalog.counts() == (3, 3)

    def test_remove_returns_the_chunk_ids(self, catalog: Catalog) -> None:
        assert sorted(catalog.remove(["vpn", "missing"])) == ["vpn#0", "vpn#1"]
        catalog.commit()
        assert catalog.documents(["vpn"]) == {}
        assert catalog.counts() == (2, 2)

    def test_title_vectors(self, catalog: Catalog) -> None:
        vectors = np.eye(2, 8, dtype=np.float32)
        catalog.put_title_vectors(["vpn", "printer"], vectors)
        catalog.commit()
        found = catalog.title_vectors(["vpn", "printer", "INC-1"])
        assert set(found) == {"vpn", "printer"}
        assert np.array_equal(found["printer"], vectors[1])

    def test_linking_to(self, catalog: Catalog) -> None:
        assert catalog.linking_to("vpn") == ["printer"]
        assert catalog.linking_to("printer") == []

    def test_in_category(self, catalog: Catalog) -> None:
        for document, chunks in (
            article("wifi", "Wi-Fi drops", "Forget the network."),
            article("vpn", "VPN fails", "Reinstall the client."),
            article("INC-2", "No Wi-Fi", "Reset the adapter.", kind="ticket"),
        ):
            catalog.remove([document.id])
            catalog.put(replace(document, category="network"), chunks)
        catalog.commit()
        assert catalog.in_category("network") == ["vpn", "wifi"]
        assert catalog.in_category("network", kind="ticket") == ["INC-2"]
        assert catalog.in_category("printing") == []

    def test_recently_updated_lists_public_published_articles_newest_first(
        self, catalog: Catalog
    ) -> None:
        catalog.remove(["vpn", "printer", "INC-1"])
        for document_id, updated, fields in (
            ("old", "2026-01-05", {}),
            ("new", "2026-11-20", {}),
            ("undated", None, {}),
            ("middle", "2026-06-01", {}),
            ("spanish", "2026-03-01", {"language": "es"}),
            ("internal", "2026-12-01", {"audience": "internal"}),
            ("draft", "2026-12-02", {"status": "draft"}),
            ("INC-9", "2026-12-03", {"kind": "ticket"}),
        ):
            document, chunks = article(document_id, document_id.title(), "Text.", updated=updated)
            catalog.put(replace(document, **fields), chunks)
        catalog.commit()
        every = ["new", "middle", "spanish", "old", "undated"]
        assert catalog.recently_updated(10) == every
        assert catalog.recently_updated(2) == ["new", "middle"]
        assert catalog.recently_updated(3, language="es") == ["spanish", "new", "middle"]
        assert catalog.recently_updated(10, language="en") == [
            "new",
            "middle",
            "old",
            "undated",
            "spanish",
        ]

    def test_survives_reopen(self, catalog: Catalog) -> None:
        catalog.put_title_vectors(["vpn"], np.ones((1, 4), dtype=np.float32))
        catalog.commit()
        reopened = self.reopen(catalog)
        try:
            assert reopened.counts() == (3, 4)
            assert reopened.documents(["INC-1"])["INC-1"].kind == "ticket"
            assert reopened.title_vectors(["vpn"])["vpn"].shape == (4,)
        finally:
            reopened.close()


class TestSqliteCatalog(CatalogContract):
    @pytest.fixture(autouse=True)
    def _location(self, tmp_path: Path) -> None:
        self.path = tmp_path / "catalog.sqlite"

    def open(self, writable: bool) -> Catalog:
        return SqliteCatalog(self.path, writable=writable)


class TestLayeredCatalog(CatalogContract):
    """A delta segment's catalog over a published base holding older versions of two of the
    documents (vpn in three parts, printer); reopening publishes the delta and reads it."""

    @pytest.fixture(autouse=True)
    def _store(self, tmp_path: Path) -> Iterator[None]:
        self.store = open_generation_store(Settings(home=tmp_path / ".kb", index_segments=8))
        base = self.store.begin(None, DIMENSION)
        base.catalog.put(*article("vpn", "VPN", "Old one.", "Old two.", "Old three."))
        base.catalog.put(*article("printer", "Printer", "Old text."))
        self.base = self.store.publish(base, {})
        self.opened: list[Generation] = []
        yield
        for generation in self.opened:
            generation.close()

    def open(self, writable: bool) -> Catalog:
        if writable:
            generation = self.store.begin(self.base, DIMENSION, small=True)
        else:
            generation = self.store.open(self.store.current() or "", DIMENSION)
        self.opened.append(generation)
        return generation.catalog

    def reopen(self, catalog: Catalog) -> Catalog:
        written = self.opened.pop()
        assert written.catalog is catalog
        self.store.publish(written, {})
        return self.open(writable=False)

    def test_a_delta_is_written_over_the_base(self, catalog: Catalog) -> None:
        self.reopen(catalog)
        current = self.store.current() or ""
        assert self.store.metadata(current)["layers"] == [self.base, current]


class TestPostgresCatalog(CatalogContract):
    """Two tables of one generation; reopening publishes it and reads it back."""

    @pytest.fixture(autouse=True)
    def _database(self, postgres_index_settings: Settings, tmp_path: Path) -> Iterator[None]:
        self.places = GenerationsByPlace(postgres_index_settings, dimension=4)
        self.place = tmp_path / "catalog"
        yield
        self.places.close()

    def open(self, writable: bool) -> Catalog:
        return self.places.open(self.place).catalog
