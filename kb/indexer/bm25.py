"""BM25 keyword index held as a sparse term matrix, over kb's own text analysis.

Whoosh scores an OR query by walking one matcher per term and field in Python, which costs
hundreds of milliseconds once posting lists hold tens of thousands of chunks. Here each
chunk's term weights live in one compressed sparse column matrix: a query sums a few columns
with numpy and keeps the top scores, whatever the size of the KB.

Chunks are scored by BM25F (Robertson, Zaragoza and Taylor, 2004): a term's frequency in
each field (body, title, tags) is normalised by that field's own average length and weighted
(the title `TITLE_WEIGHT`, the tags `TAGS_WEIGHT` times the body), the fields are added, and
the sum saturates once. Scoring each field as BM25 on its own and adding the scores, as
before, let a short title that shares one common word with the query outrank the section
that answers it: on E-Manual's dev half that cost 0.15 nDCG@10
(bench/keyword_variants.py). A term has one IDF, from the chunks that hold it in any field.
Terms carry their analyzer's language ("en:vpn"), so a Spanish stem never matches an English
document by accident.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.backends import Ranking
from kb.config import Settings
from kb.errors import DependencyMissingError, IndexMismatchError
from kb.indexer.analysis import Analysis, chunk_fields
from kb.indexer.bm25_weights import FIELD_WEIGHTS, Segment, top_scores, weighted_entries
from kb.model import Chunk, Document

FORMAT = 2
# Field codes of a posting (FIELD_WEIGHTS gives each one's weight in a chunk's score).
BODY, TITLE, TAGS = 0, 1, 2
# The BM25 weights of the committed postings, so that opening an index does not compute them.
MATRIX_FILE = "weights.npz"
# Each weight's frequencies per field, and each chunk's lengths per field (kb.indexer.bm25_layers).
ENTRIES_FILE = "entries.npy"
LENGTHS_FILE = "lengths.npy"
# array typecodes of the postings and their numpy dtypes.
POSTING_TYPES = {"i": np.int32, "f": np.float32, "b": np.int8}


def _sparse() -> Any:
    try:
        from scipy import sparse
    except ImportError:
        raise DependencyMissingError("scipy", "the bm25 keyword index") from None
    return sparse


class BM25KeywordIndex:
    """Postings (chunk row, term id, weighted frequency) in `directory`, scored as BM25."""

    _terms: list[str]
    _term_ids: dict[str, int]
    _chunk_ids: list[str]
    _owners: list[str]
    # The postings a writer holds are typed arrays (4 bytes a row, term and frequency, 1 a
    # field), not Python lists: a million chunks carry about 80 million postings, 1 GB so
    # and 7 GB or more as lists of Python numbers.
    _alive: bytearray  # 1 for a live chunk, 0 for a removed one
    _lengths: array[float]  # three per chunk: body, title and tags words
    _rows: array[int]
    _columns: array[int]
    _frequencies: array[float]
    _fields: array[int]
    _matrix: Any
    _built_ids: list[str]
    # Per matrix entry its frequency in each field, and per chunk its field lengths; a
    # reader loads them only when asked for its segment.
    _entry_frequencies: npt.NDArray[np.float32] | None
    _row_lengths: npt.NDArray[np.float32]

    def __init__(self, directory: Path, settings: Settings) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        meta_path = directory / "meta.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text("utf-8"))
            if meta.get("format") != FORMAT:
                raise IndexMismatchError(
                    f"{directory}: written by another version of kb; run `kb index` to rebuild"
                )
            languages = tuple(meta["languages"])
        else:
            languages = tuple(settings.languages)
        self._analysis = Analysis(languages)
        self._postings_loaded = False
        self._row_numbers: dict[str, int] | None = None
        if (directory / MATRIX_FILE).exists():
            # A reader needs only the weights commit saved; the postings wait for a write.
            self._load_matrix()
        else:
            self._load_postings()
            self._build()

    # Writing ---------------------------------------------------------------------------

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        self._writable()
        analysis = self._analysis
        language = analysis.language_of(document)
        texts = [chunk_fields(document, chunk) for chunk in chunks]
        # Title and tags are the document's own: analysed once for all its chunks.
        title = Counter(f"{language}:{term}" for term in analysis.words(language, texts[0].title))
        tags = Counter(f"tag:{term}" for term in analysis.tag_words(texts[0].tags))
        for chunk, text in zip(chunks, texts, strict=True):
            body = Counter(f"{language}:{term}" for term in analysis.words(language, text.body))
            row = len(self._chunk_ids)
            self._chunk_ids.append(chunk.id)
            self._owners.append(document.id)
            self._alive.append(1)
            for field, counter in ((BODY, body), (TITLE, title), (TAGS, tags)):
                self._lengths.append(float(sum(counter.values())))
                self._rows.extend([row] * len(counter))
                self._columns.extend([self._term_id(term) for term in counter])
                self._frequencies.extend([float(count) for count in counter.values()])
                self._fields.extend([field] * len(counter))

    def remove(self, document_ids: Sequence[str]) -> None:
        self._writable()
        doomed = set(document_ids)
        for row, owner in enumerate(self._owners):
            if owner in doomed:
                self._alive[row] = 0

    def commit(self) -> None:
        self._writable()
        self._compact()
        self._build()
        self._save()

    # Reading ---------------------------------------------------------------------------

    def search(self, text: str, limit: int) -> Ranking:
        matrix, built_ids = self._matrix, self._built_ids
        if limit < 1 or matrix is None:
            return []
        # Terms added since the last commit have no column yet. Columns are summed in the
        # order of their terms, as a search over several segments sums them.
        built_terms = matrix.shape[1]
        columns = [
            column
            for term in sorted(self._query_terms(text))
            if (column := self._term_ids.get(term, built_terms)) < built_terms
        ]
        if not columns:
            return []
        starts, ends = matrix.indptr[columns], matrix.indptr[np.asarray(columns) + 1]
        rows = np.concatenate([matrix.indices[s:e] for s, e in zip(starts, ends, strict=True)])
        data = np.concatenate([matrix.data[s:e] for s, e in zip(starts, ends, strict=True)])
        if len(rows) == 0:
            return []
        scores = np.bincount(rows, weights=data, minlength=matrix.shape[0])
        return top_scores(scores, built_ids, limit)

    def terms(self, text: str) -> set[str]:
        return self._analysis.terms(text)

    def query_terms(self, text: str) -> set[str]:
        """The index terms a search for `text` looks up (each carrying its language)."""
        return self._query_terms(text)

    def rows_of(self, chunk_ids: Iterable[str]) -> npt.NDArray[np.int64]:
        """The committed rows of those of `chunk_ids` this index holds, sorted."""
        if self._row_numbers is None:
            self._row_numbers = {chunk_id: row for row, chunk_id in enumerate(self._built_ids)}
        rows = self._row_numbers
        return np.asarray(
            sorted(rows[chunk_id] for chunk_id in chunk_ids if chunk_id in rows), dtype=np.int64
        )

    def segment(self) -> Segment:
        """The committed entries with their frequencies per field and the chunks' lengths,
        for scoring this index together with others (kb.indexer.bm25_layers)."""
        frequencies = self._entry_frequencies
        if frequencies is None:
            folder = self._directory
            if (folder / ENTRIES_FILE).exists():
                # Mapped, not read: a search touches only its terms' entries.
                frequencies = np.load(folder / ENTRIES_FILE, mmap_mode="r")
                self._row_lengths = np.load(folder / LENGTHS_FILE)
            else:
                frequencies = self._derive_entries()
            self._entry_frequencies = frequencies
        matrix = self._matrix
        empty = np.zeros(0, dtype=np.int32)
        return Segment(
            chunk_ids=self._built_ids,
            columns=self._term_ids,
            pointers=np.zeros(1, dtype=np.int32) if matrix is None else matrix.indptr,
            rows=empty if matrix is None else matrix.indices,
            frequencies=frequencies,
            lengths=self._row_lengths,
        )

    def count(self) -> int:
        # A reader's chunks are all alive: commit drops the removed ones.
        return sum(self._alive) if self._postings_loaded else len(self._chunk_ids)

    def close(self) -> None:
        self._matrix = None

    # Internals -------------------------------------------------------------------------

    def _query_terms(self, text: str) -> set[str]:
        terms = {
            f"{language}:{term}"
            for language, words in self._analysis.query_words(text).items()
            for term in words
        }
        terms.update(f"tag:{term}" for term in self._analysis.tag_words(text))
        return terms

    def _term_id(self, term: str) -> int:
        found = self._term_ids.get(term)
        if found is None:
            found = self._term_ids[term] = len(self._terms)
            self._terms.append(term)
        return found

    def _compact(self) -> None:
        if all(self._alive):
            return
        keep = np.flatnonzero(_alive_mask(self._alive))
        renumber = np.full(len(self._alive), -1, dtype=np.int32)
        renumber[keep] = np.arange(len(keep), dtype=np.int32)
        rows = renumber[_view(self._rows)]
        kept = rows >= 0
        self._rows = _typed(rows[kept], "i")
        self._columns = _typed(_view(self._columns)[kept], "i")
        self._frequencies = _typed(_view(self._frequencies)[kept], "f")
        self._fields = _typed(_view(self._fields)[kept], "b")
        self._chunk_ids = [self._chunk_ids[row] for row in keep]
        self._owners = [self._owners[row] for row in keep]
        self._lengths = _typed(_field_lengths(self._lengths)[keep].ravel(), "f")
        self._alive = bytearray(b"\x01") * len(keep)

    def _build(self) -> None:
        """The BM25 weight matrix (chunks × terms) of the committed postings.

        Each entry also keeps its frequency in each field, beside each chunk's field lengths,
        so that a segment read with others (kb.indexer.bm25_layers) is scored again from the
        statistics of them all, by the same `weigh`.
        """
        count = len(self._chunk_ids)
        self._row_numbers = None
        self._entry_frequencies = np.zeros((0, len(FIELD_WEIGHTS)), dtype=np.float32)
        self._row_lengths = _field_lengths(self._lengths).astype(np.float32)
        if count == 0 or not self._rows:
            self._matrix, self._built_ids = None, list(self._chunk_ids)
            return
        matrix, per_field = _weighted(
            _view(self._rows).astype(np.int64),
            _view(self._columns).astype(np.int64),
            _view(self._frequencies).astype(np.float64),
            _view(self._fields).astype(np.int64),
            _field_lengths(self._lengths),
            _alive_mask(self._alive),
            len(self._terms),
        )
        self._entry_frequencies = per_field.astype(np.float32)
        self._matrix, self._built_ids = matrix, list(self._chunk_ids)

    def _derive_entries(self) -> npt.NDArray[np.float32]:
        """The per-field frequencies of an index committed before they were saved, from its
        postings (numpy only: the postings are not loaded for writing)."""
        with np.load(self._directory / "postings.npz") as saved:
            lengths = saved["lengths"].astype(np.float64).reshape(-1, len(FIELD_WEIGHTS))
            matrix, per_field = _weighted(
                saved["rows"].astype(np.int64),
                saved["columns"].astype(np.int64),
                saved["frequencies"].astype(np.float64),
                saved["fields"].astype(np.int64),
                lengths,
                np.ones(len(lengths), dtype=bool),
                len(self._terms),
            )
        self._matrix = matrix
        self._row_lengths = lengths.astype(np.float32)
        return per_field.astype(np.float32)

    def _writable(self) -> None:
        """Load the postings, which only writing needs, once."""
        if not self._postings_loaded:
            self._load_postings()

    def _load_matrix(self) -> None:
        folder = self._directory
        self._terms = _lines(folder / "terms.txt")
        self._term_ids = {term: number for number, term in enumerate(self._terms)}
        self._chunk_ids = _lines(folder / "chunks.txt")
        with np.load(folder / MATRIX_FILE) as saved:
            shape = (int(saved["shape"][0]), int(saved["shape"][1]))
            parts = (saved["data"], saved["indices"], saved["indptr"])
            self._matrix = _sparse().csc_matrix(parts, shape=shape) if shape[0] else None
        self._built_ids = list(self._chunk_ids)
        self._row_numbers = None
        self._entry_frequencies = None

    def _load_postings(self) -> None:
        folder = self._directory
        self._postings_loaded = True
        if not (folder / "postings.npz").exists():
            self._terms, self._chunk_ids, self._owners = [], [], []
            self._alive, self._lengths = bytearray(), array("f")
            self._rows, self._columns = array("i"), array("i")
            self._frequencies, self._fields = array("f"), array("b")
        else:
            self._terms = _lines(folder / "terms.txt")
            self._chunk_ids = _lines(folder / "chunks.txt")
            self._owners = _lines(folder / "owners.txt")
            with np.load(folder / "postings.npz") as saved:
                self._rows = _typed(saved["rows"], "i")
                self._columns = _typed(saved["columns"], "i")
                self._frequencies = _typed(saved["frequencies"], "f")
                self._fields = _typed(saved["fields"], "b")
                self._lengths = _typed(saved["lengths"], "f")
            self._alive = bytearray(b"\x01") * len(self._chunk_ids)
        self._term_ids = {term: number for number, term in enumerate(self._terms)}

    def _save(self) -> None:
        folder = self._directory
        (folder / "meta.json").write_text(
            json.dumps({"format": FORMAT, "languages": list(self._analysis.languages)}), "utf-8"
        )
        _write_lines(folder / "terms.txt", self._terms)
        _write_lines(folder / "chunks.txt", self._chunk_ids)
        _write_lines(folder / "owners.txt", self._owners)
        np.savez(
            folder / "postings.npz",
            rows=_view(self._rows),
            columns=_view(self._columns),
            frequencies=_view(self._frequencies),
            fields=_view(self._fields),
            lengths=_view(self._lengths),
        )
        frequencies = self._entry_frequencies
        empty_entries = np.zeros((0, len(FIELD_WEIGHTS)), dtype=np.float32)
        np.save(folder / ENTRIES_FILE, empty_entries if frequencies is None else frequencies)
        np.save(folder / LENGTHS_FILE, self._row_lengths)
        matrix = self._matrix
        empty = np.zeros(0, dtype=np.float32)
        np.savez(
            folder / MATRIX_FILE,
            data=empty if matrix is None else matrix.data,
            indices=empty.astype(np.int32) if matrix is None else matrix.indices,
            indptr=np.zeros(1, dtype=np.int32) if matrix is None else matrix.indptr,
            shape=np.asarray((0, 0) if matrix is None else matrix.shape, dtype=np.int64),
        )


def _weighted(
    rows: npt.NDArray[np.int64],
    columns: npt.NDArray[np.int64],
    frequencies: npt.NDArray[np.float64],
    fields: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.float64],
    alive: npt.NDArray[np.bool_],
    terms: int,
) -> tuple[Any, npt.NDArray[np.float64]]:
    """The weight matrix (chunks × terms) of `weighted_entries` and its entries' per-field
    frequencies."""
    weights, entry_rows, pointers, per_field = weighted_entries(
        rows, columns, frequencies, fields, lengths, alive, terms
    )
    matrix = _sparse().csc_matrix(
        (weights.astype(np.float32), entry_rows.astype(np.int32), pointers.astype(np.int32)),
        shape=(len(alive), terms),
    )
    return matrix, per_field


def _field_lengths(lengths: array[float]) -> npt.NDArray[np.float64]:
    """Chunk lengths in words, one row per chunk and one column per field."""
    return _view(lengths).astype(np.float64).reshape(-1, len(FIELD_WEIGHTS))


def _view(values: array[Any]) -> npt.NDArray[Any]:
    """The postings of a typed array as a numpy array over the same memory (no copy)."""
    return np.frombuffer(values, dtype=POSTING_TYPES[values.typecode])


def _typed(values: npt.NDArray[Any], typecode: str) -> array[Any]:
    """A numpy array's values as a typed array of `typecode`."""
    typed = array(typecode)
    typed.frombytes(np.ascontiguousarray(values, dtype=POSTING_TYPES[typecode]).tobytes())
    return typed


def _alive_mask(alive: bytearray) -> npt.NDArray[np.bool_]:
    return np.frombuffer(alive, dtype=np.uint8).astype(bool)


def _lines(path: Path) -> list[str]:
    return path.read_text("utf-8").split("\n")[:-1] if path.stat().st_size else []


def _write_lines(path: Path, values: list[str]) -> None:
    path.write_text("".join(f"{value}\n" for value in values), "utf-8")
