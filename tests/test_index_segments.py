"""One-document updates as delta segments: searchable at once, ranked as a full build, safe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from kb.backends import open_generation_store
from kb.config import Settings
from kb.indexer import generations
from kb.indexer.embed import HashingEmbedder
from kb.indexer.generations import Home
from kb.indexer.merging import SegmentMerger
from kb.indexer.pipeline import Indexer, Snapshot
from kb.indexer.sources import load_articles, load_tickets
from kb.model import Document, SearchQuery
from kb.search.searcher import Searcher

REPOSITORY = Path(__file__).resolve().parent.parent
# Documents added one update at a time (with an edit and a removal every ten).
UPDATED = 40
QUERIES = [
    "vpn certificate error",
    "printer offline",
    "reset my password",
    "outlook keeps asking for the password",
    "laptop will not charge",
    "wifi drops",
    "restablecer contraseña",
    "mfa authenticator new phone",
    "shared mailbox access",
    "disk full",
]


def corpus() -> list[Document]:
    """The repository's articles and resolved tickets, sorted by id."""
    articles = load_articles(REPOSITORY / "articles").documents
    tickets = load_tickets(REPOSITORY / "tickets" / "resolved-tickets.jsonl").documents
    return sorted([*articles, *tickets], key=lambda document: document.id)


def edited(document: Document) -> Document:
    return replace(document, body=document.body + "\n\nAlso check the VPN certificate date.")


def snapshots(documents: list[Document]) -> list[Snapshot]:
    kinds = sorted({document.kind for document in documents} | {"article", "ticket"})
    return [Snapshot(kind, [d for d in documents if d.kind == kind]) for kind in kinds]


def rankings(settings: Settings, mode: str) -> list[list[tuple[str, float]]]:
    searcher = Searcher(settings, HashingEmbedder(settings))
    try:
        results = [searcher.search(SearchQuery(text, k=10, mode=mode)) for text in QUERIES]
        return [[(hit.id, hit.score) for hit in result.hits] for result in results]
    finally:
        searcher.close()


def layers(settings: Settings) -> int:
    store = open_generation_store(settings)
    current = store.current()
    assert current is not None
    return len(store.metadata(current).get("layers", [current]))


def grow_by_updates(settings: Settings, documents: list[Document]) -> list[Document]:
    """Index all but the last UPDATED documents at once, then those, edits and removals one
    update at a time. Returns what the KB holds at the end.
    """
    indexer = Indexer(settings, HashingEmbedder(settings))
    half = len(documents) - UPDATED
    indexer.index(snapshots(documents[:half]))
    held = {document.id: document for document in documents[:half]}
    for number, document in enumerate(documents[half:]):
        indexer.update([document])
        held[document.id] = document
        if number % 10 == 3:  # an article or ticket of the first half edited
            changed = edited(documents[number])
            assert indexer.update([changed]).updated == [changed.id]
            held[changed.id] = changed
        if number % 10 == 7:  # and one removed
            gone = documents[number + 1].id
            assert indexer.update(removed=[gone]).removed == [gone]
            del held[gone]
    return sorted(held.values(), key=lambda document: document.id)


@pytest.fixture
def segmented(settings: Settings) -> Settings:
    return replace(settings, index_segments=1000)


def at_once(tmp_path: Path, settings: Settings, documents: list[Document]) -> Settings:
    other = replace(settings, home=tmp_path / "at-once")
    Indexer(other, HashingEmbedder(other)).index(snapshots(documents))
    return other


def assert_same_rankings(grown: Settings, built: Settings) -> None:
    """Every mode ranks the same documents in the same order, with the same scores."""
    for mode in ("keyword", "semantic", "hybrid"):
        got, want = rankings(grown, mode), rankings(built, mode)
        assert [[hit for hit, _ in hits] for hits in got] == [
            [hit for hit, _ in hits] for hits in want
        ], mode
        for hits, expected in zip(got, want, strict=True):
            assert [score for _, score in hits] == pytest.approx(
                [score for _, score in expected], rel=1e-6
            )
        assert sum(len(hits) for hits in got) > len(QUERIES) * 5


def test_a_kb_grown_by_updates_ranks_as_one_built_at_once(
    segmented: Settings, tmp_path: Path
) -> None:
    held = grow_by_updates(segmented, corpus())
    assert layers(segmented) > UPDATED, "the updates were not written as delta segments"
    assert_same_rankings(segmented, at_once(tmp_path, segmented, held))


