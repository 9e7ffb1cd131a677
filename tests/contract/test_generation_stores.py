"""The GenerationStore contract, run against every store of index generations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy

from kb.backends import Generation, GenerationStore, open_generation_store
from kb.config import Settings
from kb.errors import IndexLockedError
from kb.model import Chunk, Document

DIMENSION = 8


def write(generation: Generation, document_id: str, text: str, seed: int) -> None:
    """Index one single-chunk document into all three parts of a generation."""
    document = Document(id=document_id, kind="article", title=document_id, body=text)
    chunk = Chunk(
        id=f"{document_id}#0",
        document_id=document_id,
        position=0,
        heading_path=(),
        anchor="",
        text=text,
    )
    vector = np.random.default_rng(seed).normal(size=(1, DIMENSION)).astype(np.float32)
    generation.catalog.put(document, [chunk])
    generation.keyword.add(document, [chunk])
    generation.vectors.add([chunk.id], vector / np.linalg.norm(vector))


def commit(generation: Generation) -> None:
    generation.keyword.commit()
    generation.vectors.commit()
    generation.catalog.commit()


def found(store: GenerationStore, text: str) -> list[str]:
    """Chunk ids a keyword search finds in the current generation."""
    name = store.current()
    assert name is not None
    generation = store.open(name, DIMENSION)
    try:
        return [chunk for chunk, _ in generation.keyword.search(text, 10)]
    finally:
        generation.close()


class GenerationStoreContract:
    """Subclasses give `settings` for an empty store of their kind."""

    def settings(self) -> Settings:
        raise NotImplementedError

    @pytest.fixture
    def store(self) -> GenerationStore:
        return open_generation_store(self.settings())

    @pytest.fixture
    def published(self, store: GenerationStore) -> str:
        generation = store.begin(None, DIMENSION)
        write(generation, "vpn", "The vpn client shows a certificate error.", seed=1)
        write(generation, "printer", "The printer is offline.", seed=2)
        commit(generation)
        return store.publish(generation, {"documents": 2, "fingerprint": {"format": 1}})

    def test_empty_store_has_no_current_generation(self, store: GenerationStore) -> None:
        assert store.current() is None
        assert store.marker() is None

    def test_publish_makes_a_generation_current(
        self, store: GenerationStore, published: str
    ) -> None:
        assert store.current() == published
        assert store.metadata(published)["documents"] == 2
        generation = store.open(published, DIMENSION)
        try:
            assert generation.catalog.counts() == (2, 2)
            assert generation.keyword.search("certificate", 5)[0][0] == "vpn#0"
            assert generation.vectors.count() == 2
        finally:
            generation.close()

    def test_building_on_the_current_keeps_its_content_and_hides_until_published(
        self, store: GenerationStore, published: str
    ) -> None:
        marker = store.marker()
        generation = store.begin(published, DIMENSION)
        write(generation, "mfa", "Scan the authenticator code.", seed=3)
        generation.keyword.remove(["printer"])
        generation.vectors.remove(generation.catalog.remove(["printer"]))
        commit(generation)
        assert found(store, "authenticator") == []
        assert found(store, "printer") == ["printer#0"]
        name = store.publish(generation, {"documents": 2})
        assert store.current() == name and store.marker() != marker
        assert found(store, "authenticator") == ["mfa#0"]
        assert found(store, "printer") == []
        assert found(store, "certificate") == ["vpn#0"]

    def test_a_small_change_on_the_current_keeps_its_content(
        self, store: GenerationStore, published: str
    ) -> None:
        generation = store.begin(published, DIMENSION, small=True)
        write(generation, "mfa", "Scan the authenticator code.", seed=3)
        write(generation, "vpn", "The vpn client rejects the token.", seed=4)
        generation.keyword.remove(["printer"])
        generation.vectors.remove(generation.catalog.remove(["printer"]))
        commit(generation)
        assert found(store, "authenticator") == []
        store.publish(generation, {"documents": 2})
        assert found(store, "authenticator") == ["mfa#0"]
        assert found(store, "printer") == [] and found(store, "certificate") == []
        assert found(store, "token") == ["vpn#0"]
        current = store.open(store.current() or "", DIMENSION)
        try:
            assert current.catalog.counts() == (2, 2) and current.vectors.count() == 2
            assert current.keyword.count() == 2
            assert set(current.catalog.manifest()) == {"vpn", "mfa"}
            assert current.catalog.documents(["vpn"])["vpn"].body.endswith("token.")
        finally:
            current.close()

    def test_compacting_a_whole_generation_changes_nothing(
        self, store: GenerationStore, published: str
    ) -> None:
        marker = store.marker()
        assert store.compact(DIMENSION) is None
        assert store.current() == published and store.marker() == marker
        assert found(store, "certificate") == ["vpn#0"]

    def test_building_from_nothing_replaces_everything(
        self, store: GenerationStore, published: str
    ) -> None:
        generation = store.begin(None, DIMENSION)
        write(generation, "mfa", "Scan the authenticator code.", seed=3)
        commit(generation)
        store.publish(generation, {"documents": 1})
        assert found(store, "certificate") == []
        assert found(store, "authenticator") == ["mfa#0"]

    def test_a_discarded_generation_leaves_the_current_one(
        self, store: GenerationStore, published: str
    ) -> None:
        generation = store.begin(published, DIMENSION)
        write(generation, "mfa", "Scan the authenticator code.", seed=3)
        commit(generation)
        store.discard(generation)
        assert store.current() == published
        assert found(store, "authenticator") == []
        assert found(store, "certificate") == ["vpn#0"]

    def test_a_search_fetches_what_the_parts_answer_in_turn(
        self, store: GenerationStore, published: str
    ) -> None:
        """Generation.candidates (one statement on PostgreSQL) holds both rankings, each
        candidate chunk's document, the title vectors of those documents and the count."""
        generation = store.begin(published, DIMENSION)
        titles = np.eye(DIMENSION, dtype=np.float32)[:1]
        generation.catalog.put_title_vectors(["vpn"], titles)
        commit(generation)
        store.publish(generation, {})
        reading = store.open(store.current() or "", DIMENSION)
        try:
            query = np.random.default_rng(1).normal(size=DIMENSION).astype(np.float32)
            query /= np.linalg.norm(query)
            for text, keyword in (("certificate error", ["vpn#0"]), ("?!", [])):
                fetched = reading.candidates(text, query, 10)
                assert [chunk for chunk, _ in fetched.keyword] == keyword
                assert fetched.keyword == reading.keyword.search(text, 10)
                assert [chunk for chunk, _ in fetched.semantic] == ["vpn#0", "printer#0"]
                semantic = reading.vectors.search(query, 10)
                assert [score for _, score in fetched.semantic] == pytest.approx(
                    [score for _, score in semantic], abs=1e-6
                )
                assert fetched.owners == {"vpn#0": "vpn", "printer#0": "printer"}
                assert list(fetched.titles) == ["vpn"]
                assert fetched.titles["vpn"].tolist() == titles[0].tolist()
                assert fetched.total == 2
        finally:
            reading.close()

    def test_one_writer_at_a_time(self, store: GenerationStore) -> None:
        other = open_generation_store(self.settings())
        with store.lock(timeout=1.0):
            with pytest.raises(IndexLockedError, match="wait"):
                with other.lock(timeout=0.2):
                    pass
        with other.lock(timeout=0.2):
            pass


