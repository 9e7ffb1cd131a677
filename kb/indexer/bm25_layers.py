"""BM25 over a layered generation: a base segment and delta segments scored as one index.

A chunk's BM25F weight depends on the whole collection (how many chunks, their average field
lengths, how many hold the term), which a delta changes. So a search here takes each query
term's entries from every segment, drops the chunks removed above their segment, counts the
live ones for the IDF and weighs every entry again with the statistics of all live chunks,
through the same `weigh` a segment built alone uses: a KB grown by deltas scores as the same
KB built at once. The cost is that of the query terms' entries, as a single segment's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from kb.backends import Ranking
from kb.indexer.bm25_weights import (
    FIELD_WEIGHTS,
    Segment,
    Statistics,
    normalisers,
    top_scores,
    weigh_normalised,
)
from kb.indexer.layered_parts import read_only
from kb.indexer.layers import LayerStack
from kb.model import Chunk, Document


@runtime_checkable
class SegmentedKeywordIndex(Protocol):
    """A keyword index whose committed entries can be scored together with others'."""

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None: ...

    def remove(self, document_ids: Sequence[str]) -> None: ...

    def commit(self) -> None: ...

    def terms(self, text: str) -> set[str]: ...

    def query_terms(self, text: str) -> set[str]: ...

    def segment(self) -> Segment: ...

    def rows_of(self, chunk_ids: Sequence[str]) -> npt.NDArray[np.int64]: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


# Weighed entries a layered index remembers across searches (8 bytes each: a row and a
# weight), so that common terms are weighed once per generation: at 100,000 chunks about
# the whole index.
CACHED_ENTRIES = 8_000_000
# Opens (or returns the already opened) keyword segments of the read-only layers, base first.
Segments = Callable[[], Sequence[SegmentedKeywordIndex]]


class LayeredKeywordIndex:
    """BM25 over every layer's segment, with the statistics of the live chunks of all."""

    def __init__(
        self,
        stack: LayerStack,
        layers: Segments,
        top: SegmentedKeywordIndex | None = None,
        release: Callable[[], None] = lambda: None,
    ) -> None:
        self._stack = stack
        self._lower = layers
        self._top = top
        self._release = release
        self._dead: (
            tuple[int, list[npt.NDArray[np.int64]], Statistics, list[npt.NDArray[np.float64]]]
            | None
        ) = None
        self._weights: OrderedDict[
            str, list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]
        ] = OrderedDict()
        self._cached_entries = 0

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None:
        self._writable().add(document, chunks)

    def remove(self, document_ids: Sequence[str]) -> None:
        # Chunks below are removed by the catalog's record of them; the top drops its own.
        self._writable().remove(document_ids)

    def commit(self) -> None:
        self._writable().commit()
        self._dead = None

    def search(self, text: str, limit: int) -> Ranking:
        indexes = self._layers()
        if limit < 1 or not indexes:
            return []
        segments = [index.segment() for index in indexes]
        # Each term's weights in every segment, added for each chunk in the order of the
        # terms, as a single segment adds them.
        weighed = [
            self._term_weights(term, indexes, segments)
            for term in sorted(indexes[0].query_terms(text))
        ]
        ranking: Ranking = []
        for number, segment in enumerate(segments):
            parts = [term[number] for term in weighed if len(term[number][0])]
            if not parts:
                continue
            rows = np.concatenate([rows for rows, _ in parts])
            weights = np.concatenate([weights for _, weights in parts])
            scores = np.bincount(rows, weights=weights, minlength=len(segment.chunk_ids))
            ranking.extend(top_scores(scores, segment.chunk_ids, limit))
        ranking.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranking[:limit]

    def _term_weights(
        self,
        term: str,
        indexes: Sequence[SegmentedKeywordIndex],
        segments: Sequence[Segment],
    ) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]:
        """The live chunk rows holding `term` in each segment and their weights.

        Remembered for the generation: its statistics are fixed, and queries share terms.
        """
        dead, statistics, normalisation = self._dead_rows(indexes, segments)
        cached = self._weights.get(term)
        if cached is not None:
            self._weights.move_to_end(term)
            return cached
        found = [
            _entries(segment, term, rows) for segment, rows in zip(segments, dead, strict=True)
        ]
        holding = np.full(1, sum(len(rows) for _, rows in found), dtype=np.int64)
        nothing = np.zeros(0, dtype=np.float32)
        weighed = [
            (
                rows,
                weigh_normalised(
                    frequencies,
                    rows_normalisation[rows],
                    statistics,
                    np.broadcast_to(holding, len(rows)),
                ).astype(np.float32)
                if len(rows)
                else nothing,
            )
            for (frequencies, rows), rows_normalisation in zip(found, normalisation, strict=True)
        ]
        self._weights[term] = weighed
        self._cached_entries += sum(len(rows) for rows, _ in weighed)
        while self._cached_entries > CACHED_ENTRIES and len(self._weights) > 1:
            _, evicted = self._weights.popitem(last=False)
            self._cached_entries -= sum(len(rows) for rows, _ in evicted)
        return weighed

    def terms(self, text: str) -> set[str]:
        indexes = self._layers()
        return indexes[0].terms(text) if indexes else set()

    def count(self) -> int:
        return sum(index.count() for index in self._layers()) - self._stack.removed_chunks()

    def close(self) -> None:
        if self._top is not None:
            self._top.close()
        self._release()

    def _layers(self) -> list[SegmentedKeywordIndex]:
        return [*self._lower(), *([] if self._top is None else [self._top])]

    def _dead_rows(
        self, indexes: Sequence[SegmentedKeywordIndex], segments: Sequence[Segment]
    ) -> tuple[list[npt.NDArray[np.int64]], Statistics, list[npt.NDArray[np.float64]]]:
        """Each segment's rows removed above it, the statistics of the live chunks, and each
        segment's rows' length normalisation under them."""
        if self._dead is None or self._dead[0] != self._stack.version:
            dead = [
                index.rows_of(sorted(self._stack.dead_chunks(number)))
                for number, index in enumerate(indexes)
            ]
            chunks = 0
            sums = np.zeros(segments[0].lengths.shape[1] if segments else 0, dtype=np.float64)
            for segment, rows in zip(segments, dead, strict=True):
                lengths = np.asarray(segment.lengths, dtype=np.float64)
                chunks += len(lengths) - len(rows)
                sums += lengths.sum(axis=0) - lengths[rows].sum(axis=0)
            statistics = Statistics(chunks, sums)
            normalisation = [normalisers(segment.lengths, statistics) for segment in segments]
            self._dead = (self._stack.version, dead, statistics, normalisation)
            self._weights.clear()
            self._cached_entries = 0
        return self._dead[1], self._dead[2], self._dead[3]

    def _writable(self) -> SegmentedKeywordIndex:
        if self._top is None:
            raise read_only("the keyword index")
        return self._top


def _entries(
    segment: Segment, term: str, dead: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.int32]]:
    """The live entries of `term` in the segment: their frequencies per field, chunk rows."""
    column = segment.columns.get(term)
    if column is None or column + 1 >= len(segment.pointers):
        return np.zeros((0, len(FIELD_WEIGHTS))), np.zeros(0, dtype=np.int32)
    start, end = int(segment.pointers[column]), int(segment.pointers[column + 1])
    frequencies = segment.frequencies[start:end]
    rows = np.asarray(segment.rows[start:end], dtype=np.int32)
    if len(dead):
        live = ~np.isin(rows, dead)
        frequencies, rows = frequencies[live], rows[live]
    return frequencies, rows