def test_merged_segments_rank_as_one_built_at_once(settings: Settings, tmp_path: Path) -> None:
    merging = replace(settings, index_segments=4)
    held = grow_by_updates(merging, corpus())
    assert 1 <= layers(merging) <= 5
    assert_same_rankings(merging, at_once(tmp_path, merging, held))


def test_kb_index_merges_the_segments_into_one_generation(segmented: Settings) -> None:
    documents = corpus()
    indexer = Indexer(segmented, HashingEmbedder(segmented))
    indexer.index(snapshots(documents[:20]))
    for document in documents[20:25]:
        indexer.update([document])
    assert layers(segmented) == 6
    report = indexer.index(snapshots(documents[:30]))
    assert report.added == [document.id for document in documents[25:30]]
    assert report.documents == 30
    assert layers(segmented) == 1


def test_a_reader_sees_an_update_and_a_removal_at_once(segmented: Settings) -> None:
    documents = corpus()
    indexer = Indexer(segmented, HashingEmbedder(segmented))
    indexer.index(snapshots(documents))
    searcher = Searcher(segmented, HashingEmbedder(segmented))
    note = Document(
        id="ticket:INC-999999",
        kind="ticket",
        title="Plotter zx-81 prints blank pages",
        body="Replaced the zx-81 toner cartridge; the plotter prints again.",
    )
    report = indexer.update([note])
    assert report.added == [note.id]
    assert (report.documents, report.chunks) == (len(documents) + 1, report.chunks)
    assert [hit.id for hit in searcher.search(SearchQuery("zx-81 plotter", k=3)).hits][0] == note.id
    assert searcher.document(note.id) == note
    indexer.update(removed=[note.id])
    assert note.id not in {
        hit.id for hit in searcher.search(SearchQuery("zx-81 plotter", k=10)).hits
    }
    assert searcher.document(note.id) is None
    searcher.close()


def test_the_base_outlives_its_age_while_segments_use_it(segmented: Settings) -> None:
    kept = replace(segmented, keep_generations=0)
    documents = corpus()
    indexer = Indexer(kept, HashingEmbedder(kept))
    base = indexer.index(snapshots(documents[:20])).generation
    for document in documents[20:24]:
        indexer.update([document])
    # keep_generations 0 keeps the current generation alone: the newest delta, whose
    # layers are the base and every delta since.
    names = sorted(path.name for path in (kept.home / "generations").iterdir())
    assert names[0] == base and len(names) == 5
    searcher = Searcher(kept, HashingEmbedder(kept))
    found = searcher.search(SearchQuery(documents[3].title, k=3)).hits
    assert documents[3].id in [hit.id for hit in found]
    searcher.close()
    indexer.index(snapshots(documents[:24]))
    assert len(list((kept.home / "generations").iterdir())) == 1


UPDATE_IN_CHILD = """
import os, signal, sys, time
from pathlib import Path
import kb.indexer.generations as generations
from kb.config import Settings
from kb.indexer.embed import HashingEmbedder
from kb.indexer.pipeline import Indexer
from kb.model import Document

home, moment = Path(sys.argv[1]), sys.argv[2]
settings = Settings(home=home, embedder="hashing", index_segments=100)

class Dying(HashingEmbedder):
    def embed(self, texts):
        if moment == "embedding":
            os.kill(os.getpid(), signal.SIGKILL)
        return super().embed(texts)

real_replace = os.replace

def replace(source, target):
    if moment == "switching" and Path(target).name == generations.CURRENT_FILE:
        os.kill(os.getpid(), signal.SIGKILL)  # the delta renamed into place, CURRENT not yet
    real_replace(source, target)

generations.os.replace = replace
note = Document(id="ticket:INC-777777", kind="ticket", title="Badge reader",
                body="The badge reader at gate 9 needed a firmware reset.")
Indexer(settings, Dying(settings)).update([note])
"""