class TestFileGenerationStore(GenerationStoreContract):
    @pytest.fixture(autouse=True)
    def _home(self, tmp_path: Path) -> None:
        self.home = tmp_path / ".kb"

    def settings(self) -> Settings:
        return Settings(home=self.home, index_store="files")

    def test_old_generations_are_collected(self, store: GenerationStore, published: str) -> None:
        names = [published]
        for seed in range(3):
            generation = store.begin(store.current(), DIMENSION)
            write(generation, f"extra-{seed}", "More text.", seed=seed)
            commit(generation)
            names.append(store.publish(generation, {}))
        assert sorted(store.clean_up(keep=1)) == names[:2]
        assert sorted(p.name for p in (self.home / "generations").iterdir()) == names[2:]


class TestPostgresGenerationStore(GenerationStoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_index_settings: Settings) -> Iterator[None]:
        self._settings = postgres_index_settings
        yield

    def settings(self) -> Settings:
        return self._settings

    def test_old_generations_are_collected(self, store: GenerationStore, published: str) -> None:
        names = [published]
        for seed in range(3):
            generation = store.begin(None, DIMENSION)
            write(generation, f"extra-{seed}", "More text.", seed=seed)
            commit(generation)
            names.append(store.publish(generation, {}))
        assert sorted(store.clean_up(keep=1)) == names[:2]
        assert self.generation_tables() == {name for name in names[2:]}

    def test_an_update_edits_the_current_generation_in_one_transaction(
        self, store: GenerationStore, published: str
    ) -> None:
        marker = store.marker()
        generation = store.begin(published, DIMENSION)
        write(generation, "mfa", "Scan the authenticator code.", seed=3)
        commit(generation)
        assert found(store, "authenticator") == []
        assert store.publish(generation, {}) == published
        assert store.marker() != marker
        assert found(store, "authenticator") == ["mfa#0"]
        assert self.generation_tables() == {published}

    def test_the_writer_lock_is_an_advisory_lock_not_a_file(self, store: GenerationStore) -> None:
        """Hosts share no folder: the writer's lock is PostgreSQL's, released on disconnect."""
        assert self.writer_locks() == 0
        with store.lock(timeout=1.0):
            assert self.writer_locks() == 1
            assert not self._settings.home.exists() or not any(self._settings.home.iterdir())
        assert self.writer_locks() == 0

    def writer_locks(self) -> int:
        """Advisory locks granted on this schema's index key, seen from another connection."""
        engine = sqlalchemy.create_engine(self._settings.database_url or "")
        try:
            with engine.connect() as connection:
                found = connection.execute(
                    sqlalchemy.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND database = (SELECT oid FROM pg_database "
                        "WHERE datname = current_database()) AND objsubid = 1 "
                        "AND classid = (hashtext(current_schema() || '/kb-index')::bigint "
                        ">> 32 & 4294967295)::oid "
                        "AND objid = (hashtext(current_schema() || '/kb-index')::bigint "
                        "& 4294967295)::oid"
                    )
                ).scalar()
        finally:
            engine.dispose()
        return int(found or 0)

    def generation_tables(self) -> set[str]:
        """The generations that have tables in the schema (kb_<generation>_<part>)."""
        engine = sqlalchemy.create_engine(self._settings.database_url or "")
        try:
            with engine.connect() as connection:
                tables = sqlalchemy.inspect(connection).get_table_names()
        finally:
            engine.dispose()
        return {table.split("_")[1] for table in tables if table.startswith("kb_")}
