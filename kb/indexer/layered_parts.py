"""The Catalog and VectorIndex of a layered generation: a base and delta segments read as one.

Each part is given the parts of its layers (base first) and the LayerStack saying which layer
holds what; a writable one also gets the new top layer, which takes every write. Removing a
document records, in the top layer's changes, what was live below, so the layers stay as
they were written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from kb.backends import Catalog, Manifest, Ranking, VectorIndex, Vectors
from kb.errors import IndexMismatchError
from kb.indexer.layers import BASE, LayerStack
from kb.model import Chunk, Document

# Opens (or returns the already opened) parts of the read-only layers, base first.
Layers = Callable[[], Sequence[VectorIndex]]


def read_only(what: str) -> IndexMismatchError:
    return IndexMismatchError(f"{what} of a published generation cannot change; begin a new one")


class LayeredCatalog:
    """The documents and chunks of every layer, each from the layer that holds it live."""

    def __init__(
        self,
        stack: LayerStack,
        layers: Sequence[Catalog],
        top: Catalog | None = None,
        release: Callable[[], None] = lambda: None,
    ) -> None:
        self._stack = stack
        self._layers = [*layers, *([] if top is None else [top])]
        self._top = top
        self._release = release

    def manifest(self, ids: Iterable[str] | None = None) -> Manifest:
        wanted = None if ids is None else list(dict.fromkeys(ids))
        found = self._layers[BASE].manifest(wanted)
        for changes, layer in zip(self._stack.deltas, self._layers[1:], strict=True):
            for document_id in changes.removed_documents:
                found.pop(document_id, None)
            found.update(layer.manifest(wanted))
        return found

    def put(self, document: Document, chunks: Sequence[Chunk]) -> None:
        top = self._writable()
        if self._stack.document_layer(document.id) != self._stack.depth - 1:
            # Replacing a document live below: it is removed there first, as a whole.
            self.remove([document.id])
        top.put(document, chunks)
        changes = self._stack.top()
        changes.documents.add(document.id)
        changes.chunks.update(chunk.id for chunk in chunks)
        self._stack.version += 1

    def put_title_vectors(self, document_ids: Sequence[str], vectors: Vectors) -> None:
        self._writable().put_title_vectors(document_ids, vectors)

    def title_vectors(self, ids: Iterable[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        for layer, wanted in self._stack.by_document_layer(ids).items():
            found.update(self._layers[layer].title_vectors(wanted))
        return found

    def remove(self, document_ids: Iterable[str]) -> list[str]:
        top = self._writable()
        top_layer = self._stack.depth - 1
        changes = self._stack.top()
        removed: list[str] = []
        below: dict[int, list[str]] = {}
        for layer, wanted in self._stack.by_document_layer(document_ids).items():
            if layer == top_layer:
                removed.extend(top.remove(wanted))
                changes.documents.difference_update(wanted)
            else:
                below[layer] = wanted
        for layer, wanted in below.items():
            held = self._layers[layer].chunks_of(wanted)
            present = set(self._layers[layer].documents(wanted))
            for document_id in wanted:
                if document_id in present:
                    changes.removed_documents.add(document_id)
                    chunk_ids = [chunk.id for chunk in held[document_id]]
                    changes.removed_chunks.update(chunk_ids)
                    removed.extend(chunk_ids)
        changes.chunks.difference_update(removed)
        self._stack.version += 1
        return removed

    def commit(self) -> None:
        self._writable().commit()

    def documents(self, ids: Iterable[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for layer, wanted in self._stack.by_document_layer(ids).items():
            found.update(self._layers[layer].documents(wanted))
        return found

    def chunks(self, ids: Iterable[str]) -> dict[str, Chunk]:
        found: dict[str, Chunk] = {}
        for layer, wanted in self._stack.by_chunk_layer(ids).items():
            found.update(self._layers[layer].chunks(wanted))
        return found

    def owners(self, chunk_ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for layer, wanted in self._stack.by_chunk_layer(chunk_ids).items():
            found.update(self._layers[layer].owners(wanted))
        return found

    def chunks_of(self, document_ids: Iterable[str]) -> dict[str, list[Chunk]]:
        wanted = list(dict.fromkeys(document_ids))
        found: dict[str, list[Chunk]] = {document_id: [] for document_id in wanted}
        for layer, ids in self._stack.by_document_layer(wanted).items():
            found.update(self._layers[layer].chunks_of(ids))
        return found

    def linking_to(self, document_id: str) -> list[str]:
        return self._live_in_layers(lambda layer: layer.linking_to(document_id))

    def in_category(self, category: str, kind: str = "article") -> list[str]:
        return self._live_in_layers(lambda layer: layer.in_category(category, kind))

    def recently_updated(self, limit: int, language: str | None = None) -> list[str]:
        # Each layer's newest, as many more as documents removed above it might take places;
        # the live ones are ordered again as one catalog orders them.
        extra = self._stack.removed_documents()
        found = self._live_in_layers(
            lambda layer: layer.recently_updated(limit + extra, language)
        )
        documents = self.documents(found)
        # Sorted by id, then (stably) newest first, undated last.
        ordered = sorted(documents)
        ordered.sort(key=lambda document_id: _updated(documents[document_id]), reverse=True)
        if language is not None:
            ordered.sort(key=lambda document_id: documents[document_id].language != language)
        return ordered[:limit]

    def counts(self) -> tuple[int, int]:
        documents = chunks = 0
        for layer in self._layers:
            layer_documents, layer_chunks = layer.counts()
            documents += layer_documents
            chunks += layer_chunks
        return (
            documents - self._stack.removed_documents(),
            chunks - self._stack.removed_chunks(),
        )

    def close(self) -> None:
        if self._top is not None:
            self._top.close()
        self._release()

    def _live_in_layers(self, ask: Callable[[Catalog], list[str]]) -> list[str]:
        """The sorted ids each layer answers, kept where that layer holds them live."""
        found: set[str] = set()
        for number, layer in enumerate(self._layers):
            found.update(
                document_id
                for document_id in ask(layer)
                if self._stack.document_layer(document_id) == number
            )
        return sorted(found)

    def _writable(self) -> Catalog:
        if self._top is None:
            raise read_only("the catalog")
        return self._top


def _updated(document: Document) -> str:
    """The front-matter `updated` date as the catalogs sort it (ISO text); "" if none."""
    updated = document.metadata.get("updated")
    return "" if updated is None else str(updated)


class LayeredVectorIndex:
    """Nearest neighbours over every layer, skipping the chunks removed above their layer."""

    def __init__(
        self,
        stack: LayerStack,
        layers: Layers,
        top: VectorIndex | None = None,
        release: Callable[[], None] = lambda: None,
    ) -> None:
        self._stack = stack
        self._lower = layers
        self._top = top
        self._release = release

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        self._writable().add(ids, vectors)

    def remove(self, ids: Sequence[str]) -> None:
        # Chunks below are removed by the catalog's record of them; the top drops its own.
        self._writable().remove(ids)

    def commit(self) -> None:
        self._writable().commit()

    def search(self, vector: Vectors, limit: int) -> Ranking:
        if limit < 1:
            return []
        found: Ranking = []
        for number, layer in enumerate(self._layers()):
            dead = self._stack.dead_chunks(number)
            # Dead chunks may take places among the layer's best: ask for as many more.
            found.extend(
                (chunk_id, score)
                for chunk_id, score in layer.search(vector, limit + len(dead))
                if chunk_id not in dead
            )
        found.sort(key=lambda pair: (-pair[1], pair[0]))
        return found[:limit]

    def vectors_of(self, ids: Sequence[str]) -> Vectors:
        layers = self._layers()
        rows: dict[str, Vectors] = {}
        grouped = self._stack.by_chunk_layer(ids)
        for layer, wanted in grouped.items():
            rows.update(zip(wanted, layers[layer].vectors_of(wanted), strict=True))
        missing = [chunk_id for chunk_id in ids if chunk_id not in rows]
        if missing:
            raise KeyError(f"the vector index holds no chunk {missing[0]!r}")
        if not ids:
            return layers[BASE].vectors_of([])
        return np.stack([rows[chunk_id] for chunk_id in ids])

    def count(self) -> int:
        return sum(layer.count() for layer in self._layers()) - self._stack.removed_chunks()

    def close(self) -> None:
        if self._top is not None:
            self._top.close()
        self._release()

    def _layers(self) -> list[VectorIndex]:
        return [*self._lower(), *([] if self._top is None else [self._top])]

    def _writable(self) -> VectorIndex:
        if self._top is None:
            raise read_only("the vector index")
        return self._top
