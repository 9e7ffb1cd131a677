"""The Catalog of one index generation on files: a SQLite file inside the generation folder.

Documents, their content hashes and their chunks; the manifest for incremental indexing and
the place a search looks up what a chunk id belongs to.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from kb.backends import Manifest
from kb.model import Chunk, Document

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    path TEXT,
    data TEXT NOT NULL,
    title_vector BLOB
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    heading_path TEXT NOT NULL,
    anchor TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, position);
"""
# SQLite allows 32766 parameters; stay well below for IN (...) lookups.
LOOKUP_BATCH = 900
# Decoded documents and chunks a read-only catalog keeps: a published generation never
# changes, and popular answers are asked for again and again.
DECODED_CACHE_SIZE = 20_000


class SqliteCatalog:
    """Documents and chunks of one generation; read-only unless opened with `writable`."""

    def __init__(self, path: Path, *, writable: bool = False) -> None:
        if writable:
            self._connection = sqlite3.connect(path, check_same_thread=False)
            # Written only inside a generation being built, which the store syncs to disk
            # as a whole before publishing it (and throws away after a crash): SQLite's own
            # journal and syncs would only pay for the same durability again.
            self._connection.execute("PRAGMA journal_mode = OFF")
            self._connection.execute("PRAGMA synchronous = OFF")
            self._connection.executescript(SCHEMA)
        else:
            self._connection = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False
            )
        self._lock = threading.Lock()
        self._cached = not writable
        self._documents: OrderedDict[str, Document] = OrderedDict()
        self._chunks: OrderedDict[str, Chunk] = OrderedDict()
        self._title_vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        # Every chunk's document, read in one pass on a read-only catalog's first lookup: a
        # search resolves its few hundred candidates from memory instead of one SQLite
        # query each time (1.1 ms of a first search at 10k chunks; about 110 bytes a chunk).
        self._owners: dict[str, str] | None = None

    def manifest(self, ids: Iterable[str] | None = None) -> Manifest:
        """Every document id with its kind, content hash and source path (if a file), or
        only those of `ids` the catalog holds."""
        sql = "SELECT id, kind, content_hash, path FROM documents"
        if ids is None:
            rows = self._query(sql)
        else:
            rows = self._lookup(f"{sql} WHERE id IN ({{marks}})", ids)
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def put(self, document: Document, chunks: Sequence[Chunk]) -> None:
        with self._lock:
            self._connection.execute(
                "INSERT OR REPLACE INTO documents (id, kind, content_hash, path, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    document.id,
                    document.kind,
                    document.content_hash(),
                    document.metadata.get("path"),
                    encode_document(document),
                ),
            )
            self._connection.executemany(
                "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (c.id, c.document_id, c.position, json.dumps(c.heading_path), c.anchor, c.text)
                    for c in chunks
                ],
            )

    def put_title_vectors(
        self, document_ids: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> None:
        """Store each document's title embedding (one row of `vectors` per id)."""
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            self._connection.executemany(
                "UPDATE documents SET title_vector = ? WHERE id = ?",
                [
                    (row.tobytes(), document_id)
                    for document_id, row in zip(document_ids, rows, strict=True)
                ],
            )

    def title_vectors(self, ids: Iterable[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The title embeddings of those documents that have one."""

        def read(missing: list[str]) -> dict[str, npt.NDArray[np.float32]]:
            rows = self._lookup(
                "SELECT id, title_vector FROM documents "
                "WHERE id IN ({marks}) AND title_vector IS NOT NULL",
                missing,
            )
            return {row[0]: np.frombuffer(row[1], dtype=np.float32) for row in rows}

        return self._through_cache(self._title_vectors, ids, read)

    def remove(self, document_ids: Iterable[str]) -> list[str]:
        """Delete documents and their chunks; return the chunk ids that were removed."""
        ids = list(document_ids)
        removed: list[str] = []
        with self._lock:
            for start in range(0, len(ids), LOOKUP_BATCH):
                batch = ids[start : start + LOOKUP_BATCH]
                marks = ",".join("?" * len(batch))
                removed.extend(
                    row[0]
                    for row in self._connection.execute(
                        f"SELECT id FROM chunks WHERE document_id IN ({marks})", batch
                    )
                )
                self._connection.execute(
                    f"DELETE FROM chunks WHERE document_id IN ({marks})", batch
                )
                self._connection.execute(f"DELETE FROM documents WHERE id IN ({marks})", batch)
        return removed

    def commit(self) -> None:
        with self._lock:
            self._connection.commit()

    def documents(self, ids: Iterable[str]) -> dict[str, Document]:
        def read(missing: list[str]) -> dict[str, Document]:
            rows = self._lookup("SELECT id, data FROM documents WHERE id IN ({marks})", missing)
            return {row[0]: decode_document(row[1]) for row in rows}

        return self._through_cache(self._documents, ids, read)

    def linking_to(self, document_id: str) -> list[str]:
        """Ids of the articles whose front-matter `related` names `document_id`."""
        # instr() skips the rows that cannot name it before any JSON is parsed.
        rows = self._query(
            "SELECT DISTINCT d.id FROM documents d, json_each(d.data, '$.metadata.related') r "
            "WHERE d.kind = 'article' AND instr(d.data, ?) > 0 AND r.value = ? ORDER BY d.id",
            (json.dumps(document_id), document_id),
        )
        return [row[0] for row in rows]

    def in_category(self, category: str, kind: str = "article") -> list[str]:
        """Ids of the documents of `kind` filed under `category`, by id."""
        rows = self._query(
            "SELECT id FROM documents WHERE kind = ? AND json_extract(data, '$.category') = ? "
            "ORDER BY id",
            (kind, category),
        )
        return [row[0] for row in rows]

    def recently_updated(self, limit: int, language: str | None = None) -> list[str]:
        """Public, published articles by front-matter `updated`, newest first (see Catalog)."""
        # `IS NOT ?` sorts the wanted language first (0) and, given None, ties every row.
        rows = self._query(
            "SELECT id FROM documents WHERE kind = 'article' "
            "AND json_extract(data, '$.audience') = 'public' "
            "AND json_extract(data, '$.status') = 'published' "
            "ORDER BY json_extract(data, '$.language') IS NOT ?, "
            "json_extract(data, '$.metadata.updated') DESC NULLS LAST, id LIMIT ?",
            (language, limit),
        )
        return [row[0] for row in rows]

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        def read(missing: list[str]) -> dict[str, Chunk]:
            rows = self._lookup(
                "SELECT id, document_id, position, heading_path, anchor, text "
                "FROM chunks WHERE id IN ({marks})",
                missing,
            )
            return {row[0]: _chunk(row) for row in rows}

        return self._through_cache(self._chunks, ids, read)

    def owners(self, chunk_ids: Iterable[str]) -> dict[str, str]:
        if not self._cached:
            rows = self._lookup(
                "SELECT id, document_id FROM chunks WHERE id IN ({marks})", chunk_ids
            )
            return {row[0]: row[1] for row in rows}
        every = self._every_owner()
        return {
            chunk_id: every[chunk_id] for chunk_id in dict.fromkeys(chunk_ids) if chunk_id in every
        }

    def _every_owner(self) -> dict[str, str]:
        with self._lock:
            if self._owners is None:
                # One string per document, not one per chunk that names it.
                documents: dict[str, str] = {}
                self._owners = {
                    chunk_id: documents.setdefault(document_id, document_id)
                    for chunk_id, document_id in self._connection.execute(
                        "SELECT id, document_id FROM chunks"
                    )
                }
            return self._owners

    def chunks_of(self, document_ids: Iterable[str]) -> dict[str, list[Chunk]]:
        found: dict[str, list[Chunk]] = {document_id: [] for document_id in document_ids}
        rows = self._lookup(
            "SELECT id, document_id, position, heading_path, anchor, text "
            "FROM chunks WHERE document_id IN ({marks}) ORDER BY document_id, position",
            found,
        )
        for row in rows:
            found[row[1]].append(_chunk(row))
        return found

    def _through_cache(
        self,
        cache: OrderedDict[str, T],
        ids: Iterable[str],
        read: Callable[[list[str]], dict[str, T]],
        size: int = DECODED_CACHE_SIZE,
    ) -> dict[str, T]:
        """Items by id: from the decoded cache when read-only, the rest from SQLite."""
        wanted = list(dict.fromkeys(ids))
        if not self._cached:
            return read(wanted)
        found: dict[str, T] = {}
        with self._lock:
            for item_id in wanted:
                item = cache.get(item_id)
                if item is not None:
                    cache.move_to_end(item_id)
                    found[item_id] = item
        missing = [item_id for item_id in wanted if item_id not in found]
        if missing:
            fetched = read(missing)
            found.update(fetched)
            with self._lock:
                cache.update(fetched)
                while len(cache) > size:
                    cache.popitem(last=False)
        return found

    def counts(self) -> tuple[int, int]:
        """(documents, chunks)."""
        documents = self._query("SELECT COUNT(*) FROM documents")[0][0]
        chunks = self._query("SELECT COUNT(*) FROM chunks")[0][0]
        return int(documents), int(chunks)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def _lookup(self, sql: str, ids: Iterable[str]) -> list[Any]:
        wanted = list(dict.fromkeys(ids))
        rows: list[Any] = []
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            rows.extend(self._query(sql.format(marks=",".join("?" * len(batch))), batch))
        return rows


def encode_document(document: Document) -> str:
    return json.dumps(
        {
            "id": document.id,
            "kind": document.kind,
            "title": document.title,
            "body": document.body,
            "summary": document.summary,
            "language": document.language,
            "category": document.category,
            "tags": list(document.tags),
            "audience": document.audience,
            "status": document.status,
            "metadata": dict(document.metadata),
        },
        default=str,
    )


def decode_document(data: str) -> Document:
    fields = json.loads(data)
    fields["tags"] = tuple(fields["tags"])
    return Document(**fields)


def _chunk(row: Any) -> Chunk:
    return Chunk(
        id=row[0],
        document_id=row[1],
        position=row[2],
        heading_path=tuple(json.loads(row[3])),
        anchor=row[4],
        text=row[5],
    )
