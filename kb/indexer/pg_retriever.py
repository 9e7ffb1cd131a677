"""The Retriever on PostgreSQL: a search's candidates in one statement, one round trip.

The keyword ranking and the nearest vectors run as two materialised parts of one query,
which also looks up the documents their chunks belong to, those documents' title vectors
and the vector count; asked of the parts in turn they took five statements and as many
pooled connections.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from sqlalchemy import text

from kb.backends import Candidates, Ranking, Vectors
from kb.indexer.pg_database import RankingQuery, Session
from kb.indexer.pg_vectors import PART as VECTOR_PART

# An empty ranking of the same columns, for a query the keyword index finds no terms in.
NO_RANKING = (
    "SELECT NULL::text AS chunk_id, NULL::float8 AS score, NULL::bigint AS position WHERE false"
)


@runtime_checkable
class KeywordRanker(Protocol):
    """A PostgreSQL keyword index whose search can be part of a larger statement."""

    def ranking_query(self, text_query: str, limit: int) -> RankingQuery | None: ...


@runtime_checkable
class VectorRanker(Protocol):
    """A PostgreSQL vector index whose search can be part of a larger statement."""

    def ranking_query(self, vector: Vectors, limit: int) -> RankingQuery: ...


class PostgresRetriever:
    """Both rankings of one generation and what they point at, in one statement."""

    def __init__(self, session: Session, keyword: KeywordRanker, vectors: VectorRanker) -> None:
        self._session = session
        self._keyword = keyword
        self._vectors = vectors

    def candidates(self, text_query: str, vector: Vectors, limit: int) -> Candidates:
        tables = self._session.tables
        keyword = self._keyword.ranking_query(text_query, limit)
        semantic = self._vectors.ranking_query(vector, limit)
        parameters = {**semantic.parameters, **(keyword.parameters if keyword else {})}
        sql = (
            f"WITH keyword AS MATERIALIZED ({keyword.sql if keyword else NO_RANKING}), "
            f"semantic AS MATERIALIZED ({semantic.sql}), "
            f"owned AS MATERIALIZED (SELECT id, document_id FROM {tables.chunks} WHERE id IN "
            "(SELECT chunk_id FROM keyword UNION SELECT chunk_id FROM semantic)), "
            f"total AS (SELECT count FROM {tables.totals} WHERE part = '{VECTOR_PART}') "
            "SELECT 'keyword', k.chunk_id, k.score, k.position, o.document_id, NULL::bytea "
            "FROM keyword k LEFT JOIN owned o ON o.id = k.chunk_id "
            "UNION ALL SELECT 'semantic', s.chunk_id, s.score, s.position, o.document_id, NULL "
            "FROM semantic s LEFT JOIN owned o ON o.id = s.chunk_id "
            "UNION ALL SELECT 'title', d.id, NULL, NULL, NULL, d.title_vector "
            f"FROM {tables.documents} d WHERE d.title_vector IS NOT NULL "
            "AND d.id IN (SELECT document_id FROM owned) "
            "UNION ALL SELECT 'total', NULL, NULL, count, NULL, NULL FROM total"
        )
        with self._session.connection() as connection:
            rows = connection.execute(text(sql), parameters).all()
        rankings: dict[str, list[tuple[int, str, float]]] = {"keyword": [], "semantic": []}
        owners: dict[str, str] = {}
        titles: dict[str, Vectors] = {}
        total = 0
        for part, identifier, score, position, document_id, title in rows:
            if part == "title":
                titles[identifier] = np.frombuffer(title, dtype=np.float32)
            elif part == "total":
                total = int(position)
            else:
                rankings[part].append((int(position), identifier, float(score)))
                if document_id is not None:
                    owners[identifier] = document_id
        return Candidates(
            _in_order(rankings["keyword"]), _in_order(rankings["semantic"]), owners, titles, total
        )


def _in_order(rows: list[tuple[int, str, float]]) -> Ranking:
    return [(identifier, score) for _, identifier, score in sorted(rows)]
