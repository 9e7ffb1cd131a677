"""build_services(settings): the one place that names the concrete parts kb runs with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.backends import Embedder, create_embedder
from kb.config import Settings
from kb.indexer.pipeline import Indexer, IndexReport, Progress, Snapshot
from kb.indexer.sources import load_articles, load_tickets
from kb.search.searcher import Searcher


@dataclass
class Services:
    """Everything the CLI and the web app call: the indexer and the searcher of one KB home."""

    settings: Settings
    embedder: Embedder
    indexer: Indexer
    searcher: Searcher

    def index_files(
        self,
        articles_dir: Path | None = None,
        tickets_file: Path | None = None,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IndexReport:
        """Index the articles folder and, when given, a resolved-ticket export."""
        articles = load_articles(articles_dir or self.settings.articles_dir)
        snapshots = [Snapshot("article", articles.documents, articles.errors)]
        tickets = tickets_file or self.settings.tickets_file
        if tickets is not None:
            loaded = load_tickets(tickets)
            snapshots.append(Snapshot("ticket", loaded.documents, loaded.errors))
        return self.indexer.index(snapshots, rebuild=rebuild, progress=progress)

    def close(self) -> None:
        self.searcher.close()


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    """Wire kb from settings; pass `embedder` to share an already loaded model."""
    embedder = embedder or create_embedder(settings)
    return Services(
        settings=settings,
        embedder=embedder,
        indexer=Indexer(settings, embedder),
        searcher=Searcher(settings, embedder),
    )
