"""The KeywordIndex on PostgreSQL's own full text search: a tsvector per chunk, ts_rank.

The alternative to pg_keyword's BM25 in SQL that the PostgreSQL backend was measured against
(README, "Index on PostgreSQL"). Each chunk's text goes through a text search configuration
of its document's language: kb_english, kb_spanish and so on, copies of PostgreSQL's own
with `unaccent` before the Snowball stemmer, so "configuracion" finds "configuración"; a
language PostgreSQL has no stemmer for, and tags, go through kb_simple (unaccent only). The
title is weighted A, tags B and the body D, in the ratio of kb's TITLE_WEIGHT and
TAGS_WEIGHT, and ts_rank scores a match by how often and where the query's lexemes occur.

A query is analysed in every configured language, as kb's Analysis does, and each chunk is
matched only with the query of its own language (plus the unstemmed one, for tags), so a
Spanish stem does not match an English chunk. Its words are alternatives (OR), not all
required. PostgreSQL's parser is not kb's: "e-mail" is "e-mail", "e" and "mail" but not
"email", "802.1x" is "802.1" and "x", and no contraction remnants are dropped; and ts_rank
has no inverse document frequency, so a common word weighs as much as a rare one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy
from sqlalchemy import text

from kb.backends import Ranking
from kb.config import Settings
from kb.errors import ConfigError
from kb.indexer.analysis import OTHER, TAGS_WEIGHT, TITLE_WEIGHT, Analysis, chunk_fields
from kb.indexer.pg_database import RankingQuery, Session
from kb.model import Chunk, Document

# kb's language codes and the PostgreSQL configurations with a Snowball stemmer for them.
POSTGRES_LANGUAGES = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
SIMPLE = "kb_simple"
# The token types that can carry accents; the ASCII ones gain nothing from unaccent.
ACCENTED_TOKENS = "hword, hword_part, word"
# ts_rank's weights, in its order {D, C, B, A}: body, (unused), tags, title.
RANK_WEIGHTS = f"{{{1 / TITLE_WEIGHT}, {1 / TITLE_WEIGHT}, {TAGS_WEIGHT / TITLE_WEIGHT}, 1}}"
# ts_rank normalisation 1: the rank divided by 1 + the logarithm of the chunk's length.
RANK_NORMALISATION = 1
# Chunks written per INSERT.
BATCH = 500


def configuration_name(language: str) -> str:
    """The text search configuration kb makes for a kb language code, or kb_simple."""
    return f"kb_{POSTGRES_LANGUAGES[language]}" if language in POSTGRES_LANGUAGES else SIMPLE


def or_query(configuration: str) -> str:
    """SQL for the query text (:keyword_text) as a tsquery whose lexemes are alternatives."""
    made = f"plainto_tsquery(CAST('{configuration}' AS regconfig), :keyword_text)::text"
    return f"CAST(replace(replace({made}, '<->', '|'), '&', '|') AS tsquery)"


@dataclass
class _Pending:
    chunk_id: str
    document_id: str
    language: str
    title: str
    tags: str
    body: str


class PostgresFullTextIndex:
    """ts_rank over one generation's tsvectors; adds are buffered and written in batches."""

    def __init__(self, session: Session, settings: Settings) -> None:
        unsupported = [code for code in settings.languages if code not in POSTGRES_LANGUAGES]
        if unsupported:
            raise ConfigError(
                f"keyword_backend `postgresql-fulltext` has no PostgreSQL stemmer for "
                f"{', '.join(unsupported)}; use `postgresql-bm25`, or languages among "
                f"{', '.join(sorted(POSTGRES_LANGUAGES))}"
            )
        self._session = session
        self._table = session.tables.fulltext
        self._analysis = Analysis(settings.languages)
        self._languages = (*settings.languages, OTHER)
        self._pending: list[_Pending] = []

    @staticmethod
    def create_tables(connection: sqlalchemy.Connection, session: Session) -> None:
        """The generation's table, and the text search configurations if the schema lacks them."""
        _create_configurations(connection)
        table = session.tables.fulltext
        connection.execute(
            text(
                f"CREATE TABLE {table} (chunk_id text PRIMARY KEY, document_id text NOT NULL, "
                "language text NOT NULL, lexemes tsvector NOT NULL)"
            )
        )
        connection.execute(text(f"CREATE INDEX ON {table} (document_id)"))
        connection.execute(text(f"CREATE INDEX ON {table} USING gin (lexemes)"))

    def add(self, document: Document, chunks: Sequence[Chunk]) -> None:
        self._session.writing()
        language = self._analysis.language_of(document)
        for chunk in chunks:
            fields = chunk_fields(document, chunk)
            self._pending.append(
                _Pending(chunk.id, document.id, language, fields.title, fields.tags, fields.body)
            )
        if len(self._pending) >= BATCH:
            self._flush()

    def remove(self, document_ids: Sequence[str]) -> None:
        if not document_ids:
            return
        self._flush()
        self._session.writing().execute(
            text(f"DELETE FROM {self._table} WHERE document_id = ANY(:ids)"),
            {"ids": list(document_ids)},
        )

    def commit(self) -> None:
        """Write the buffered chunks; the store's publish makes them visible to others."""
        self._flush()

    def search(self, text_query: str, limit: int) -> Ranking:
        query = self.ranking_query(text_query, limit)
        if query is None:
            return []
        with self._session.connection() as connection:
            rows = connection.execute(text(query.sql), query.parameters).all()
        return [(row[0], float(row[1])) for row in rows]

    def ranking_query(self, text_query: str, limit: int) -> RankingQuery | None:
        """The ts_rank ranking of `text_query` as one SELECT, or None for an empty query."""
        if limit < 1 or not text_query.strip():
            return None
        self._flush()
        # One tsquery per language; each chunk is matched with its language's and the
        # unstemmed one (its tags).
        queries = " UNION ALL ".join(
            f"SELECT '{language}' AS language, "
            f"{or_query(configuration_name(language))} || {or_query(SIMPLE)} AS query"
            for language in self._languages
        )
        sql = (
            f"WITH q AS ({queries}), "
            f"r AS (SELECT f.chunk_id, ts_rank('{RANK_WEIGHTS}', f.lexemes, q.query, "
            f"{RANK_NORMALISATION}) AS score "
            f"FROM q JOIN {self._table} f ON f.language = q.language "
            "WHERE numnode(q.query) > 0 AND f.lexemes @@ q.query) "
            "SELECT chunk_id, score, row_number() OVER (ORDER BY score DESC, chunk_id) "
            "AS position FROM (SELECT chunk_id, score FROM r WHERE score > 0 "
            "ORDER BY score DESC, chunk_id LIMIT :keyword_limit) best "
            "ORDER BY score DESC, chunk_id"
        )
        return RankingQuery(sql, {"keyword_text": text_query, "keyword_limit": limit})

    def terms(self, text_query: str) -> set[str]:
        return self._analysis.terms(text_query)

    def count(self) -> int:
        self._flush()
        with self._session.connection() as connection:
            found = connection.execute(text(f"SELECT count(*) FROM {self._table}")).scalar()
        return int(found or 0)

    def close(self) -> None:
        self._pending.clear()

    def _flush(self) -> None:
        """Write the buffered chunks, replacing what their documents had before."""
        if not self._pending or not self._session.writable:
            return
        pending, self._pending = self._pending, []
        connection = self._session.writing()
        connection.execute(
            text(f"DELETE FROM {self._table} WHERE document_id = ANY(:ids)"),
            {"ids": sorted({item.document_id for item in pending})},
        )
        connection.execute(
            text(
                f"INSERT INTO {self._table} (chunk_id, document_id, language, lexemes) "
                "SELECT u.chunk_id, u.document_id, u.language, "
                "setweight(to_tsvector(u.configuration, u.title), 'A') || "
                f"setweight(to_tsvector(CAST('{SIMPLE}' AS regconfig), u.tags), 'B') || "
                "setweight(to_tsvector(u.configuration, u.body), 'D') "
                "FROM unnest(CAST(:chunk_ids AS text[]), CAST(:document_ids AS text[]), "
                "CAST(:languages AS text[]), CAST(:configurations AS regconfig[]), "
                "CAST(:titles AS text[]), CAST(:tags AS text[]), CAST(:bodies AS text[])) "
                "AS u(chunk_id, document_id, language, configuration, title, tags, body)"
            ),
            {
                "chunk_ids": [item.chunk_id for item in pending],
                "document_ids": [item.document_id for item in pending],
                "languages": [item.language for item in pending],
                "configurations": [configuration_name(item.language) for item in pending],
                "titles": [item.title for item in pending],
                "tags": [item.tags for item in pending],
                "bodies": [item.body for item in pending],
            },
        )


