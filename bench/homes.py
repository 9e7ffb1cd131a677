"""KB homes the benchmarks search, built through kb's own Indexer and kept in the cache."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.config import CORPUS_VERSION, cache_dir, log
from bench.corpus import snapshots
from kb.backends import Embedder
from kb.config import Settings
from kb.indexer.generations import Home
from kb.indexer.pipeline import INDEX_FORMAT, Indexer
from kb.model import Document, WorkDone

PROGRESS_EVERY = 5000
# The first four bytes FAISS writes for each kind of HNSW graph kb builds.
GRAPH_KINDS = {b"IHNf": "hnsw", b"IHNs": "hnsw-sq8"}


def content_digest(documents: Sequence[Document]) -> str:
    """Changes with any document's id or content: part of a cached home's name.

    The cache is shared by every checkout on the machine, whose articles and tickets differ
    between branches; a home named by size alone was reused over another branch's articles,
    and a one-article re-index then re-embedded every document that differed (338 chunks).
    """
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda document: document.id):
        digest.update(f"{document.id}\0{document.content_hash()}\n".encode())
    return digest.hexdigest()[:12]


def cached_home(name: str, build: Callable[[Path], None]) -> Path:
    """The home called `name` in the cache, built first by `build(folder)` if absent."""
    root = cache_dir() / "homes"
    home = root / f"{name}-corpus{CORPUS_VERSION}-format{INDEX_FORMAT}"
    if Home(home).current() is not None:
        return home
    building = root / f".building-{home.name}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    started = time.perf_counter()
    log(f"building KB home {home.name} (kept in {root})")
    build(building)
    shutil.rmtree(home, ignore_errors=True)
    os.rename(building, home)
    log(f"built {home.name} in {time.perf_counter() - started:.0f} s")
    return home


def index_into(home: Path, documents: Sequence[Document], embedder: Embedder) -> None:
    """Index `documents` into `home` with default settings and the given embedder."""
    last = [0]

    def progress(work: WorkDone) -> None:
        if work.done - last[0] >= PROGRESS_EVERY or work.done == work.total:
            log(f"  embedded {work.done}/{work.total} chunks")
            last[0] = work.done

    Indexer(Settings(home=home), embedder).index(snapshots(documents), progress=progress)


def documents_home(name: str, documents: Sequence[Document], embedder: Embedder) -> Path:
    """A cached home of real (or recombined real) documents, vectors from `embedder`."""
    return cached_home(
        f"{name}-{content_digest(documents)}",
        lambda folder: index_into(folder, documents, embedder),
    )


def vector_graph(home: Path) -> Path | None:
    """The HNSW graph file of the current generation, if kb built one."""
    current = Home(home).current()
    if current is None:
        return None
    graph = current / "vectors" / "hnsw.faiss"
    return graph if graph.exists() else None


def vector_index_kind(home: Path) -> str:
    """`flat`, `hnsw` (a graph of floats) or `hnsw-sq8` (of 8-bit scalars): what kb built
    for the current generation, read from the graph file's header."""
    graph = vector_graph(home)
    if graph is None:
        return "flat"
    with graph.open("rb") as file:
        return GRAPH_KINDS.get(file.read(4), "hnsw")
