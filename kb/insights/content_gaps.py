"""The gaps report's reading: gap texts from SQL, embedded (kept in memory) and grouped."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import sqlalchemy
from numpy.typing import NDArray

from kb.backends import Embedder
from kb.insights.gap_activity import gap_rows
from kb.insights.gaps import (
    MAX_TEXTS,
    DismissedGap,
    GapSummary,
    gap_texts,
    group_gaps,
)
from kb.insights.readout import Filters
from kb.insights.searches import query_key
from kb.store.gaps import Dismissal, GapDismissals

# Vectors of gap texts kept between reports; past this many the memory is emptied.
MAX_KEPT_VECTORS = 50_000


class ContentGaps:
    def __init__(
        self, engine: sqlalchemy.Engine, embedder: Embedder, dismissals: GapDismissals
    ) -> None:
        self._engine = engine
        self._embedder = embedder
        self._dismissals = dismissals
        self._vectors: dict[str, NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    def summary(self, start: datetime, end: datetime, filters: Filters) -> GapSummary:
        """The gaps of [start, end) grouped by meaning, dismissed ones left out."""
        texts = gap_texts(gap_rows(self._engine, start, end, filters))
        kept = texts[:MAX_TEXTS]
        dismissed = [item.text for item in self._dismissals.all()]
        gaps = group_gaps(kept, self._embed([t.text for t in kept]), self._embed(dismissed))
        return GapSummary(tuple(gaps), left_out=len(texts) - len(kept))

    def dismissed(self) -> list[DismissedGap]:
        return [
            DismissedGap(item.id, item.text, item.dismissed_by, item.dismissed_at)
            for item in self._dismissals.all()
        ]

    def dismiss(self, text: str, actor: str) -> Dismissal:
        """Leave the gap named by `text` (its first search, say) out of the report from now
        on, with the gaps close to it in meaning; the same words in any case or spacing are
        one dismissal."""
        key = hashlib.sha256(query_key(text).encode()).hexdigest()
        return self._dismissals.dismiss(text, key, actor)

    def restore(self, dismissal_id: int) -> None:
        self._dismissals.restore(dismissal_id)

    def _embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        with self._lock:
            known = {key: self._vectors[key] for key in keys if key in self._vectors}
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
        if missing:
            fresh = dict(zip(missing, self._embedder.embed(list(missing.values())), strict=True))
            known.update(fresh)
            with self._lock:
                if len(self._vectors) + len(fresh) > MAX_KEPT_VECTORS:
                    self._vectors.clear()
                self._vectors.update(fresh)
        return np.stack([known[key] for key in keys]).astype(np.float32)
