"""Read knowledge from disk: the articles folder and resolved-ticket exports.

Readers never stop at a bad file or row: they return what they could read and one
ArticleParseError per problem, so the rest of the KB still indexes.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import ArticleParseError, KbError
from kb.indexer.parse import parse_article
from kb.indexer.tickets import TicketRecordError, parse_ticket_record
from kb.model import Article, Document


@dataclass
class Loaded:
    """Documents read from one source, with the problems met on the way."""

    documents: list[Document] = field(default_factory=list)
    errors: list[ArticleParseError] = field(default_factory=list)


def load_articles(directory: Path) -> Loaded:
    """Parse every `*.md` file under `directory` (recursively), skipping broken ones."""
    if not directory.is_dir():
        raise KbError(f"articles folder {directory} does not exist; pass --articles DIR")
    loaded = Loaded()
    seen: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.md")):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        try:
            article = read_article(path)
        except ArticleParseError as error:
            loaded.errors.append(error)
            continue
        if article.id in seen:
            loaded.errors.append(
                ArticleParseError(
                    path, 1, f"id {article.id!r} is already used by {seen[article.id]}"
                )
            )
            continue
        seen[article.id] = path
        loaded.documents.append(article.to_document())
    return loaded


def read_article(path: Path) -> Article:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ArticleParseError(path, None, f"not UTF-8 text ({error.reason})") from None
    return parse_article(text, path)


def load_tickets(path: Path) -> Loaded:
    """Read resolved tickets from a JSON-lines (`.jsonl`, `.json`) or CSV (`.csv`) export."""
    if not path.is_file():
        raise KbError(f"tickets file {path} does not exist; pass --tickets FILE")
    loaded = Loaded()
    seen: set[str] = set()
    for line, record in _records(path, loaded):
        try:
            ticket = parse_ticket_record(record)
        except TicketRecordError as error:
            loaded.errors.append(ArticleParseError(path, line, str(error)))
            continue
        if ticket.id in seen:
            loaded.errors.append(
                ArticleParseError(path, line, f"ticket {ticket.id!r} appears twice")
            )
            continue
        seen.add(ticket.id)
        loaded.documents.append(ticket.to_document())
    return loaded


def _records(path: Path, loaded: Loaded) -> list[tuple[int, dict[str, object]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = []
        first_line = reader.line_num + 1
        for row in reader:
            if first_line == 1:  # the header was read together with the first row
                first_line = 2
            rows.append((first_line, dict(row)))
            first_line = reader.line_num + 1
        return rows
    records = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            records.append((number, json.loads(raw)))
        except json.JSONDecodeError as error:
            loaded.errors.append(ArticleParseError(path, number, f"not valid JSON: {error.msg}"))
    return records
