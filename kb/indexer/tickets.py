"""Turn one exported ticket record (a JSON object or CSV row) into a Ticket. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from kb.errors import InvalidInputError, TicketRecordError
from kb.model import Ticket
from kb.validation import check_strings
from kb.workflow import PRIORITIES, TICKET_TYPES

REQUIRED = ("id", "subject", "resolution")
# Every field a ticket record may carry; an import's column mapping names these.
TICKET_FIELDS = (
    "id",
    "subject",
    "description",
    "resolution",
    "category",
    "type",
    "tags",
    "priority",
    "opened",
    "resolved",
    "requester",
    "assignee",
    "shareable",
    "language",
)
TRUE_WORDS = {"1", "true", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "off", ""}


def parse_ticket_record(record: Mapping[str, Any], *, require_resolution: bool = True) -> Ticket:
    """Return the Ticket in `record`; raise TicketRecordError naming every bad field at once.

    With `require_resolution=False` a record without a resolution is an open ticket, not an error.
    """
    if not isinstance(record, Mapping):
        raise TicketRecordError("each record must be an object with ticket fields")
    problems: list[str] = []
    for key in TICKET_FIELDS:
        try:
            check_strings(record.get(key), key)
        except InvalidInputError as error:
            problems.append(str(error))
    if problems:
        # Text that cannot be stored is not read further: the checks below would quote it.
        raise TicketRecordError("; ".join(problems))
    for key in REQUIRED if require_resolution else ("id", "subject"):
        value = record.get(key)
        if value is None or not str(value).strip():
            problems.append(f"`{key}` is missing or empty")
    ticket_type = str(record.get("type") or "incident").strip().lower().replace(" ", "_")
    if ticket_type not in TICKET_TYPES:
        problems.append(f"`type` is {record.get('type')!r}; use one of: {', '.join(TICKET_TYPES)}")
    priority = _optional_text(record.get("priority"))
    if priority is not None and priority.lower() not in PRIORITIES:
        problems.append(
            f"`priority` is {record.get('priority')!r}; use one of: {', '.join(PRIORITIES)}, "
            "or leave it empty (map another tool's values to these before importing)"
        )
    opened = _timestamp(record, "opened", problems)
    resolved = _timestamp(record, "resolved", problems)
    if opened and resolved and resolved < opened:
        problems.append("`resolved` is earlier than `opened`")
    shareable = _flag(record.get("shareable"), problems)
    if problems:
        raise TicketRecordError("; ".join(problems))
    return Ticket(
        id=str(record["id"]).strip(),
        subject=str(record["subject"]).strip(),
        description=str(record.get("description") or "").strip(),
        resolution=str(record.get("resolution") or "").strip(),
        category=_optional_text(record.get("category")),
        type=ticket_type,
        tags=_tags(record.get("tags")),
        priority=priority.lower() if priority is not None else None,
        opened=opened,
        resolved=resolved,
        requester=_optional_text(record.get("requester")),
        assignee=_optional_text(record.get("assignee")),
        shareable=shareable,
        language=_optional_text(record.get("language")) or "en",
    )


def apply_mapping(record: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The record with kb's field names: `mapping` says which source column holds each field.

    Columns the mapping does not mention keep their names, so a partial mapping is enough.
    """
    renamed = dict(record)
    for field_name, column in mapping.items():
        renamed[field_name] = record.get(column)
    return renamed


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    return tuple(str(item).strip().lower() for item in items if str(item).strip())


def _flag(value: Any, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text not in FALSE_WORDS:
        problems.append(f"`shareable` is {value!r}; use true or false")
    return False


def _timestamp(record: Mapping[str, Any], key: str, problems: list[str]) -> datetime | None:
    value = record.get(key)
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"`{key}` is {value!r}; use an ISO 8601 time like 2026-09-14T08:12:00Z")
        return None
    # Exports often omit the zone; kb reads such times as UTC so all times compare.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
