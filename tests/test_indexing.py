"""Indexing through Services: incremental, safe against crashes and bad files, one writer."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.config import Settings
from kb.errors import IndexLockedError, IndexMismatchError
from kb.indexer.generations import METADATA_FILE, Home
from kb.indexer.pipeline import INDEX_FORMAT
from kb.model import SearchQuery
from kb.services import Services, build_services

VPN_BODY = """
Connect to the company VPN before opening internal sites.

## Install the client

Install Cisco Secure Client from the Company Portal.

## Certificate errors

A certificate validation failure means the machine certificate expired.
"""


def titles(services: Services, text: str, **options: object) -> list[str]:
    result = services.searcher.search(SearchQuery(text, **options))
    return [hit.document.title for hit in result.hits]


def test_index_then_search_finds_the_section(services: Services, write_article) -> None:
    write_article("vpn-setup", VPN_BODY, title="Set up the VPN", tags=["vpn"])
    write_article("printer", "The printer on floor 3 is offline.", title="Printer offline")
    report = services.index_files()
    assert report.added == ["printer", "vpn-setup"] and report.documents == 2
    hit = services.searcher.search(SearchQuery("certificate validation failure")).hits[0]
    assert hit.document.id == "vpn-setup"
    assert hit.chunk.heading_path == ("Certificate errors",)
    assert hit.chunk.anchor == "certificate-errors"
    assert ("certificate", True) in [(text.lower(), hit) for text, hit in hit.snippet.pieces]
    assert 0.0 <= hit.deflection <= 1.0


def test_reindex_embeds_only_the_changed_article(services, write_article, monkeypatch) -> None:
    for number in range(5):
        write_article(f"article-{number}", f"Body of article {number} about topic {number}.")
    assert services.index_files().chunks_embedded == 5

    embedded: list[str] = []
    original = services.embedder.embed
    monkeypatch.setattr(
        services.embedder, "embed", lambda texts: embedded.extend(texts) or original(texts)
    )
    write_article("article-2", "A new body about docking stations.")
    report = services.index_files()
    assert report.updated == ["article-2"] and report.unchanged == 4
    # Its one chunk, then its title alone (for deflection); nothing of the other four.
    assert len(embedded) == 2 and "docking stations" in embedded[0]
    assert embedded[1] == "Article 2"
    assert titles(services, "docking stations", k=1) == ["Article 2"]
    assert "topic" not in services.searcher.document("article-2").body


def test_nothing_changed_keeps_the_generation(services, write_article) -> None:
    write_article("one", "Some text.")
    first = services.index_files()
    second = services.index_files()
    assert second.generation == first.generation and not second.changed
    assert second.chunks_embedded == 0


def test_deleted_article_disappears(services, write_article, settings) -> None:
    write_article("keep", "Wi-Fi keeps disconnecting.")
    gone = write_article("gone", "Bluetooth mouse pairing steps.")
    services.index_files()
    gone.unlink()
    report = services.index_files()
    assert report.removed == ["gone"]
    assert titles(services, "bluetooth mouse pairing") == ["Keep"]


def test_broken_file_is_reported_and_the_rest_indexes(services, write_article, settings) -> None:
    write_article("good", "Reset your password at the self-service portal.")
    (settings.articles_dir / "bad.md").write_text("---\ntitle: Bad\ntags: vpn\n---\nBody\n")
    report = services.index_files()
    assert [str(error) for error in report.errors] == [
        f"{settings.articles_dir / 'bad.md'}:3: front matter: `tags` must be a list, "
        "like `tags: [vpn, remote-access]`"
    ]
    assert report.added == ["good"]


def test_an_article_broken_by_an_edit_keeps_its_last_good_version(
    services, write_article, settings
) -> None:
    path = write_article("vpn", VPN_BODY, title="Set up the VPN")
    services.index_files()
    path.write_text("---\ntitle: [unclosed\n---\nbody\n")
    report = services.index_files()
    assert report.kept_after_error == ["vpn"] and report.removed == []
    assert titles(services, "certificate validation") == ["Set up the VPN"]


def test_tickets_are_indexed_as_internal_kind_ticket(services, write_article, tmp_path) -> None:
    write_article("printing", "How to add a network printer.")
    tickets = tmp_path / "tickets.jsonl"
    records = [
        {
            "id": "INC-1",
            "subject": "Scanner shows error E-42",
            "description": "Scanner stuck",
            "resolution": "Cleared the feeder and restarted the scanner.",
            "requester": "a@example.com",
        },
        {
            "id": "INC-2",
            "subject": "Scanner E-42 again",
            "description": "Same error",
            "resolution": "Replaced the roller.",
            "shareable": True,
        },
    ]
    tickets.write_text("\n".join(json.dumps(record) for record in records) + "\n{broken\n")
    report = services.index_files(tickets_file=tickets)
    assert [error.line for error in report.errors] == [3]
    hits = services.searcher.search(SearchQuery("scanner error E-42")).hits
    by_id = {hit.document.id: hit.document for hit in hits}
    assert by_id["ticket:INC-1"].kind == "ticket" and by_id["ticket:INC-1"].audience == "internal"
    assert by_id["ticket:INC-2"].audience == "public"
    assert "a@example.com" not in json.dumps([d.body for d in by_id.values()])

    # Re-indexing articles alone leaves the tickets in place.
    services.index_files()
    assert services.searcher.search(SearchQuery("scanner E-42")).hits


def test_a_crash_mid_index_leaves_the_previous_generation(
    services, write_article, settings, monkeypatch
) -> None:
    write_article("vpn", VPN_BODY, title="Set up the VPN")
    before = services.index_files().generation
    write_article("printer", "The printer on floor 3 is offline.", title="Printer offline")

    def explode(texts):
        raise RuntimeError("power cut while embedding")

    monkeypatch.setattr(services.embedder, "embed", explode)
    with pytest.raises(RuntimeError, match="power cut"):
        services.index_files()
    monkeypatch.undo()
    assert Home(settings.home).current().name == before
    assert titles(services, "certificate validation") == ["Set up the VPN"]
    assert not list((settings.home / "generations").glob(".building-*"))
    assert services.index_files().added == ["printer"]


def _hold_lock(home: str, ready, release) -> None:
    with Home(Path(home)).lock(timeout=5):
        ready.set()
        release.wait(10)


def test_a_second_writer_is_kept_out(services, write_article, settings) -> None:
    write_article("one", "Text.")
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(settings.home), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(IndexLockedError, match="being indexed by process"):
            services.index_files()
    finally:
        release.set()
        holder.join(10)
    assert services.index_files().added == ["one"]


def test_a_reader_picks_up_a_new_generation_without_restart(settings, write_article) -> None:
    writer = build_services(settings)
    reader = build_services(settings)
    write_article("first", "Laptop will not power on.")
    writer.index_files()
    assert titles(reader, "laptop power") == ["First"]
    write_article("second", "Laptop power adapter light is off.")
    time.sleep(0.01)
    writer.index_files()
    assert set(titles(reader, "laptop power")) == {"First", "Second"}


def test_old_generations_are_collected(settings, write_article) -> None:
    services = build_services(Settings(**{**settings.__dict__, "keep_generations": 1}))
    for number in range(4):
        write_article(f"article-{number}", f"Text {number}.")
        services.index_files()
    generations = [p for p in (settings.home / "generations").iterdir()]
    assert len(generations) == 2


def test_changing_the_embedder_rebuilds(settings, write_article) -> None:
    write_article("one", "Text.")
    build_services(settings).index_files()
    wider = Settings(**{**settings.__dict__, "chunk_words": 50})
    report = build_services(wider).index_files()
    assert report.rebuilt and report.added == ["one"]


STALLING_EMBEDDER = """
import pathlib, time
from kb.indexer.embed import HashingEmbedder

