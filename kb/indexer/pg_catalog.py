"""The Catalog on PostgreSQL: one generation's documents and chunks in two tables."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sqlalchemy
from sqlalchemy import text

from kb.backends import Manifest, Vectors
from kb.indexer.catalog import decode_document, encode_document
from kb.indexer.pg_database import Session
from kb.model import Chunk, Document


def create_catalog_tables(connection: sqlalchemy.Connection, session: Session) -> None:
    documents, chunks = session.tables.documents, session.tables.chunks
    connection.execute(
        text(
            f"CREATE TABLE {documents} (id text PRIMARY KEY, kind text NOT NULL, "
            "content_hash text NOT NULL, path text, data jsonb NOT NULL, title_vector bytea)"
        )
    )
    # `number` is the chunk's small key in the postings; ids are kb's readable ones.
    connection.execute(
        text(
            f"CREATE TABLE {chunks} (number integer GENERATED ALWAYS AS IDENTITY UNIQUE, "
            "id text PRIMARY KEY, document_id text NOT NULL, position integer NOT NULL, "
            "heading_path jsonb NOT NULL, anchor text NOT NULL, text text NOT NULL)"
        )
    )
    connection.execute(text(f"CREATE INDEX ON {chunks} (document_id)"))


class PostgresCatalog:
    """Documents and chunks of one generation, read and written through a Session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._documents = session.tables.documents
        self._chunks = session.tables.chunks

    def manifest(self, ids: Iterable[str] | None = None) -> Manifest:
        sql = f"SELECT id, kind, content_hash, path FROM {self._documents}"
        if ids is None:
            rows = self._all(sql)
        else:
            rows = self._all(f"{sql} WHERE id = ANY(:ids)", {"ids": list(dict.fromkeys(ids))})
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def put(self, document: Document, chunks: Sequence[Chunk]) -> None:
        connection = self._session.writing()
        connection.execute(
            text(f"DELETE FROM {self._chunks} WHERE document_id = :id"), {"id": document.id}
        )
        connection.execute(
            text(
                f"INSERT INTO {self._documents} (id, kind, content_hash, path, data) "
                "VALUES (:id, :kind, :hash, :path, CAST(:data AS jsonb)) "
                "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
                "content_hash = excluded.content_hash, path = excluded.path, "
                "data = excluded.data, title_vector = NULL"
            ),
            {
                "id": document.id,
                "kind": document.kind,
                "hash": document.content_hash(),
                "path": document.metadata.get("path"),
                "data": encode_document(document),
            },
        )
        if chunks:
            connection.execute(
                text(
                    f"INSERT INTO {self._chunks} "
                    "(id, document_id, position, heading_path, anchor, text) VALUES "
                    "(:id, :document_id, :position, CAST(:heading_path AS jsonb), :anchor, :text)"
                ),
                [
                    {
                        "id": chunk.id,
                        "document_id": chunk.document_id,
                        "position": chunk.position,
                        "heading_path": json.dumps(chunk.heading_path),
                        "anchor": chunk.anchor,
                        "text": chunk.text,
                    }
                    for chunk in chunks
                ],
            )

    def put_title_vectors(self, document_ids: Sequence[str], vectors: Vectors) -> None:
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(document_ids):
            return
        self._session.writing().execute(
            text(f"UPDATE {self._documents} SET title_vector = :vector WHERE id = :id"),
            [
                {"vector": row.tobytes(), "id": document_id}
                for document_id, row in zip(document_ids, rows, strict=True)
            ],
        )

    def title_vectors(self, ids: Iterable[str]) -> dict[str, Vectors]:
        rows = self._all(
            f"SELECT id, title_vector FROM {self._documents} "
            "WHERE id = ANY(:ids) AND title_vector IS NOT NULL",
            {"ids": list(dict.fromkeys(ids))},
        )
        return {row[0]: np.frombuffer(row[1], dtype=np.float32) for row in rows}

    def remove(self, document_ids: Iterable[str]) -> list[str]:
        ids = list(dict.fromkeys(document_ids))
        if not ids:
            return []
        connection = self._session.writing()
        removed = connection.execute(
            text(f"DELETE FROM {self._chunks} WHERE document_id = ANY(:ids) RETURNING id"),
            {"ids": ids},
        )
        chunk_ids = [row[0] for row in removed]
        connection.execute(
            text(f"DELETE FROM {self._documents} WHERE id = ANY(:ids)"), {"ids": ids}
        )
        return chunk_ids

    def commit(self) -> None:
        """Nothing to do: the store commits the whole generation's transaction on publish."""

    def documents(self, ids: Iterable[str]) -> dict[str, Document]:
        rows = self._all(
            f"SELECT id, data::text FROM {self._documents} WHERE id = ANY(:ids)",
            {"ids": list(dict.fromkeys(ids))},
        )
        return {row[0]: decode_document(row[1]) for row in rows}

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        rows = self._all(
            f"SELECT id, document_id, position, heading_path, anchor, text FROM {self._chunks} "
            "WHERE id = ANY(:ids)",
            {"ids": list(dict.fromkeys(ids))},
        )
        return {row[0]: _chunk(row) for row in rows}

    def owners(self, chunk_ids: Iterable[str]) -> dict[str, str]:
        rows = self._all(
            f"SELECT id, document_id FROM {self._chunks} WHERE id = ANY(:ids)",
            {"ids": list(dict.fromkeys(chunk_ids))},
        )
        return {row[0]: row[1] for row in rows}

    def chunks_of(self, document_ids: Iterable[str]) -> dict[str, list[Chunk]]:
        found: dict[str, list[Chunk]] = {document_id: [] for document_id in document_ids}
        rows = self._all(
            f"SELECT id, document_id, position, heading_path, anchor, text FROM {self._chunks} "
            "WHERE document_id = ANY(:ids) ORDER BY document_id, position",
            {"ids": list(found)},
        )
        for row in rows:
            found[row[1]].append(_chunk(row))
        return found

    def linking_to(self, document_id: str) -> list[str]:
        rows = self._all(
            f"SELECT id FROM {self._documents} WHERE kind = 'article' "
            "AND data #> '{metadata,related}' @> jsonb_build_array(CAST(:id AS text)) "
            "ORDER BY id",
            {"id": document_id},
        )
        return [row[0] for row in rows]

    def in_category(self, category: str, kind: str = "article") -> list[str]:
        rows = self._all(
            f"SELECT id FROM {self._documents} WHERE kind = :kind "
            "AND data ->> 'category' = :category ORDER BY id",
            {"kind": kind, "category": category},
        )
        return [row[0] for row in rows]

    def recently_updated(self, limit: int, language: str | None = None) -> list[str]:
        # IS DISTINCT FROM sorts the wanted language first (false) and, given NULL, ties all.
        rows = self._all(
            f"SELECT id FROM {self._documents} WHERE kind = 'article' "
            "AND data ->> 'audience' = 'public' AND data ->> 'status' = 'published' "
            "ORDER BY data ->> 'language' IS DISTINCT FROM CAST(:language AS text), "
            "data #>> '{metadata,updated}' DESC NULLS LAST, id LIMIT :limit",
            {"language": language, "limit": limit},
        )
        return [row[0] for row in rows]

    def counts(self) -> tuple[int, int]:
        row = self._all(
            f"SELECT (SELECT count(*) FROM {self._documents}), "
            f"(SELECT count(*) FROM {self._chunks})"
        )[0]
        return int(row[0]), int(row[1])

    def close(self) -> None:
        """Connections belong to the session's pool or to the store's open transaction."""

    def _all(self, sql: str, parameters: dict[str, Any] | None = None) -> list[Any]:
        with self._session.connection() as connection:
            return list(connection.execute(text(sql), parameters or {}))


def _chunk(row: Any) -> Chunk:
    return Chunk(
        id=row[0],
        document_id=row[1],
        position=row[2],
        heading_path=tuple(row[3]),
        anchor=row[4],
        text=row[5],
    )
