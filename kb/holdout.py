"""Help sessions held out of suggestions (`holdout_share`), and each session's recorded start.

A session is held out when a hash of its id falls under the share: random across sessions,
the same for one session in every worker and host, with nothing to store to decide it. What
counts is what was recorded: the session's `session_started` event, written at its first
search or request, says whether it was held out, so the readout compares the groups as they
were treated even if the share changes later.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import UTC, datetime

from kb.events import SessionStarted
from kb.store.events import EventStore

# Sessions whose start this worker remembers; past it, the oldest are read again when seen.
REMEMBERED_SESSIONS = 10_000


def held_out(session_id: str, share: float) -> bool:
    """Whether a session falls in the held-out share: a uniform draw from its id's SHA-256."""
    if share <= 0.0:
        return False
    digest = hashlib.sha256(f"kb-holdout:{session_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


class Holdout:
    """Starts help sessions, recording whether each one is held out of suggestions."""

    def __init__(self, events: EventStore, share: float) -> None:
        self._events = events
        self.share = share
        self._started: OrderedDict[str, bool] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, session_id: str) -> bool:
        """Whether the session is held out; its start is recorded the first time it is seen.

        Two workers starting one session at once each record a start; the first counts, and
        both say the same unless `holdout_share` changed in between.
        """
        with self._lock:
            if session_id in self._started:
                self._started.move_to_end(session_id)
                return self._started[session_id]
        recorded = [
            event for event in self._events.session(session_id) if isinstance(event, SessionStarted)
        ]
        if recorded:
            holdout = recorded[0].holdout
        else:
            holdout = held_out(session_id, self.share)
            self._events.record(
                SessionStarted(session_id=session_id, at=datetime.now(UTC), holdout=holdout)
            )
        with self._lock:
            self._started[session_id] = holdout
            while len(self._started) > REMEMBERED_SESSIONS:
                self._started.popitem(last=False)
        return holdout
