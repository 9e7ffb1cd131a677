"""BM25F weights from raw counts, the one formula every BM25 segment is scored by (pure numpy).

A segment written alone and several segments read together (kb.indexer.bm25_layers) give a
chunk the same score when they hold the same live chunks: the statistics are sums of whole
numbers (exact in float64 whatever the order), the weights come from `weigh` alone, and a
chunk's weights are added in the order of their terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.backends import Ranking
from kb.indexer.analysis import TAGS_WEIGHT, TITLE_WEIGHT

K1 = 1.2
B = 0.75
# Each field's weight in a chunk's score: body, title, tags (the field codes' order).
FIELD_WEIGHTS = (1.0, TITLE_WEIGHT, TAGS_WEIGHT)

Floats = npt.NDArray[np.floating]


@dataclass(frozen=True)
class Statistics:
    """What BM25 needs of a whole collection: its live chunks and their summed field lengths."""

    chunks: int
    length_sums: Floats  # one per field, in words

    @property
    def average_lengths(self) -> Floats:
        if self.chunks == 0:
            return np.ones(len(FIELD_WEIGHTS))
        return np.asarray(self.length_sums, dtype=np.float64) / self.chunks


@dataclass(frozen=True)
class Segment:
    """One BM25 index's committed entries, sorted by term then chunk row (a CSC layout).

    The entries of the term in column c are pointers[c]:pointers[c + 1]; `rows` gives each
    entry's chunk row, `frequencies` its count in each field; `lengths` is each chunk row's
    words per field.
    """

    chunk_ids: Sequence[str]
    columns: Mapping[str, int]
    pointers: npt.NDArray[np.integer]
    rows: npt.NDArray[np.integer]
    frequencies: npt.NDArray[np.float32]
    lengths: npt.NDArray[np.float32]


def weigh(
    frequencies: Floats,
    lengths: Floats,
    statistics: Statistics,
    document_frequencies: npt.NDArray[np.integer],
) -> npt.NDArray[np.float64]:
    """The BM25F weight of each entry (one row of per-field counts and of its chunk's lengths).

    Each field's frequency is weighted and normalised by the field's own average length, the
    fields are summed (body, title, tags, in that order) and the sum saturates once; the
    term's IDF counts the chunks that hold it in any field.
    """
    return weigh_normalised(
        frequencies, normalisers(lengths, statistics), statistics, document_frequencies
    )


def normalisers(lengths: Floats, statistics: Statistics) -> npt.NDArray[np.float64]:
    """Each row's length normalisation per field, 1 - B + B * length / average length: a
    chunk's own, the same for every term it holds."""
    average = np.maximum(statistics.average_lengths, 1e-9)
    normalised: npt.NDArray[np.float64] = (
        1.0 - B + B * (np.asarray(lengths, dtype=np.float64) / average)
    )
    return normalised


def weigh_normalised(
    frequencies: Floats,
    normalisation: Floats,
    statistics: Statistics,
    document_frequencies: npt.NDArray[np.integer],
) -> npt.NDArray[np.float64]:
    """`weigh`, given each entry's row of `normalisers` instead of its chunk's lengths."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    blended = np.zeros(len(frequencies), dtype=np.float64)
    for field, weight in enumerate(FIELD_WEIGHTS):
        blended = blended + weight * frequencies[:, field] / normalisation[:, field]
    found = np.asarray(document_frequencies, dtype=np.float64)
    idf = np.log1p((statistics.chunks - found + 0.5) / (found + 0.5))
    weights: npt.NDArray[np.float64] = idf * blended * (K1 + 1.0) / (blended + K1)
    return weights


def weighted_entries(
    rows: npt.NDArray[np.int64],
    columns: npt.NDArray[np.int64],
    frequencies: npt.NDArray[np.float64],
    fields: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.float64],
    alive: npt.NDArray[np.bool_],
    terms: int,
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]
]:
    """From postings (chunk row, term column, frequency, field) and each chunk's field
    lengths: the weights, chunk rows and column pointers of a CSC matrix (one entry per term
    and chunk, sorted by term then chunk) and each entry's frequency per field, counting the
    `alive` chunks only."""
    count = len(alive)
    live = alive[rows]
    rows, columns = rows[live], columns[live]
    frequencies, fields = frequencies[live], fields[live]
    # A field holds a term once per chunk (each field's words are counted), so each
    # (entry, field) is assigned once.
    order = np.argsort(columns * count + rows, kind="stable")
    rows, columns = rows[order], columns[order]
    frequencies, fields = frequencies[order], fields[order]
    starts = np.ones(len(rows), dtype=bool)
    starts[1:] = (rows[1:] != rows[:-1]) | (columns[1:] != columns[:-1])
    entry = np.cumsum(starts) - 1
    entry_rows, entry_columns = rows[starts], columns[starts]
    per_field = np.zeros((len(entry_rows), len(FIELD_WEIGHTS)), dtype=np.float64)
    per_field[entry, fields] = frequencies
    pointers = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(entry_columns, minlength=terms), out=pointers[1:])
    statistics = Statistics(int(alive.sum()), lengths[alive].sum(axis=0))
    weights = weigh(per_field, lengths[entry_rows], statistics, np.diff(pointers)[entry_columns])
    return weights, entry_rows, pointers, per_field


def top_scores(scores: npt.NDArray[Any], chunk_ids: Sequence[str], limit: int) -> Ranking:
    """The `limit` best (chunk id, score) of the positive scores, best first, ties by id."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > limit:
        top = np.argpartition(-scores[candidates], limit - 1)[:limit]
        candidates = candidates[top]
    ordered = sorted(candidates.tolist(), key=lambda row: (-scores[row], chunk_ids[row]))
    return [(chunk_ids[row], float(scores[row])) for row in ordered]
