"""build_services(settings): the one place that names the concrete parts kb runs with."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kb.backends import Embedder, create_embedder
from kb.config import Settings
from kb.errors import ArticleParseError
from kb.indexer.pipeline import Indexer, IndexReport, Progress, Snapshot
from kb.search.searcher import Searcher

# The stores, the desk and the editor are imported when first used: `kb search` and a
# search-only process never pay for SQLAlchemy.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kb.authoring import Authoring
    from kb.browsing import Browsing
    from kb.desk import Desk
    from kb.indexer.merging import SegmentMerger
    from kb.insights.problems import ProblemCandidates
    from kb.insights.reports import Insights
    from kb.insights.session_rollups import RollupRefresher
    from kb.knowledge_queue import KnowledgeQueue
    from kb.mail.sender import MailSender
    from kb.problems import KnownIssues, Problems
    from kb.selfservice import SelfService
    from kb.store.events import EventStore
    from kb.store.index_queue import IndexQueue
    from kb.store.outbox import Outbox
    from kb.store.revisions import FlagStore
    from kb.store.schema import Upgrade
    from kb.store.thresholds import ThresholdStore
    from kb.store.tickets import TicketStore
    from kb.store.users import UserStore


# A KB home holding this file was filled by `kb demo`: every page says it shows demo data.
DEMO_MARKER = "demo.json"


class Services:
    """Everything the CLI and the web app call, for one KB home.

    The database is opened on first use, so commands that only search never create it.
    """

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.indexer = Indexer(settings, embedder)
        self.searcher = Searcher(settings, embedder)

    @property
    def database_url(self) -> str:
        from kb.store.database import sqlite_url

        return self.settings.database_url or sqlite_url(self.settings.home)

    @cached_property
    def engine(self) -> Engine:
        from kb.store.database import open_database

        return open_database(self.database_url)

    def upgrade_database(self) -> Upgrade:
        """Migrate the store's database to the schema this kb needs (`kb db upgrade`)."""
        from kb.store.database import create_engine_for
        from kb.store.schema import upgrade_database

        engine = create_engine_for(self.database_url)
        try:
            return upgrade_database(engine)
        finally:
            engine.dispose()

    @cached_property
    def tickets(self) -> TicketStore:
        from kb.store.tickets import TicketStore

        if not self.mails:
            return TicketStore(self.engine)
        return TicketStore(self.engine, notify=True, on_notified=lambda: self.mail_sender.wake())

    @property
    def mails(self) -> bool:
        """Whether kb sends notifications by mail (`smtp_host` is set)."""
        return self.settings.smtp_host is not None

    @cached_property
    def outbox(self) -> Outbox:
        from kb.store.outbox import Outbox

        return Outbox(self.engine)

    @cached_property
    def mail_sender(self) -> MailSender:
        """Delivers the outbox through the settings' mail server (ConfigError without one)."""
        from kb.mail.sender import MailSender, SmtpTransport

        return MailSender(self.settings, self.outbox, SmtpTransport(self.settings))

    @cached_property
    def events(self) -> EventStore:
        from kb.store.events import EventStore

        return EventStore(self.engine, retention_days=self.settings.event_retention_days)

    @cached_property
    def users(self) -> UserStore:
        from kb.store.users import UserStore

        return UserStore(self.engine)

    @cached_property
    def flags(self) -> FlagStore:
        from kb.store.revisions import FlagStore

        return FlagStore(self.engine)

    @cached_property
    def selfservice(self) -> SelfService:
        from kb.holdout import Holdout
        from kb.selfservice import SelfService

        return SelfService(
            self.settings,
            self.searcher,
            self.embedder,
            self.tickets,
            self.events,
            self.flags,
            self.known_issues,
            thresholds=self.thresholds,
            holdout=Holdout(self.events, self.settings.holdout_share),
        )

    @cached_property
    def browsing(self) -> Browsing:
        from kb.browsing import Browsing

        return Browsing(self.searcher, self.events)

    @cached_property
    def demo(self) -> bool:
        """Whether the KB home holds `kb demo`'s simulated traffic rather than real visits."""
        return (self.settings.home / DEMO_MARKER).is_file()

    @cached_property
    def thresholds(self) -> ThresholdStore:
        """The portal's thresholds: an admin's saved changes over the settings, live."""
        from kb.store.thresholds import ThresholdStore

        return ThresholdStore(self.engine, self.settings)

    def confident_threshold(self) -> float:
        """The portal's confident_threshold now, without creating a database to read it: a KB
        home with none has no admin's change, so the setting holds."""
        from kb.store.database import DATABASE_FILE_NAME

        if self.settings.database_url is None:
            if not (self.settings.home / DATABASE_FILE_NAME).is_file():
                return self.settings.confident_threshold
        return self.thresholds.current().confident_threshold

    @cached_property
    def index_queue(self) -> IndexQueue:
        from kb.store.index_queue import IndexQueue

        return IndexQueue(self.engine)

    @cached_property
    def segment_merger(self) -> SegmentMerger:
        """Merges the index's delta segments in the background of a serving worker."""
        from kb.indexer.merging import SegmentMerger

        return SegmentMerger(self.indexer, self.settings.index_segments)

    @cached_property
    def rollup_refresher(self) -> RollupRefresher:
        """Keeps the managers' session roll-up up to date in the background of a worker."""
        from kb.insights.session_rollups import RollupRefresher

        return RollupRefresher(self.engine)

    @cached_property
    def knowledge_queue(self) -> KnowledgeQueue:
        """Indexes resolved and reopened tickets the index could not take at once."""
        from kb.knowledge_queue import KnowledgeQueue

        return KnowledgeQueue(
            self.tickets, self.index_queue, self.indexer, self.settings.articles_dir
        )

    @cached_property
    def desk(self) -> Desk:
        from kb.desk import Desk

        return Desk(
            self.searcher,
            self.tickets,
            self.events,
            self.embedder,
            self.settings.same_problem_similarity,
            self.knowledge_queue,
        )

    @cached_property
    def problems(self) -> Problems:
        from kb.problems import Problems
        from kb.store.problems import ProblemStore

        return Problems(ProblemStore(self.engine), self.events, self.known_issues)

    @cached_property
    def known_issues(self) -> KnownIssues:
        from kb.problems import KnownIssues
        from kb.store.problems import ProblemStore

        thresholds = self.thresholds
        return KnownIssues(
            ProblemStore(self.engine),
            self.embedder,
            lambda: thresholds.current().known_issue_threshold,
        )

    @cached_property
    def problem_candidates(self) -> ProblemCandidates:
        from kb.insights.problems import ProblemCandidates

        return ProblemCandidates(
            self.engine,
            self.embedder,
            self.searcher,
            self.problems.store,
            lambda: self.thresholds.current().show_threshold,
        )

    @cached_property
    def insights(self) -> Insights:
        """The managers' reports (kb.insights.reports.REPORTS), each a Readout."""
        from kb.insights.content_gaps import ContentGaps
        from kb.insights.reports import Insights
        from kb.store.gaps import GapDismissals
        from kb.store.problems import ProblemStore

        return Insights(
            self.engine,
            self.settings,
            self.problem_candidates,
            ProblemStore(self.engine),
            lambda: list(self.authoring.listing().articles.values()),
            ContentGaps(self.engine, self.embedder, GapDismissals(self.engine)),
            thresholds=self.thresholds,
        )

    @cached_property
    def authoring(self) -> Authoring:
        from kb.authoring import Authoring
        from kb.store.revisions import RevisionStore

        return Authoring(
            self.settings,
            self.indexer,
            self.searcher,
            RevisionStore(self.engine),
            self.flags,
            self.desk,
            self.knowledge_queue,
        )

    def index_files(
        self,
        articles_dir: Path | None = None,
        tickets_file: Path | None = None,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        check: Callable[[list[ArticleParseError]], None] | None = None,
    ) -> IndexReport:
        """Index the articles folder and the resolved tickets: kb's own and an export's.

        `check` is given the sources' problems before anything is written, and may raise to
        publish nothing (`kb index --strict`). Tickets queued for the index before the sources
        are read (kb.knowledge_queue) are done once this is published.
        """
        queued = self.index_queue.last_row()
        snapshots = self.knowledge_snapshots(articles_dir, tickets_file)
        if check is not None:
            check([error for snapshot in snapshots for error in snapshot.errors])
        report = self.indexer.index(snapshots, rebuild=rebuild, progress=progress)
        self.index_queue.done(queued)
        return report

    def knowledge_snapshots(
        self, articles_dir: Path | None = None, tickets_file: Path | None = None
    ) -> list[Snapshot]:
        """The articles folder and the resolved tickets as they are now, with their problems.

        The ticket knowledge is the resolved tickets in kb's store plus, when given, those in
        a ticket export; tickets indexed from an export that is no longer given are removed.
        """
        from kb.indexer.sources import Loaded, load_articles, load_tickets

        articles = load_articles(articles_dir or self.settings.articles_dir)
        tickets = Loaded(documents=[ticket.to_document() for ticket in self.tickets.knowledge()])
        export = tickets_file or self.settings.tickets_file
        if export is not None:
            loaded = load_tickets(export)
            # An export imported into the store with `kb import tickets` is indexed once.
            imported = self.tickets.imported()
            tickets.documents.extend(
                document
                for document in loaded.documents
                if document.metadata.get("ticket_id") not in imported
            )
            tickets.errors.extend(loaded.errors)
        return [
            Snapshot("article", articles.documents, articles.errors),
            Snapshot("ticket", tickets.documents, tickets.errors),
        ]

    def close(self) -> None:
        if "mail_sender" in self.__dict__:
            self.mail_sender.stop()
        if "knowledge_queue" in self.__dict__:
            self.knowledge_queue.stop()
        if "segment_merger" in self.__dict__:
            self.segment_merger.stop()
        if "rollup_refresher" in self.__dict__:
            self.rollup_refresher.stop()
        self.searcher.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    """Wire kb from settings; pass `embedder` to share an already loaded model."""
    return Services(settings, embedder or create_embedder(settings))
