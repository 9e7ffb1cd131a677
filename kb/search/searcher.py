"""The Searcher: query → keyword and vector candidates → fusion → documents → hits.

It reads the current index generation of the KB's GenerationStore and switches to a newer
one as soon as `kb index` publishes it, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from kb.backends import (
    Embedder,
    Ranking,
    Vectors,
    canonical_fingerprint,
    keyword_backend_name,
    open_generation_store,
)
from kb.config import Settings
from kb.errors import IndexMismatchError, IndexNotFoundError, QueryError
from kb.indexer.analysis import language_stop_word_lists, stop_words
from kb.indexer.pipeline import INDEX_FORMAT
from kb.model import (
    SEARCH_MODES,
    Document,
    Evidence,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from kb.search.deflection import DeflectionModel, in_rank_order
from kb.search.generation import SearchGeneration
from kb.search.hybrid import (
    collapse,
    fuse_convex,
    fuse_rrf,
    fuse_weighted,
    ranks,
    with_titles,
)
from kb.search.language import fold_stop_words, prefer_language, query_language
from kb.search.snippets import QueryWords, snippet_of

MAX_QUERY_CHARACTERS = 1000
MAX_RESULTS = 100
CALIBRATION_FILE = "calibration.json"
DEFAULT_CALIBRATION = "default_calibration.json"
# The lowest score each ranker can give, from which convex fusion normalises: BM25 adds
# non-negative term weights, and the model puts unrelated texts near cosine 0, not at -1.
KEYWORD_MINIMUM = 0.0
SEMANTIC_MINIMUM = 0.0

log = logging.getLogger(__name__)


def validate_query(query: SearchQuery) -> str:
    """The query text to search, or QueryError saying what to change."""
    text = " ".join(query.text.split())
    if not text:
        raise QueryError(
            "the search query is empty; type a few words describing the problem", key="query_empty"
        )
    if len(text) > MAX_QUERY_CHARACTERS:
        raise QueryError(
            f"the search query is {len(text)} characters long; "
            f"keep it under {MAX_QUERY_CHARACTERS}",
            key="query_too_long",
            limit=MAX_QUERY_CHARACTERS,
        )
    if query.mode not in SEARCH_MODES:
        raise QueryError(
            f"search mode {query.mode!r} is unknown; use one of: {', '.join(SEARCH_MODES)}"
        )
    if not 1 <= query.k <= MAX_RESULTS:
        raise QueryError(f"k must be between 1 and {MAX_RESULTS}, not {query.k}")
    return text


def load_deflection_model(home: Path) -> DeflectionModel:
    """The model `kb calibrate` saved in the KB home, or the one kb ships with."""
    path = home / CALIBRATION_FILE
    if path.exists():
        try:
            return DeflectionModel.from_json(path.read_text("utf-8"))
        except (ValueError, KeyError) as error:
            # Search must go on after an upgrade: the shipped model answers until the
            # deflection model is fitted again.
            log.warning(
                "%s: %s; using kb's own deflection model until `kb calibrate` runs again",
                path,
                error,
            )
    text = resources.files("kb.search").joinpath(DEFAULT_CALIBRATION).read_text("utf-8")
    return DeflectionModel.from_json(text)


@dataclass
class _Candidates:
    vector: Vectors
    keyword: Ranking
    semantic: Ranking
    # The document of each candidate chunk the filters allow.
    owners: Mapping[str, str]
    # The title embedding of each of those documents that has one.
    titles: Mapping[str, Vectors]


class Searcher:
    """Answers SearchQuery objects from the current generation in the KB home."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        deflection: DeflectionModel | None = None,
    ) -> None:
        self._settings = settings
        # What tells a query's language, folded once.
        self._stop_words = fold_stop_words(language_stop_word_lists(settings.languages))
        self._embedder = embedder
        self._store = open_generation_store(settings)
        self._deflection = deflection
        self._generation: SearchGeneration | None = None
        self._retired: SearchGeneration | None = None
        self._marker: Hashable | None = None
        self._lock = threading.Lock()

    @property
    def deflection_model(self) -> DeflectionModel:
        if self._deflection is None:
            self._deflection = load_deflection_model(self._settings.home)
        return self._deflection

    def warm(self) -> None:
        """Load the model and open the current generation now, not on the first search."""
        self._embedder.embed_query("warm up")
        self._current()

    def generation(self) -> str:
        """The name of the generation searches are answered from."""
        return self._current().name

    def document(self, document_id: str) -> Document | None:
        return self._current().catalog.documents([document_id]).get(document_id)

    def linking_to(self, document_id: str) -> list[Document]:
        """The indexed articles that list this one as related."""
        catalog = self._current().catalog
        found = catalog.documents(catalog.linking_to(document_id))
        return sorted(found.values(), key=lambda document: document.title.lower())

    def in_category(self, category: str, kind: str = "article") -> list[Document]:
        """The indexed documents of `kind` in `category`, every audience and status, by id."""
        catalog = self._current().catalog
        found = catalog.documents(catalog.in_category(category, kind))
        return sorted(found.values(), key=lambda document: document.id)

    def recently_updated(self, limit: int, language: str | None = None) -> list[Document]:
        """The public, published articles updated last, `language` first (Catalog's order)."""
        catalog = self._current().catalog
        ids = catalog.recently_updated(limit, language)
        found = catalog.documents(ids)
        return [found[document_id] for document_id in ids if document_id in found]

    def search(self, query: SearchQuery) -> SearchResult:
        """Run one search; raise QueryError for input that cannot be searched."""
        started = time.perf_counter()
        text = validate_query(query)
        generation = self._current()
        candidates = self._candidates(generation, text, query)
        owner = candidates.owners.get
        keyword_documents, keyword_best = collapse(candidates.keyword, owner)
        semantic_documents, semantic_best = collapse(candidates.semantic, owner)
        titles = _title_cosines(candidates)
        semantic_documents = with_titles(semantic_documents, titles)
        if query.mode == "keyword":
            ranking = keyword_documents
        elif query.mode == "semantic":
            ranking = semantic_documents
        else:
            ranking = self._fuse(keyword_documents, semantic_documents)
        ranking, documents = self._shown(generation, text, ranking, query.k)

        keyword_scores = dict(keyword_documents)
        semantic_scores = dict(semantic_documents)
        keyword_ranks = ranks(keyword_documents)
        semantic_ranks = ranks(semantic_documents)
        top_keyword = keyword_documents[0][1] if keyword_documents else 0.0
        floor = semantic_documents[-1][1] if semantic_documents else 0.0
        model = self.deflection_model
        # Stop words still count for ranking, but marking every "the" helps no one read.
        query_terms = generation.keyword.terms(text) - stop_words(self._settings.languages)
        query_words = QueryWords(generation.word_terms, query_terms)

        # A hit shows the section that matched in the mode asked for, else the other one.
        preferred, fallback = (
            (keyword_best, semantic_best)
            if query.mode == "keyword"
            else (semantic_best, keyword_best)
        )
        hits: list[SearchHit] = []
        evidence_of_top: Evidence | None = None
        shown = [preferred.get(document_id) or fallback[document_id] for document_id, _ in ranking]
        chunks = generation.catalog.chunks(shown)
        for position, (document_id, score) in enumerate(ranking):
            semantic = semantic_scores.get(document_id, floor)
            others = [s for d, s in semantic_documents[:2] if d != document_id]
            evidence = Evidence(
                semantic=semantic,
                semantic_lead=semantic - (others[0] if others else floor),
                keyword_share=(
                    keyword_scores.get(document_id, 0.0) / top_keyword if top_keyword > 0 else 0.0
                ),
                semantic_rank=semantic_ranks.get(document_id),
                keyword_rank=keyword_ranks.get(document_id),
                rank=position,
                title_semantic=titles.get(document_id),
            )
            if position == 0:
                evidence_of_top = evidence
            chunk = chunks[shown[position]]
            hits.append(
                SearchHit(
                    document=documents[document_id],
                    chunk=chunk,
                    score=score,
                    deflection=model.hit_probability(evidence),
                    snippet=snippet_of(chunk.text, query_words.matching(chunk.text)),
                    evidence=evidence,
                    keyword_score=keyword_scores.get(document_id),
                    semantic_score=semantic_scores.get(document_id),
                )
            )
        return SearchResult(
            query=query,
            hits=tuple(
                replace(hit, deflection=probability)
                for hit, probability in zip(
                    hits, in_rank_order([hit.deflection for hit in hits]), strict=True
                )
            ),
            deflection=model.query_probability(evidence_of_top),
            took_ms=(time.perf_counter() - started) * 1000.0,
        )

    def close(self) -> None:
        with self._lock:
            for generation in (self._generation, self._retired):
                if generation is not None:
                    generation.close()
            self._generation = self._retired = None

    def _shown(
        self, generation: SearchGeneration, text: str, ranking: Ranking, k: int
    ) -> tuple[list[tuple[str, float]], dict[str, Document]]:
        """The first `k` of the ranking, documents in the query's own language preferred when
        it has one, and their documents (read once: the preference needs them too)."""
        weight = self._settings.other_language_weight
        language = query_language(text, self._stop_words)
        if language is None or weight >= 1.0:
            top = list(ranking[:k])
            return top, generation.catalog.documents(document_id for document_id, _ in top)
        documents = generation.catalog.documents(document_id for document_id, _ in ranking)
        languages = {document_id: document.language for document_id, document in documents.items()}
        return prefer_language(ranking, languages, language, weight)[:k], documents

    def _fuse(self, keyword: Ranking, semantic: Ranking) -> list[tuple[str, float]]:
        if self._settings.fusion == "rrf":
            return fuse_rrf([keyword, semantic], k=self._settings.rrf_k)
        weight = self._settings.semantic_weight
        if self._settings.fusion == "convex":
            return fuse_convex(
                [keyword, semantic], [1.0 - weight, weight], [KEYWORD_MINIMUM, SEMANTIC_MINIMUM]
            )
        return fuse_weighted(
            [keyword, semantic], [1.0 - weight, weight], window=self._settings.candidates
        )

    def _candidates(
        self, generation: SearchGeneration, text: str, query: SearchQuery
    ) -> _Candidates:
        """Fetch candidates from both rankers, fetching more while filters reject too many.

        Both rankers run in every mode: the mode picks the ranking, but deflection needs the
        evidence of both.
        """
        vector = self._embedder.embed_query(text)
        limit = max(self._settings.candidates, query.k * 5)
        while True:
            found = generation.parts.candidates(text, vector, limit)
            keyword, semantic = found.keyword, found.semantic
            allowed = generation.allowed(query.filters, found.owners.values())
            owners = {
                chunk: document for chunk, document in found.owners.items() if document in allowed
            }
            exhausted = len(keyword) < limit and len(semantic) < limit
            if exhausted or limit >= found.total or _enough(owners, semantic, query.k):
                titles = {
                    document: found.titles[document]
                    for document in dict.fromkeys(owners.values())
                    if document in found.titles
                }
                return _Candidates(vector, keyword, semantic, owners, titles)
            limit *= 4

    def _current(self) -> SearchGeneration:
        marker = self._store.marker()
        with self._lock:
            if self._generation is not None and marker == self._marker:
                return self._generation
            current = self._store.current()
            if current is None:
                raise IndexNotFoundError(self._settings.home)
            if self._generation is not None and self._generation.name == current:
                # Changed in place (a store without file generations): judge documents again.
                self._generation.forget_verdicts()
                self._marker = marker
                return self._generation
            fingerprint = canonical_fingerprint(
                self._store.metadata(current).get("fingerprint", {})
            )
            if fingerprint.get("format", INDEX_FORMAT) != INDEX_FORMAT:
                raise IndexMismatchError(
                    f"the index in {self._settings.home} was written by another version of kb; "
                    "run `kb index` to rebuild it"
                )
            built_with = {
                "dimension": fingerprint.get("dimension"),
                "keyword_backend": fingerprint.get("keyword_backend"),
                "vector_backend": fingerprint.get("vector_backend"),
            }
            wanted = {
                "dimension": self._embedder.dimension,
                "keyword_backend": keyword_backend_name(self._settings.keyword_backend),
                "vector_backend": self._settings.vector_backend,
            }
            for name, value in built_with.items():
                if value is not None and value != wanted[name]:
                    raise IndexMismatchError(
                        f"the index in {self._settings.home} was built with {name} {value!r} "
                        f"but the settings ask for {wanted[name]!r}; run `kb index` to rebuild it"
                    )
            opened = SearchGeneration(self._store.open(current, self._embedder.dimension))
            # A search may still be running on the generation being replaced, so it is closed
            # one switch later, not now.
            if self._retired is not None:
                self._retired.close()
            self._retired = self._generation
            self._generation = opened
            self._marker = marker
            return opened


def _enough(owners: Mapping[str, str], semantic: Ranking, k: int) -> bool:
    """Whether filtering left at least k documents among the semantic candidates."""
    return len({owners[c] for c, _ in semantic if c in owners}) >= k


def _title_cosines(candidates: _Candidates) -> dict[str, float]:
    """The query's cosine with the title of every candidate document that has a title vector."""
    vectors = candidates.titles
    if not vectors:
        return {}
    cosines = np.stack(list(vectors.values())) @ candidates.vector
    return dict(zip(vectors, cosines.tolist(), strict=True))
