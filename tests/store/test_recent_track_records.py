"""The per-worker cache of track records: read once per period, dropped by a visit's own votes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

import sqlalchemy

from kb.events import Feedback
from kb.store.events import EventStore, TrackRecord
from kb.track_record import RecentTrackRecords


class CountingEventStore(EventStore):
    def __init__(self, engine: sqlalchemy.Engine) -> None:
        super().__init__(engine)
        self.reads: list[list[str]] = []

    def track_records(self, article_ids: Collection[str] | None = None) -> dict[str, TrackRecord]:
        self.reads.append(sorted(article_ids or []))
        return super().track_records(article_ids)


def vote(events: EventStore, article_id: str) -> None:
    events.record(
        Feedback(session_id="visit-1", at=datetime.now(UTC), article_id=article_id, helpful=True)
    )


def test_records_are_read_once_per_period_and_forgotten_on_request(
    engine: sqlalchemy.Engine,
) -> None:
    events = CountingEventStore(engine)
    recent = RecentTrackRecords(events, seconds=60)
    assert recent.get(["vpn", "wifi"])["vpn"] == TrackRecord()
    vote(events, "vpn")
    assert recent.get(["vpn", "wifi"])["vpn"] == TrackRecord(), "within the period: cached"
    assert events.reads == [["vpn", "wifi"]]
    recent.forget(["vpn"])
    assert recent.get(["vpn", "wifi"])["vpn"].helpful == 1
    assert events.reads[-1] == ["vpn"], "only the forgotten record is read again"


def test_records_expire(engine: sqlalchemy.Engine) -> None:
    events = CountingEventStore(engine)
    recent = RecentTrackRecords(events, seconds=0.0)
    recent.get(["vpn"])
    vote(events, "vpn")
    assert recent.get(["vpn"])["vpn"].helpful == 1
    assert len(events.reads) == 2
