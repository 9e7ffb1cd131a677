"""Where searches read on PostgreSQL: a read replica while it answers, else the primary.

A search host whose `database_read_url` names a streaming replica keeps serving when that
replica is down: searches read the primary (`database_url`), which holds everything the
replica does and more, and a warning names both and says when the replica is tried again.
Failing instead would take search down with a server that is only a copy; the price is load
on the primary while the replica is away. Only connecting is judged: a query that fails on
a connection the replica dropped fails that search, and the next one connects afresh.
"""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy

# Seconds a replica that could not be reached is left alone before it is tried again.
REPLICA_RETRY_SECONDS = 30.0

log = logging.getLogger(__name__)


class ReadRoute:
    """Connections for reading: from the replica, or the primary while the replica is down."""

    def __init__(
        self,
        replica: sqlalchemy.Engine,
        primary: sqlalchemy.Engine,
        retry_seconds: float = REPLICA_RETRY_SECONDS,
    ) -> None:
        self._replica = replica
        self._primary = primary
        self._retry_seconds = retry_seconds
        self._retry_at: float | None = None
        self._lock = threading.Lock()

    @property
    def replica_down(self) -> bool:
        """Whether reads are going to the primary because the replica could not be reached."""
        return self._retry_at is not None

    def connect(self) -> sqlalchemy.Connection:
        with self._lock:
            retry_at = self._retry_at
        if retry_at is None or time.monotonic() >= retry_at:
            try:
                connection = self._replica.connect()
            except sqlalchemy.exc.OperationalError as error:
                self._set_aside(error)
            else:
                if retry_at is not None:
                    with self._lock:
                        self._retry_at = None
                    log.warning(
                        "the read replica %s answers again; searches read it again",
                        _place(self._replica),
                    )
                return connection
        return self._primary.connect()

    def _set_aside(self, error: sqlalchemy.exc.OperationalError) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + self._retry_seconds
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        log.warning(
            "the read replica %s cannot be reached (%s); searches read the primary %s "
            "instead and try the replica again in %g s: check that the replica is running "
            "and that `database_read_url` names it",
            _place(self._replica),
            reason,
            _place(self._primary),
            self._retry_seconds,
        )


def _place(engine: sqlalchemy.Engine) -> str:
    url = engine.url
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
