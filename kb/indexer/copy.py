"""Copying an index from one GenerationStore to another (`kb migrate`), embedding nothing.

The current generation's documents, chunks, chunk vectors and title vectors are read from
the source's parts and written into a new generation of the target, which is published at
once, as `kb index` would. The keyword index is built again from the chunks' text (it holds
nothing a model computed). The generation's fingerprint is the source's with the target's
keyword and vector backends, so the target's `Indexer` goes on updating it incrementally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from kb.backends import Generation, GenerationStore
from kb.errors import TargetNotEmptyError
from kb.model import WorkDone

# Documents read and written at a time.
COPY_BATCH = 200


@dataclass(frozen=True)
class IndexCopy:
    generation: str
    documents: int
    chunks: int


def copy_index(
    source: GenerationStore,
    target: GenerationStore,
    backends: dict[str, str],
    progress: Callable[[WorkDone], None] | None = None,
) -> IndexCopy:
    """Copy the source's current generation into the empty `target` and make it current there.

    `backends` names the target's keyword_backend and vector_backend for its fingerprint.
    Raises TargetNotEmptyError when the target has an index already; the source must have a
    current generation.
    """
    name = source.current()
    if name is None:
        raise ValueError("the source has no index to copy")
    # The copy is one whole generation, whatever layers the source's was read from.
    metadata = {key: value for key, value in source.metadata(name).items() if key != "layers"}
    fingerprint: dict[str, Any] = {**metadata.get("fingerprint", {}), **backends}
    dimension = int(fingerprint["dimension"])
    reading = source.open(name, dimension)
    try:
        with target.lock(timeout=0):
            if target.current() is not None:
                raise TargetNotEmptyError(
                    "the target already holds an index; copy into an empty database or folder"
                )
            writing = target.begin(None, dimension)
            try:
                documents, chunks = _copy_parts(reading, writing, progress)
                copied = target.publish(
                    writing,
                    {
                        **metadata,
                        "fingerprint": fingerprint,
                        "copied": datetime.now(UTC).isoformat(),
                        "copied_from": name,
                        "documents": documents,
                        "chunks": chunks,
                    },
                )
            except BaseException:
                target.discard(writing)
                raise
    finally:
        reading.close()
    return IndexCopy(copied, documents, chunks)


def _copy_parts(
    reading: Generation, writing: Generation, progress: Callable[[WorkDone], None] | None
) -> tuple[int, int]:
    ids = sorted(reading.catalog.manifest())
    total = len(ids)
    if progress is not None:
        progress(WorkDone("documents", 0, total))
    for start in range(0, total, COPY_BATCH):
        batch = ids[start : start + COPY_BATCH]
        documents = reading.catalog.documents(batch)
        chunks_of = reading.catalog.chunks_of(batch)
        chunk_ids: list[str] = []
        for document_id in batch:
            document, chunks = documents[document_id], chunks_of[document_id]
            writing.keyword.add(document, chunks)
            writing.catalog.put(document, chunks)
            chunk_ids.extend(chunk.id for chunk in chunks)
        writing.vectors.add(chunk_ids, reading.vectors.vectors_of(chunk_ids))
        titles = reading.catalog.title_vectors(batch)
        titled = [document_id for document_id in batch if document_id in titles]
        if titled:
            writing.catalog.put_title_vectors(
                titled, np.stack([titles[document_id] for document_id in titled])
            )
        if progress is not None:
            progress(WorkDone("documents", start + len(batch), total))
    writing.keyword.commit()
    writing.vectors.commit()
    writing.catalog.commit()
    return writing.catalog.counts()
