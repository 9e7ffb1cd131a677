"""Read BEIR-format folders: corpus.jsonl, queries.jsonl and qrels.tsv."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kb.errors import KbError
from kb.model import Document


def load_corpus(path: Path, language: str = "en") -> list[Document]:
    """Each `{"_id", "title", "text"}` line as a public article document."""
    documents = []
    for line, record in _json_lines(path):
        try:
            identifier = str(record["_id"])
            text = str(record.get("text") or "")
        except (KeyError, TypeError):
            raise KbError(f"{path}:{line}: a corpus line needs `_id` and `text`") from None
        title = str(record.get("title") or "").strip()
        documents.append(
            Document(id=identifier, kind="article", title=title, body=text, language=language)
        )
    return documents


def load_queries(path: Path) -> dict[str, str]:
    queries = {}
    for line, record in _json_lines(path):
        try:
            queries[str(record["_id"])] = str(record["text"])
        except (KeyError, TypeError):
            raise KbError(f"{path}:{line}: a query line needs `_id` and `text`") from None
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id → {document id: grade}; a header line is recognised and skipped."""
    qrels: dict[str, dict[str, int]] = {}
    for line, row in _tsv(path):
        if len(row) < 3:
            raise KbError(f"{path}:{line}: expected `query-id<TAB>corpus-id<TAB>score`")
        try:
            grade = int(float(row[2]))
        except ValueError:
            if line == 1:
                continue  # the header
            raise KbError(f"{path}:{line}: score {row[2]!r} is not a number") from None
        qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def load_answerable(path: Path) -> dict[str, bool]:
    """query id → whether the corpus holds an answer (`answerable.tsv`)."""
    answerable = {}
    for line, row in _tsv(path):
        if len(row) < 2:
            raise KbError(f"{path}:{line}: expected `query-id<TAB>answerable`")
        if row[1].strip() not in {"0", "1"}:
            if line == 1:
                continue
            raise KbError(f"{path}:{line}: answerable must be 0 or 1, not {row[1]!r}")
        answerable[row[0]] = row[1].strip() == "1"
    return answerable


def require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise KbError(f"{folder} is not a BEIR folder: {name} is missing")
    return path


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw)
            except json.JSONDecodeError as error:
                raise KbError(f"{path}:{number}: not valid JSON: {error.msg}") from None


def _tsv(path: Path) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if row and any(cell.strip() for cell in row):
                yield number, [cell.strip() for cell in row]
