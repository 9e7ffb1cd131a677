"""The VectorIndex on PostgreSQL with pgvector: an HNSW graph over cosine distance.

Vectors are normalised, so 1 - cosine distance is the cosine kb's fusion expects. pgvector's
HNSW index is updated in place by inserts and deletes, inside the writer's transaction.
`hnsw.iterative_scan` lets a search return as many rows as asked even past `ef_search`,
which the Searcher relies on when filters make it ask for more candidates; both are set
once per connection (kb/indexer/pg_database.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy
from sqlalchemy import text

from kb.backends import Ranking, Vectors
from kb.config import Settings
from kb.indexer.pg_database import RankingQuery, Session

PART = "vectors"
# pgvector's defaults are m=16, ef_construction=64; kb's FAISS graph uses 32 and 80.
HNSW_NEIGHBOURS = 16
HNSW_BUILD_DEPTH = 64


def create_vector_table(
    connection: sqlalchemy.Connection, session: Session, dimension: int
) -> None:
    connection.execute(
        text(
            f"CREATE TABLE {session.tables.vectors} (chunk_id text PRIMARY KEY, "
            f"embedding vector({int(dimension)}) NOT NULL)"
        )
    )


def vector_literal(vector: Vectors) -> str:
    """pgvector's text form of one vector: [x,y,...]."""
    return "[" + ",".join(repr(float(value)) for value in np.asarray(vector).ravel()) + "]"


def parse_vector(literal: str) -> Vectors:
    return np.asarray([float(value) for value in literal.strip("[]").split(",")], np.float32)


class PgvectorIndex:
    """Chunk vectors of one generation in a pgvector table with an HNSW index."""

    def __init__(self, session: Session, settings: Settings, dimension: int) -> None:
        self._session = session
        self._table = session.tables.vectors
        self._dimension = dimension

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids but {len(vectors)} vectors")
        if len(ids) == 0:
            return
        rows = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        if rows.shape[1] != self._dimension:
            raise ValueError(f"vectors have {rows.shape[1]} dimensions, not {self._dimension}")
        self.remove(ids)
        connection = self._session.writing()
        # COPY is many times faster than INSERT for the thousands of rows of a rebuild.
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {self._table} (chunk_id, embedding) FROM STDIN") as copy:
                for chunk_id, row in zip(ids, rows, strict=True):
                    copy.write_row((chunk_id, vector_literal(row)))
        self._session.add_to_total(PART, len(ids))

    def remove(self, ids: Sequence[str]) -> None:
        if not len(ids):
            return
        deleted = self._session.writing().execute(
            text(f"DELETE FROM {self._table} WHERE chunk_id = ANY(:ids)"), {"ids": list(ids)}
        )
        if deleted.rowcount:
            self._session.add_to_total(PART, -deleted.rowcount)

    def commit(self) -> None:
        """Build the HNSW graph once, after a new generation's first rows are in."""
        connection = self._session.writing()
        index = f"{self._table}_hnsw"
        exists = connection.execute(text("SELECT to_regclass(:name)"), {"name": index}).scalar()
        if exists is None:
            connection.execute(
                text(
                    f"CREATE INDEX {index} ON {self._table} USING hnsw "
                    f"(embedding vector_cosine_ops) WITH (m = {HNSW_NEIGHBOURS}, "
                    f"ef_construction = {HNSW_BUILD_DEPTH})"
                )
            )

    def search(self, vector: Vectors, limit: int) -> Ranking:
        if limit < 1:
            return []
        query = self.ranking_query(vector, limit)
        with self._session.connection() as connection:
            rows = connection.execute(text(query.sql), query.parameters).all()
        return [(row[0], float(row[1])) for row in rows]

    def ranking_query(self, vector: Vectors, limit: int) -> RankingQuery:
        """The `limit` nearest chunks as one SELECT, on the connection's HNSW settings."""
        # Relaxed order may return neighbours slightly out of order: sorted again here.
        sql = (
            "WITH nearest AS MATERIALIZED ("
            "SELECT chunk_id, embedding <=> CAST(:semantic_vector AS vector) AS distance "
            f"FROM {self._table} ORDER BY distance LIMIT :semantic_limit) "
            "SELECT chunk_id, 1 - distance AS score, "
            "row_number() OVER (ORDER BY distance, chunk_id) AS position "
            "FROM nearest ORDER BY distance, chunk_id"
        )
        return RankingQuery(
            sql, {"semantic_vector": vector_literal(vector), "semantic_limit": max(limit, 0)}
        )

    def vectors_of(self, ids: Sequence[str]) -> Vectors:
        wanted = list(ids)
        with self._session.connection() as connection:
            rows = connection.execute(
                text(
                    f"SELECT chunk_id, CAST(embedding AS real[]) FROM {self._table} "
                    "WHERE chunk_id = ANY(:ids)"
                ),
                {"ids": wanted},
            ).all()
        found = {row[0]: row[1] for row in rows}
        missing = [chunk_id for chunk_id in wanted if chunk_id not in found]
        if missing:
            raise KeyError(f"the vector index holds no chunk {missing[0]!r}")
        stored = np.array([found[chunk_id] for chunk_id in wanted], dtype=np.float32)
        return stored.reshape(len(wanted), self._dimension)

    def count(self) -> int:
        return self._session.total(PART)[0]

    def close(self) -> None:
        """Connections belong to the session's pool or to the store's open transaction."""