@pytest.mark.parametrize("moment", ["embedding", "switching"])
def test_an_update_killed_midway_leaves_the_previous_state(settings: Settings, moment: str) -> None:
    child_settings = replace(settings, index_segments=100)
    documents = corpus()
    indexer = Indexer(child_settings, HashingEmbedder(child_settings))
    indexer.index(snapshots(documents[:30]))
    indexer.update([documents[40]])  # the previous state already has a delta
    before = Home(settings.home).current()
    assert before is not None
    child = subprocess.run(
        [sys.executable, "-c", UPDATE_IN_CHILD, str(settings.home), moment],
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL
    assert Home(settings.home).current() == before
    searcher = Searcher(child_settings, HashingEmbedder(child_settings))
    hits = searcher.search(SearchQuery(documents[40].title, k=3)).hits
    assert documents[40].id in [hit.id for hit in hits]
    assert searcher.document("ticket:INC-777777") is None
    searcher.close()
    time.sleep(0.01)
    assert indexer.update([documents[41]]).added == [documents[41].id]
    leftovers = [
        path.name for path in (settings.home / "generations").iterdir() if path.name[0] == "."
    ]
    assert leftovers == [] and not list(settings.home.glob(".CURRENT.*"))


def test_merging_in_the_background_keeps_the_ranking(segmented: Settings, tmp_path: Path) -> None:
    documents = corpus()
    indexer = Indexer(segmented, HashingEmbedder(segmented))
    indexer.index(snapshots(documents[:-5]))
    for document in documents[-5:]:
        indexer.update([document])
    assert indexer.merge(at_least=6) is None and layers(segmented) == 6
    merged = indexer.merge(at_least=5)
    assert merged == Home(segmented.home).current().name and layers(segmented) == 1
    assert_same_rankings(segmented, at_once(tmp_path, segmented, documents))


def test_an_update_during_a_merge_stays_a_segment_over_the_new_base(
    segmented: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = corpus()
    indexer = Indexer(segmented, HashingEmbedder(segmented))
    indexer.index(snapshots(documents[:-4]))
    for document in documents[-4:-1]:
        indexer.update([document])
    other = Indexer(segmented, HashingEmbedder(segmented))
    real_replay = generations.replay

    def replay_while_a_ticket_is_resolved(*arguments: object) -> None:
        real_replay(*arguments)
        assert other.update([documents[-1]], wait=0).added == [documents[-1].id]

    monkeypatch.setattr(generations, "replay", replay_while_a_ticket_is_resolved)
    merged = indexer.merge()
    monkeypatch.undo()
    assert merged is not None
    store = open_generation_store(segmented)
    merged_layers = store.metadata(merged)["layers"]
    assert len(merged_layers) == 2 and store.metadata(merged_layers[0])["merged"]
    assert_same_rankings(segmented, at_once(tmp_path, segmented, documents))
    indexer.update([edited(documents[0])])
    assert layers(segmented) == 3


def test_one_merger_at_a_time_and_a_dead_ones_leftovers_go(segmented: Settings) -> None:
    documents = corpus()
    indexer = Indexer(segmented, HashingEmbedder(segmented))
    indexer.index(snapshots(documents[:-2]))
    indexer.update([documents[-2]])
    home = Home(segmented.home)
    leftover = segmented.home / "generations" / ".merging-20200101T000000000000Z"
    leftover.mkdir()
    with home.merge_lock() as alone:
        assert alone
        assert indexer.merge() is None  # another process holds the merger's lock
        indexer.update([documents[-1]])
        assert leftover.exists()  # a merger at work keeps its folder
    indexer.update([edited(documents[-1])])
    assert not leftover.exists()
    assert indexer.merge() is not None and layers(segmented) == 1


def test_serving_workers_merge_once_half_the_segments_pile_up(settings: Settings) -> None:
    limited = replace(settings, index_segments=4)
    documents = corpus()
    indexer = Indexer(limited, HashingEmbedder(limited))
    indexer.index(snapshots(documents[:-2]))
    merger = SegmentMerger(indexer, limited.index_segments)
    indexer.update([documents[-2]])
    assert merger.merge() is None
    indexer.update([documents[-1]])
    assert merger.merge() is not None and layers(limited) == 1


def test_a_keyword_backend_without_segments_updates_a_whole_generation(
    segmented: Settings,
) -> None:
    whoosh = replace(segmented, keyword_backend="whoosh")
    documents = corpus()
    indexer = Indexer(whoosh, HashingEmbedder(whoosh))
    indexer.index(snapshots(documents[:-1]))
    assert indexer.update([documents[-1]]).added == [documents[-1].id]
    assert layers(whoosh) == 1
    searcher = Searcher(whoosh, HashingEmbedder(whoosh))
    hits = searcher.search(SearchQuery(documents[-1].title, k=3, mode="keyword")).hits
    assert documents[-1].id in [hit.id for hit in hits]
    searcher.close()