class StallingEmbedder(HashingEmbedder):
    def embed(self, texts):
        pathlib.Path(__file__).with_name("embedding-started").touch()
        time.sleep(120)
"""

INDEX_IN_CHILD = """
import sys
from pathlib import Path
from kb.config import Settings
from kb.services import build_services
home, articles = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(home=home, articles_dir=articles, embedder="stalling:StallingEmbedder")
build_services(settings).index_files()
"""


def test_a_writer_killed_mid_index_leaves_the_previous_generation(
    services, write_article, settings, tmp_path
) -> None:
    write_article("vpn", VPN_BODY, title="Set up the VPN")
    before = services.index_files().generation
    write_article("printer", "The printer on floor 3 is offline.", title="Printer offline")
    (tmp_path / "stalling.py").write_text(STALLING_EMBEDDER)
    child = subprocess.Popen(
        [sys.executable, "-c", INDEX_IN_CHILD, str(settings.home), str(settings.articles_dir)],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "embedding-started").exists():
            assert child.poll() is None and time.monotonic() < deadline, "child never embedded"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert list((settings.home / "generations").glob(".building-*"))
    assert Home(settings.home).current().name == before
    assert titles(services, "certificate validation") == ["Set up the VPN"]

    report = services.index_files()
    assert report.added == ["printer"]
    assert not list((settings.home / "generations").glob(".building-*"))


def test_titles_are_embedded_for_deflection_and_carried_over(services, write_article) -> None:
    write_article("vpn-setup", VPN_BODY, title="Set up the VPN")
    write_article("printer", "The printer on floor 3 is offline.", title="Printer offline")
    services.index_files()
    write_article("printer", "The printer on floor 3 jams.", title="Printer jams")
    services.index_files()  # the VPN article is unchanged: its title vector is copied over
    query = "printer jams on floor 3"
    hits = {hit.id: hit for hit in services.searcher.search(SearchQuery(query, k=5)).hits}
    vector = services.embedder.embed_query(query)
    for document_id, title in (("printer", "Printer jams"), ("vpn-setup", "Set up the VPN")):
        expected = float(services.embedder.embed([title])[0] @ vector)
        assert hits[document_id].evidence.title_semantic == pytest.approx(expected, abs=1e-5)


def test_an_index_written_by_another_version_is_rebuilt(settings, write_article) -> None:
    write_article("one", "Text.")
    build_services(settings).index_files()
    metadata = Home(settings.home).current() / METADATA_FILE
    written = json.loads(metadata.read_text())
    written["fingerprint"]["format"] = INDEX_FORMAT - 1
    metadata.write_text(json.dumps(written))
    with pytest.raises(IndexMismatchError, match="another version of kb; run `kb index`"):
        build_services(settings).searcher.search(SearchQuery("text"))
    assert build_services(settings).index_files().rebuilt
    assert titles(build_services(settings), "text") == ["One"]


def test_a_calibration_from_another_version_gives_way_to_the_shipped_one(
    settings, write_article, caplog
) -> None:
    write_article("one", "Text.")
    build_services(settings).index_files()
    (settings.home / "calibration.json").write_text(json.dumps({"format": 1, "features": []}))
    hit = build_services(settings).searcher.search(SearchQuery("text")).hits[0]
    assert 0.0 <= hit.deflection <= 1.0
    assert "until `kb calibrate` runs again" in caplog.text


def test_a_reader_with_other_backends_is_told_to_reindex(settings, write_article) -> None:
    write_article("one", "Text.")
    build_services(settings).index_files()
    other = Settings(**{**settings.__dict__, "keyword_backend": "whoosh"})
    with pytest.raises(IndexMismatchError, match="keyword_backend 'bm25'.*run `kb index`"):
        build_services(other).searcher.search(SearchQuery("text"))
    assert build_services(other).index_files().rebuilt
    assert titles(build_services(other), "text") == ["One"]


def test_the_old_name_sparse_still_means_the_bm25_backend(settings, write_article) -> None:
    write_article("one", "Text.")
    build_services(settings).index_files()
    metadata = Home(settings.home).current() / METADATA_FILE
    written = json.loads(metadata.read_text())
    written["fingerprint"]["keyword_backend"] = "sparse"
    metadata.write_text(json.dumps(written))
    for name in ("sparse", "bm25"):
        renamed = Settings(**{**settings.__dict__, "keyword_backend": name})
        assert titles(build_services(renamed), "text") == ["One"]
        assert not build_services(renamed).index_files().rebuilt


@pytest.mark.parametrize(
    ("query", "highlighted"),
    [("pc", {"PC"}), ("configuracion", {"Configuración"}), ("printers", {"printer"})],
)
def test_snippets_mark_stemmed_and_folded_matches(services, write_article, query, highlighted):
    write_article(
        "mixed", "Configuración: restart the printer before rebooting the PC.", language="en"
    )
    services.index_files()
    hit = services.searcher.search(SearchQuery(query)).hits[0]
    assert {text for text, marked in hit.snippet.pieces if marked} == highlighted


DYING_AT_SWITCH = """
import os, signal, sys
from pathlib import Path
import kb.indexer.generations as generations
from kb.config import Settings
from kb.services import build_services

