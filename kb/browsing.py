"""What a requester reads without searching: a topic's articles and the home page's lists.

Only public, published articles ever come out of here, as from the self-service search.
"""

from __future__ import annotations

from datetime import datetime

from kb.model import Document
from kb.search.searcher import Searcher
from kb.store.events import EventStore, TrackRecord

# How many articles each of the home page's lists shows.
HOME_LIST_LENGTH = 5


class Browsing:
    """Lists of articles ranked by what helped requesters, or by when they were updated."""

    def __init__(self, searcher: Searcher, events: EventStore) -> None:
        self._searcher = searcher
        self._events = events

    def browse(self, category: str) -> list[Document]:
        """The public, published articles of a category, the most helpful first.

        "Helpful" is the article's whole record: helpful votes and "this solved it", less
        unhelpful votes; ties by title.
        """
        articles = [
            document for document in self._searcher.in_category(category) if _public(document)
        ]
        records = self._events.track_records([document.id for document in articles])

        def helped(document: Document) -> int:
            record = records.get(document.id, TrackRecord())
            return record.helpful + record.resolved - record.unhelpful

        return sorted(articles, key=lambda document: (-helped(document), document.title.lower()))

    def most_helpful(self, since: datetime, limit: int = HOME_LIST_LENGTH) -> list[Document]:
        """The public, published articles that helped requesters most since `since`."""
        scores = self._events.helpful_since(since)
        ranked = sorted(scores, key=lambda article_id: (-scores[article_id], article_id))
        found = []
        for article_id in ranked:
            document = self._searcher.document(article_id)
            if document is not None and document.kind == "article" and _public(document):
                found.append(document)
            if len(found) == limit:
                break
        return found

    def recently_updated(self, language: str, limit: int = HOME_LIST_LENGTH) -> list[Document]:
        """The public, published articles updated last, those in `language` first: what the
        home page lists while no vote or "this solved it" has yet said what helps."""
        found = self._searcher.recently_updated(limit, language)
        return [document for document in found if _public(document)]


def _public(document: Document) -> bool:
    return document.audience == "public" and document.status == "published"
