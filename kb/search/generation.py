"""An index generation as the Searcher holds it: its parts and what it caches while it serves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kb.backends import Catalog, Generation, KeywordIndex, VectorIndex
from kb.model import Filters
from kb.search.filters import allows

WORD_TERMS_CACHED = 50_000
# Sets of filters whose verdicts on documents a generation remembers (a portal asks few).
FILTERS_REMEMBERED = 8


@dataclass
class SearchGeneration:
    """One index generation opened for searching, with what it learns while it serves:
    each word's terms and the filters' verdicts on its documents."""

    parts: Generation
    word_terms: Callable[[str], set[str]] = field(init=False)
    _verdicts: dict[Filters, dict[str, bool]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Snippets analyse the words of every hit for every query; a KB's words repeat, so
        # each word is analysed once per generation (bounded, as queries bring new words).
        self.word_terms = lru_cache(maxsize=WORD_TERMS_CACHED)(self.keyword.terms)

    def allowed(self, filters: Filters, document_ids: Iterable[str]) -> set[str]:
        """Those of `document_ids` in the catalog that `filters` let through.

        Until the generation changes (forget_verdicts), each document is judged once per set
        of filters instead of being looked up and judged again for every search it is a
        candidate of.
        """
        verdicts = self._verdicts.get(filters)
        if verdicts is None:
            while len(self._verdicts) >= FILTERS_REMEMBERED:
                self._verdicts.pop(next(iter(self._verdicts)), None)
            verdicts = self._verdicts.setdefault(filters, {})
        wanted = set(document_ids)
        unjudged = [document_id for document_id in wanted if document_id not in verdicts]
        if unjudged:
            found = self.catalog.documents(unjudged)
            for document_id in unjudged:
                document = found.get(document_id)
                verdicts[document_id] = document is not None and allows(filters, document)
        return {document_id for document_id in wanted if verdicts[document_id]}

    def forget_verdicts(self) -> None:
        """Documents were replaced in place: the filters' verdicts on them may be stale."""
        self._verdicts = {}

    @property
    def name(self) -> str:
        return self.parts.name

    @property
    def catalog(self) -> Catalog:
        return self.parts.catalog

    @property
    def keyword(self) -> KeywordIndex:
        return self.parts.keyword

    @property
    def vectors(self) -> VectorIndex:
        return self.parts.vectors

    def close(self) -> None:
        self.parts.close()