real_replace = os.replace

def replace(source, target):
    if Path(target).name == generations.CURRENT_FILE:
        os.kill(os.getpid(), signal.SIGKILL)  # renamed into place, CURRENT not yet switched
    real_replace(source, target)

generations.os.replace = replace
home, articles = Path(sys.argv[1]), Path(sys.argv[2])
build_services(Settings(home=home, articles_dir=articles, embedder="hashing")).index_files()
"""


def _kill_while_embedding(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "stalling.py").write_text(STALLING_EMBEDDER)
    child = subprocess.Popen(
        [sys.executable, "-c", INDEX_IN_CHILD, str(settings.home), str(settings.articles_dir)],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "embedding-started").exists():
            assert child.poll() is None and time.monotonic() < deadline, "child never embedded"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)


def _kill_while_switching(settings: Settings, tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", DYING_AT_SWITCH, str(settings.home), str(settings.articles_dir)],
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("kill", "leftover"),
    [(_kill_while_embedding, ".building-*"), (_kill_while_switching, ".CURRENT.*")],
    ids=["while-embedding", "while-switching-current"],
)
def test_the_next_run_cleans_up_after_a_killed_writer(
    services, write_article, settings, tmp_path, kill, leftover
) -> None:
    write_article("vpn", VPN_BODY, title="Set up the VPN")
    before = services.index_files().generation
    printer = write_article("printer", "The printer on floor 3 is offline.")
    kill(settings, tmp_path)
    left = [*settings.home.glob(leftover), *(settings.home / "generations").glob(leftover)]
    assert left, f"the killed writer left no {leftover}"
    assert Home(settings.home).current().name == before

    # Nothing changed since the last good run, so no new generation is built: the clean-up
    # must not depend on one.
    printer.unlink()
    report = services.index_files()
    assert report.generation == before and not report.changed
    assert [path.name for path in settings.home.iterdir() if path.name.startswith(".")] == []
    assert [path.name for path in (settings.home / "generations").iterdir()] == [before]
