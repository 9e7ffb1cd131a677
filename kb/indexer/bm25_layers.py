"""BM25 over a layered generation: a base segment and delta segments scored as one index.

A chunk's BM25F weight depends on the whole collection (how many chunks, their average field
lengths, how many hold the term), which a delta changes. So a search here takes each query
term's entries from every segment, drops the chunks removed above their segment, counts the
live ones for the IDF and weighs every entry again with the statistics of all live chunks,
through the same `weigh` a segment built alone uses: a KB grown by deltas scores as the same
KB built at once. The cost is that of the query terms' entries, as a single segment's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from kb.backends import Ranking
from kb.indexer.bm25_weights import Segment, Statistics, top_scores, weigh
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
        self._dead: tuple[int, list[npt.NDArray[np.int64]], Statistics] | None = None

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
        dead, statistics = self._dead_rows(indexes, segments)
        terms = sorted(indexes[0].query_terms(text))
        # Per segment: the entries of the query's terms, in the order of the terms.
        gathered = [
            _entries(segment, terms, rows) for segment, rows in zip(segments, dead, strict=True)
        ]
        found = np.zeros(len(terms), dtype=np.int64)
        for _, term_of_entry, _ in gathered:
            found += np.bincount(term_of_entry, minlength=len(terms))
        ranking: Ranking = []
        for segment, (entries, term_of_entry, rows) in zip(segments, gathered, strict=True):
            if len(entries) == 0:
                continue
            weights = weigh(
                segment.frequencies[entries],
                segment.lengths[rows],
                statistics,
                found[term_of_entry],
            ).astype(np.float32)
            scores = np.bincount(rows, weights=weights, minlength=len(segment.chunk_ids))
            ranking.extend(top_scores(scores, segment.chunk_ids, limit))
        ranking.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranking[:limit]

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
    ) -> tuple[list[npt.NDArray[np.int64]], Statistics]:
        """Each segment's rows removed above it, and the statistics of the live chunks."""
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
            self._dead = (self._stack.version, dead, Statistics(chunks, sums))
        return self._dead[1], self._dead[2]

    def _writable(self) -> SegmentedKeywordIndex:
        if self._top is None:
            raise read_only("the keyword index")
        return self._top


def _entries(
    segment: Segment, terms: Sequence[str], dead: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The live entries of `terms` in the segment: entry numbers, term positions, chunk rows."""
    entries: list[npt.NDArray[np.int64]] = []
    positions: list[npt.NDArray[np.int64]] = []
    for position, term in enumerate(terms):
        column = segment.columns.get(term)
        if column is None or column + 1 >= len(segment.pointers):
            continue
        start, end = int(segment.pointers[column]), int(segment.pointers[column + 1])
        entries.append(np.arange(start, end, dtype=np.int64))
        positions.append(np.full(end - start, position, dtype=np.int64))
    if not entries:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    entry = np.concatenate(entries)
    position_of = np.concatenate(positions)
    rows = np.asarray(segment.rows[entry], dtype=np.int64)
    if len(dead):
        live = ~np.isin(rows, dead)
        entry, position_of, rows = entry[live], position_of[live], rows[live]
    return entry, position_of, rows
