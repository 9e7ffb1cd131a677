"""Which layer of a layered generation holds each document and chunk, and which are dead.

A layered generation is a full base generation with small delta segments on top, oldest
first (kb.indexer.segments writes and opens them). Each delta adds documents with their chunks
and removes documents of the layers below it: a replaced document is removed below and added
again in the delta. A chunk or document is live in the highest layer that adds it, unless a
layer above that one removes it. Pure bookkeeping over sets: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BASE = 0


@dataclass
class LayerChanges:
    """What one delta segment adds and what it removes from the layers below it.

    The removed sets name only what was live below when the delta was written, so counts
    are the layers' own counts less the removed ones.
    """

    documents: set[str] = field(default_factory=set)
    chunks: set[str] = field(default_factory=set)
    removed_documents: set[str] = field(default_factory=set)
    removed_chunks: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": sorted(self.documents),
            "chunks": sorted(self.chunks),
            "removed_documents": sorted(self.removed_documents),
            "removed_chunks": sorted(self.removed_chunks),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LayerChanges:
        return cls(
            set(data["documents"]),
            set(data["chunks"]),
            set(data["removed_documents"]),
            set(data["removed_chunks"]),
        )


class LayerStack:
    """The changes of every delta over one base: layer 0 is the base, 1.. the deltas."""

    def __init__(self, deltas: Iterable[LayerChanges]) -> None:
        self.deltas = list(deltas)
        # Bumped by every change to the top layer, so derived sets can be cached.
        self.version = 0
        self._placed: tuple[int, dict[str, int | None], dict[str, int | None]] | None = None

    @property
    def depth(self) -> int:
        """How many layers, the base included."""
        return len(self.deltas) + 1

    def top(self) -> LayerChanges:
        return self.deltas[-1]

    def document_layer(self, document_id: str) -> int | None:
        """The delta holding the document live; BASE if none adds or removes it (the base
        may or may not hold it); None when it was removed and not added again."""
        return self._placements()[0].get(document_id, BASE)

    def chunk_layer(self, chunk_id: str) -> int | None:
        """As `document_layer`, for a chunk."""
        return self._placements()[1].get(chunk_id, BASE)

    def _placements(self) -> tuple[dict[str, int | None], dict[str, int | None]]:
        """Where each document and chunk any delta names is live (None: nowhere), from the
        oldest delta up: a delta's removals apply below it, its additions win."""
        if self._placed is None or self._placed[0] != self.version:
            documents: dict[str, int | None] = {}
            chunks: dict[str, int | None] = {}
            for number, changes in enumerate(self.deltas, start=1):
                documents.update(dict.fromkeys(changes.removed_documents))
                documents.update(dict.fromkeys(changes.documents, number))
                chunks.update(dict.fromkeys(changes.removed_chunks))
                chunks.update(dict.fromkeys(changes.chunks, number))
            self._placed = (self.version, documents, chunks)
        return self._placed[1], self._placed[2]

    def dead_chunks(self, layer: int) -> set[str]:
        """The chunks of `layer` that a layer above it removed."""
        dead: set[str] = set()
        for changes in self.deltas[layer:]:
            dead |= changes.removed_chunks
        return dead

    def removed_documents(self) -> int:
        return sum(len(changes.removed_documents) for changes in self.deltas)

    def removed_chunks(self) -> int:
        return sum(len(changes.removed_chunks) for changes in self.deltas)

    def by_document_layer(self, document_ids: Iterable[str]) -> dict[int, list[str]]:
        """The live ones of `document_ids`, grouped by the layer to look them up in."""
        grouped: dict[int, list[str]] = {}
        for document_id in dict.fromkeys(document_ids):
            layer = self.document_layer(document_id)
            if layer is not None:
                grouped.setdefault(layer, []).append(document_id)
        return grouped

    def by_chunk_layer(self, chunk_ids: Iterable[str]) -> dict[int, list[str]]:
        """The live ones of `chunk_ids`, grouped by the layer to look them up in."""
        grouped: dict[int, list[str]] = {}
        for chunk_id in dict.fromkeys(chunk_ids):
            layer = self.chunk_layer(chunk_id)
            if layer is not None:
                grouped.setdefault(layer, []).append(chunk_id)
        return grouped