def _create_configurations(connection: sqlalchemy.Connection) -> None:
    """kb_simple and kb_<language> in the current schema, each with unaccent, once."""
    present = {
        row[0]
        for row in connection.execute(
            text(
                "SELECT cfgname FROM pg_ts_config "
                "WHERE cfgnamespace = CAST(current_schema() AS regnamespace)"
            )
        )
    }
    wanted = {SIMPLE: "simple", **{f"kb_{name}": name for name in POSTGRES_LANGUAGES.values()}}
    missing = {name: base for name, base in wanted.items() if name not in present}
    if not missing:
        return
    _create_unaccent(connection)
    for name, base in sorted(missing.items()):
        dictionary = "simple" if base == "simple" else f"{base}_stem"
        connection.execute(text(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {base})"))
        connection.execute(
            text(
                f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR "
                f"{ACCENTED_TOKENS} WITH unaccent, {dictionary}"
            )
        )


def _create_unaccent(connection: sqlalchemy.Connection) -> None:
    if connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")).scalar():
        return
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except sqlalchemy.exc.DBAPIError as error:
        raise ConfigError(
            "keyword_backend `postgresql-fulltext` needs PostgreSQL's unaccent extension, "
            f"which kb could not create ({str(error.orig).strip()}); have a superuser run "
            "`CREATE EXTENSION unaccent` in the KB's database, or use `postgresql-bm25`"
        ) from None
