"""Which documents a search may return: category, tags, kind, language, audience, status. Pure."""

from __future__ import annotations

from kb.model import Document, Filters

READER_AUDIENCES = {
    "requester": ("public",),
    "agent": ("public", "internal"),
}


def allows(filters: Filters, document: Document) -> bool:
    """True when the document passes every restriction in `filters`.

    Tags: the document must carry every tag asked for. Other fields: any of the values.
    """
    if filters.categories and document.category not in filters.categories:
        return False
    if filters.kinds and document.kind not in filters.kinds:
        return False
    if filters.languages and document.language not in filters.languages:
        return False
    if filters.audiences and document.audience not in filters.audiences:
        return False
    if filters.statuses and document.status not in filters.statuses:
        return False
    return all(tag in document.tags for tag in filters.tags)


def audiences_for(role: str) -> tuple[str, ...]:
    """The audiences a reader in `role` may see; unknown roles see public documents only."""
    return READER_AUDIENCES.get(role, ("public",))
