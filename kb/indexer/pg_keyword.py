"""The KeywordIndex on PostgreSQL: BM25 computed in SQL over a postings table.

Text is analysed by kb's own Analysis (the one the embedded BM25 index uses), so both
backends index and query the same terms ("en:vpn", "tag:wd19"); PostgreSQL stores one
posting per term and chunk with the term's count in each field and the field lengths, and a
query scores BM25F exactly as kb/indexer/bm25.py does: each field's count is normalised by
that field's average length and weighted (TITLE_WEIGHT, TAGS_WEIGHT), the fields are added
and the sum saturates once; a term has one IDF from the chunks holding it in any field.
Document frequencies and length totals are kept up to date by every add and remove, in the
writer's transaction. BM25 in SQL was chosen over PostgreSQL's own ts_rank, which has no
IDF and so cannot rank like the embedded backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy
from sqlalchemy import text

from kb.backends import Ranking
from kb.config import Settings
from kb.indexer.analysis import TAGS_WEIGHT, TITLE_WEIGHT, Analysis, chunk_fields
from kb.indexer.bm25_weights import K1, B
from kb.indexer.pg_database import RankingQuery, Session
from kb.model import Chunk, Document

PART = "keyword"
# A field holds at most this many of one term, and is at most this long (smallint columns).
SMALL = 32767


def create_keyword_tables(connection: sqlalchemy.Connection, session: Session) -> None:
    tables = session.tables
    connection.execute(
        text(
            f"CREATE TABLE {tables.keyword_chunks} (number integer GENERATED ALWAYS AS "
            "IDENTITY PRIMARY KEY, chunk_id text NOT NULL UNIQUE, document_id text NOT NULL)"
        )
    )
    connection.execute(text(f"CREATE INDEX ON {tables.keyword_chunks} (document_id)"))
    connection.execute(
        text(
            f"CREATE TABLE {tables.postings} (term text NOT NULL, chunk integer NOT NULL, "
            "body smallint NOT NULL, title smallint NOT NULL, tags smallint NOT NULL, "
            "body_length smallint NOT NULL, title_length smallint NOT NULL, "
            "tags_length smallint NOT NULL, PRIMARY KEY (term, chunk))"
        )
    )
    connection.execute(text(f"CREATE INDEX ON {tables.postings} (chunk)"))
    connection.execute(
        text(f"CREATE TABLE {tables.terms} (term text PRIMARY KEY, chunks integer NOT NULL)")
    )


@dataclass
class _Pending:
    chunk_id: str
    document_id: str
    fields: tuple[Counter[str], Counter[str], Counter[str]]


class PostgresKeywordIndex:
    """BM25 over one generation's postings; adds are buffered and written in bulk."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self._session = session
        self._tables = session.tables
        self._analysis = Analysis(settings.languages)
        self._pending: list[_Pending] = []

    @staticmethod
    def create_tables(connection: sqlalchemy.Connection, session: Session) -> None:
        """The generation's postings, chunk numbers and term counts."""
        create_keyword_tables(connection, session)

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None:
        self._session.writing()
        if not chunks:
            return
        analysis = self._analysis
        language = analysis.language_of(document)
        texts = [chunk_fields(document, chunk) for chunk in chunks]
        title = Counter(f"{language}:{term}" for term in analysis.words(language, texts[0].title))
        tags = Counter(f"tag:{term}" for term in analysis.tag_words(texts[0].tags))
        for chunk, fields in zip(chunks, texts, strict=True):
            body = Counter(f"{language}:{term}" for term in analysis.words(language, fields.body))
            self._pending.append(_Pending(chunk.id, document.id, (body, title, tags)))

    def remove(self, document_ids: Sequence[str]) -> None:
        if not document_ids:
            return
        self._flush()
        tables = self._tables
        connection = self._session.writing()
        chunks = connection.execute(
            text(
                f"DELETE FROM {tables.keyword_chunks} WHERE document_id = ANY(:ids) "
                "RETURNING number"
            ),
            {"ids": list(document_ids)},
        ).all()
        numbers = [row[0] for row in chunks]
        if not numbers:
            return
        lengths = connection.execute(
            text(
                f"WITH gone AS (DELETE FROM {tables.postings} WHERE chunk = ANY(:numbers) "
                "RETURNING term, chunk, body_length, title_length, tags_length), "
                f"counted AS (UPDATE {tables.terms} t SET chunks = t.chunks - g.n "
                "FROM (SELECT term, count(*) AS n FROM gone GROUP BY term) g "
                "WHERE t.term = g.term) "
                "SELECT coalesce(sum(body_length), 0), coalesce(sum(title_length), 0), "
                "coalesce(sum(tags_length), 0) FROM "
                "(SELECT DISTINCT ON (chunk) chunk, body_length, title_length, tags_length "
                "FROM gone) per_chunk"
            ),
            {"numbers": numbers},
        ).one()
        self._session.add_to_total(
            PART, -len(numbers), -int(lengths[0]), -int(lengths[1]), -int(lengths[2])
        )

    def commit(self) -> None:
        """Write the buffered postings; the store's publish makes them visible to others."""
        self._flush()

    def search(self, text_query: str, limit: int) -> Ranking:
        query = self.ranking_query(text_query, limit)
        if query is None:
            return []
        with self._session.connection() as connection:
            rows = connection.execute(text(query.sql), query.parameters).all()
        return [(row[0], float(row[1])) for row in rows]

    def ranking_query(self, text_query: str, limit: int) -> RankingQuery | None:
        """The BM25F ranking of `text_query` as one SELECT, or None when it has no terms.

        Each query term's postings are read through the (term, chunk) key, one index scan
        per term (OFFSET 0 keeps the planner from turning them into one scan of every
        posting), and all arithmetic is in float8: numeric arithmetic cost more than the
        scan. Chunk ids are looked up only for the best `limit` scores.
        """
        terms = sorted(self._query_terms(text_query))
        if not terms or limit < 1:
            return None
        self._flush()
        tables = self._tables

        def field(name: str, weight: float) -> str:
            return (
                f"{weight!r}::float8 * p.{name} / "
                f"({1 - B!r}::float8 + {B!r}::float8 * p.{name}_length / t.{name}_average)"
            )

        def average(name: str) -> str:
            return f"greatest({name}::float8 / greatest(count, 1), 1e-9) AS {name}_average"

        blended = " + ".join(
            (field("body", 1.0), field("title", TITLE_WEIGHT), field("tags", TAGS_WEIGHT))
        )
        sql = (
            f"WITH t AS (SELECT count::float8 AS n, {average('body')}, {average('title')}, "
            f"{average('tags')} FROM {tables.totals} WHERE part = '{PART}'), "
            "q AS MATERIALIZED (SELECT w.term, "
            "ln(1 + (t.n - w.chunks::float8 + 0.5) / (w.chunks::float8 + 0.5)) AS idf "
            f"FROM {tables.terms} w, t WHERE w.term = ANY(:keyword_terms) AND w.chunks > 0), "
            f"s AS MATERIALIZED (SELECT f.chunk, sum(q.idf * f.blended * {K1 + 1!r}::float8 "
            f"/ (f.blended + {K1!r}::float8)) AS score FROM q CROSS JOIN t CROSS JOIN LATERAL "
            f"(SELECT p.chunk, {blended} AS blended FROM {tables.postings} p "
            "WHERE p.term = q.term OFFSET 0) f GROUP BY f.chunk), "
            "least AS (SELECT min(score) AS score FROM "
            "(SELECT score FROM s ORDER BY score DESC LIMIT :keyword_limit) best) "
            "SELECT c.chunk_id, s.score, "
            "row_number() OVER (ORDER BY s.score DESC, c.chunk_id) AS position "
            f"FROM s JOIN least ON s.score >= least.score JOIN {tables.keyword_chunks} c "
            "ON c.number = s.chunk WHERE s.score > 0 "
            "ORDER BY s.score DESC, c.chunk_id LIMIT :keyword_limit"
        )
        return RankingQuery(sql, {"keyword_terms": terms, "keyword_limit": limit})

    def terms(self, text_query: str) -> set[str]:
        return self._analysis.terms(text_query)

    def count(self) -> int:
        self._flush()
        return self._session.total(PART)[0]

    def close(self) -> None:
        self._pending.clear()

    def _query_terms(self, text_query: str) -> set[str]:
        found = {
            f"{language}:{term}"
            for language, words in self._analysis.query_words(text_query).items()
            for term in words
        }
        found.update(f"tag:{term}" for term in self._analysis.tag_words(text_query))
        return found

    def _flush(self) -> None:
        """Write the buffered chunks: their numbers, postings, term counts and totals."""
        if not self._pending or not self._session.writable:
            return
        pending, self._pending = self._pending, []
        tables = self._tables
        connection = self._session.writing()
        # A chunk indexed again replaces its old postings.
        self.remove(sorted({item.document_id for item in pending} & self._indexed(pending)))
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(
                f"COPY {tables.keyword_chunks} (chunk_id, document_id) FROM STDIN"
            ) as copy:
                for item in pending:
                    copy.write_row((item.chunk_id, item.document_id))
        numbers: dict[str, int] = dict(
            connection.execute(
                text(
                    f"SELECT chunk_id, number FROM {tables.keyword_chunks} "
                    "WHERE chunk_id = ANY(:ids)"
                ),
                {"ids": [item.chunk_id for item in pending]},
            ).all()
        )
        holders: Counter[str] = Counter()
        totals = [0, 0, 0]
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(
                f"COPY {tables.postings} (term, chunk, body, title, tags, body_length, "
                "title_length, tags_length) FROM STDIN"
            ) as copy:
                for item in pending:
                    body, title, tags = item.fields
                    lengths = [min(SMALL, sum(counter.values())) for counter in item.fields]
                    for position, length in enumerate(lengths):
                        totals[position] += length
                    number = numbers[item.chunk_id]
                    for term in body.keys() | title.keys() | tags.keys():
                        holders[term] += 1
                        copy.write_row(
                            (
                                term,
                                number,
                                min(SMALL, body[term]),
                                min(SMALL, title[term]),
                                min(SMALL, tags[term]),
                                *lengths,
                            )
                        )
        connection.execute(
            text(
                f"INSERT INTO {tables.terms} AS w (term, chunks) "
                "SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:counts AS integer[])) "
                "ON CONFLICT (term) DO UPDATE SET chunks = w.chunks + excluded.chunks"
            ),
            {"terms": list(holders), "counts": list(holders.values())},
        )
        self._session.add_to_total(PART, len(pending), *totals)

    def _indexed(self, pending: list[_Pending]) -> set[str]:
        """Documents among `pending` that already have chunks in the index."""
        rows = self._session.writing().execute(
            text(
                f"SELECT DISTINCT document_id FROM {self._tables.keyword_chunks} "
                "WHERE chunk_id = ANY(:ids)"
            ),
            {"ids": [item.chunk_id for item in pending]},
        )
        return {row[0] for row in rows}
