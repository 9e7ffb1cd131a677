"""Read knowledge from disk: the articles folder and resolved-ticket exports.

Readers never stop at a bad file or row: they return what they could read and one
ArticleParseError per problem, so the rest of the KB still indexes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import ArticleParseError, KbError, TicketRecordError
from kb.indexer.parse import parse_article
from kb.indexer.tickets import TICKET_FIELDS, apply_mapping, parse_ticket_record
from kb.model import Article, Document, Ticket
from kb.validation import MAX_JSON_DEPTH, json_depth


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
            # The first file by path order keeps the id, whatever was indexed before, so that
            # every run (and `kb index --check`) decides the same way.
            loaded.errors.append(
                ArticleParseError(
                    path,
                    1,
                    f"id {article.id!r} is also declared by {seen[article.id]}, which keeps it "
                    "(the first by path order); give one of the two files another id",
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
    tickets, errors = read_ticket_export(path)
    return Loaded(documents=[ticket.to_document() for ticket in tickets], errors=errors)


def read_ticket_export(
    path: Path,
    mapping: Mapping[str, str] | None = None,
    *,
    file_format: str | None = None,
    resolved_only: bool = True,
) -> tuple[list[Ticket], list[ArticleParseError]]:
    """The tickets in another tool's export, and one error per bad row, by line.

    `mapping` names the source column of each kb field (e.g. {"subject": "Summary"});
    `file_format` is "csv" or "jsonl" (default: from the file's suffix).
    """
    if not path.is_file():
        raise KbError(f"tickets file {path} does not exist; check the path")
    file_format = file_format or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if file_format not in ("csv", "jsonl"):
        raise KbError(f"unknown ticket file format {file_format!r}; use csv or jsonl")
    errors: list[ArticleParseError] = []
    records = _records(path, errors, csv_format=file_format == "csv")
    columns = _columns(records, csv_format=file_format == "csv")
    if mapping and file_format == "csv" and records:
        missing = sorted(set(mapping.values()) - set(columns))
        if missing:
            raise KbError(
                f"{path}: no column {missing[0]!r} to map; the columns are: " + ", ".join(columns)
            )
    known = set(TICKET_FIELDS) & (set(columns) | set(mapping or {}))
    if records and columns and not known:
        raise KbError(
            f"{path}: none of its columns is a ticket field kb knows (the columns are: "
            f"{', '.join(columns)}); say which column holds each field with "
            "`kb import tickets FILE --map FIELD=COLUMN`, e.g. --map id=Key --map subject=Summary "
            f"(kb's fields: {', '.join(TICKET_FIELDS)})"
        )
    tickets: list[Ticket] = []
    seen: set[str] = set()
    for line, record in records:
        try:
            mapped = apply_mapping(record, mapping or {}) if isinstance(record, dict) else record
            ticket = parse_ticket_record(mapped, require_resolution=resolved_only)
        except TicketRecordError as error:
            errors.append(ArticleParseError(path, line, str(error)))
            continue
        if ticket.id in seen:
            errors.append(ArticleParseError(path, line, f"ticket {ticket.id!r} appears twice"))
            continue
        seen.add(ticket.id)
        tickets.append(ticket)
    errors.sort(key=lambda error: error.line or 0)
    return tickets, errors


def _columns(records: list[tuple[int, Any]], *, csv_format: bool) -> list[str]:
    """The export's column names in their order: a CSV's header, every key of JSON objects."""
    if csv_format:
        return [str(name) for name in records[0][1] if name is not None] if records else []
    names: dict[str, None] = {}
    for _, record in records:
        if isinstance(record, dict):
            names.update(dict.fromkeys(str(name) for name in record))
    return list(names)


def _records(
    path: Path, errors: list[ArticleParseError], *, csv_format: bool
) -> list[tuple[int, dict[str, object]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise KbError(
            f"{path}: not UTF-8 text (byte {error.start}); export the tickets as UTF-8"
        ) from None
    if csv_format:
        try:
            dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
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
        if json_depth(raw) > MAX_JSON_DEPTH:
            errors.append(
                ArticleParseError(path, number, f"nests deeper than {MAX_JSON_DEPTH} levels")
            )
            continue
        try:
            records.append((number, json.loads(raw)))
        except ValueError as error:  # JSONDecodeError, or a number past Python's digit limit
            detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
            errors.append(ArticleParseError(path, number, f"not valid JSON: {detail}"))
    return records
