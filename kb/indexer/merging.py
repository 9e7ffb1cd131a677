"""Delta segments merged in the background of a `kb serve` worker, before updates must.

Each update writes a delta segment beside the base (kb.indexer.segments), and searches read
every segment, so they are merged into a new base once half of `index_segments` pile up: in a
thread, off every request's path, and with the writer lock held only to start and to
publish. An update that finds `index_segments` of them merges by itself, at the cost of a
whole generation. Workers share the work: one merges, the others find the merge lock taken.
"""

from __future__ import annotations

import logging

from kb.background import Repeating
from kb.indexer.pipeline import Indexer

# How often a worker looks at the current generation's segments (one small file read).
POLL_SECONDS = 5.0

log = logging.getLogger(__name__)


def merge_threshold(index_segments: int) -> int:
    """Delta segments at which a background merge starts: half the limit, at least one."""
    return max(1, index_segments // 2)


class SegmentMerger:
    """Merges the current generation's delta segments in a thread until stopped."""

    def __init__(self, indexer: Indexer, index_segments: int) -> None:
        self.indexer = indexer
        self.at_least = merge_threshold(index_segments)
        self._repeating = Repeating(
            "kb-index-merge",
            self.merge,
            lambda: POLL_SECONDS,
            "the index's delta segments could not be merged; trying again",
            log,
        )

    def merge(self) -> str | None:
        """Merge now if enough segments wait; the generation made current, or None."""
        return self.indexer.merge(self.at_least)

    def start(self) -> None:
        self._repeating.start()

    def stop(self) -> None:
        self._repeating.stop()
