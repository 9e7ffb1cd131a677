"""`kb serve`: the portal behind gunicorn, each worker loading the engine once."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from kb.backends import open_generation_store
from kb.config import Settings
from kb.errors import IndexNotFoundError
from kb.indexer.embed import limit_cpu_threads
from kb.services import build_services
from kb.web import create_app
from kb.web.worker import READING_THREADS, PortalWorker


def build_worker_app(settings: Settings, cpu_threads: int | None = None) -> Flask:
    """One worker's app: the model is loaded and the index opened before the first request."""
    if cpu_threads is not None:
        limit_cpu_threads(cpu_threads)
    services = build_services(settings)
    services.searcher.warm()
    # Indexes the notes of tickets resolved while another writer held the index.
    services.knowledge_queue.start()
    # Folds the delta segments one-document updates write into a new base, off the requests.
    services.segment_merger.start()
    # Computes the sessions whose events changed, for the managers' reports.
    services.rollup_refresher.start()
    if services.mails:
        # Each worker sends; the outbox's claims keep two from sending one message twice.
        services.mail_sender.start()
    return create_app(services=services)


class PortalServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        workers = int(self._options.get("workers", 1))
        return build_worker_app(self._settings, max(1, (os.cpu_count() or 1) // workers))


def serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """Run until interrupted. New index generations are picked up without a restart."""
    if open_generation_store(settings).current() is None:
        raise IndexNotFoundError(settings.home)
    # Before any worker forks; on PostgreSQL under an advisory lock, so hosts starting
    # together migrate once.
    starting = build_services(settings)
    try:
        starting.upgrade_database()
    finally:
        starting.close()
    PortalServer(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            # Threads read requests, so a stalled client holds a thread, not the worker;
            # `threads` of them compute at once (see kb.web.worker).
            "worker_class": PortalWorker.configured(threads, settings.client_timeout),
            "threads": threads + READING_THREADS,
            # Each answer closes its connection, as sync workers' did: a new request is then
            # accepted by a worker with nothing to compute, not queued behind a busy one.
            "keepalive": 0,
            # Loading the model takes a few seconds on a busy machine.
            "timeout": 120,
            "accesslog": "-",
            "errorlog": "-",
        },
    ).run()
