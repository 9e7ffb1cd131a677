"""parse_ticket_record and Ticket.to_document: validation, and what reaches the index."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kb.errors import TicketRecordError
from kb.indexer.tickets import parse_ticket_record


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "INC-1042",
        "subject": "VPN drops every hour",
        "description": "The VPN disconnects after about sixty minutes.",
        "resolution": "Raised the session timeout on the gateway.",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def test_minimal_record_gets_defaults() -> None:
    ticket = parse_ticket_record(record())
    assert ticket.id == "INC-1042"
    assert ticket.subject == "VPN drops every hour"
    assert ticket.type == "incident"
    assert ticket.tags == ()
    assert ticket.shareable is False
    assert ticket.language == "en"
    assert (ticket.opened, ticket.resolved, ticket.category, ticket.priority) == (
        None,
        None,
        None,
        None,
    )


def test_text_fields_are_trimmed() -> None:
    ticket = parse_ticket_record(record(id="  INC-7 ", subject=" Printer ", category="  "))
    assert (ticket.id, ticket.subject, ticket.category) == ("INC-7", "Printer", None)


@pytest.mark.parametrize(
    ("changes", "field_name"),
    [
        ({"id": ...}, "id"),
        ({"id": None}, "id"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"resolution": ...}, "resolution"),
    ],
)
def test_required_fields_must_be_present(changes: dict[str, Any], field_name: str) -> None:
    with pytest.raises(TicketRecordError, match=f"`{field_name}` is missing or empty"):
        parse_ticket_record(record(**changes))


def test_missing_description_is_allowed() -> None:
    assert parse_ticket_record(record(description=...)).description == ""


@pytest.mark.parametrize("not_a_mapping", [["INC-1"], "INC-1", None, 42])
def test_record_must_be_an_object(not_a_mapping: Any) -> None:
    with pytest.raises(TicketRecordError, match="must be an object"):
        parse_ticket_record(not_a_mapping)


@pytest.mark.parametrize(
    ("raw_type", "expected"),
    [
        ("incident", "incident"),
        ("Service Request", "service_request"),
        (" QUESTION ", "question"),
        ("", "incident"),
        (None, "incident"),
    ],
)
def test_ticket_type_is_normalised(raw_type: Any, expected: str) -> None:
    assert parse_ticket_record(record(type=raw_type)).type == expected


def test_unknown_ticket_type_lists_the_allowed_types() -> None:
    with pytest.raises(TicketRecordError) as raised:
        parse_ticket_record(record(type="problem"))
    assert "'problem'" in str(raised.value)
    assert "incident, service_request, question" in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "expected"), [("high", "high"), (" Critical ", "critical"), ("", None), (None, None)]
)
def test_priority_is_one_of_the_desks(raw: Any, expected: str | None) -> None:
    assert parse_ticket_record(record(priority=raw)).priority == expected


@pytest.mark.parametrize("raw", ["urgent", "P1", "3"])
def test_an_unknown_priority_is_rejected_with_the_allowed_ones(raw: str) -> None:
    with pytest.raises(TicketRecordError, match=f"`priority` is '{raw}'; use one of: low, medium"):
        parse_ticket_record(record(priority=raw))


def test_every_problem_of_a_record_is_reported_at_once() -> None:
    with pytest.raises(TicketRecordError) as raised:
        parse_ticket_record(
            record(subject=" ", type="problem", priority="urgent", opened="14/09", shareable="?")
        )
    message = str(raised.value)
    for field_name in ("subject", "type", "priority", "opened", "shareable"):
        assert f"`{field_name}`" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-14T08:12:00Z", datetime(2026, 9, 14, 8, 12, tzinfo=UTC)),
        (
            "2026-09-14T10:12:00+02:00",
            datetime(2026, 9, 14, 10, 12, tzinfo=timezone(timedelta(hours=2))),
        ),
        # Times without a zone are read as UTC.
        ("2026-09-14T08:12:00", datetime(2026, 9, 14, 8, 12, tzinfo=UTC)),
        ("2026-09-14", datetime(2026, 9, 14, tzinfo=UTC)),
    ],
)
def test_iso_timestamps_are_parsed(text: str, expected: datetime) -> None:
    ticket = parse_ticket_record(record(opened=text))
    assert ticket.opened == expected
    assert ticket.opened is not None and ticket.opened.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["", "   ", None])
def test_blank_timestamps_mean_unknown(text: Any) -> None:
    assert parse_ticket_record(record(resolved=text)).resolved is None


@pytest.mark.parametrize("text", ["yesterday", "14/09/2026", "2026-09-14T25:00:00Z"])
def test_bad_timestamps_are_rejected_with_the_field_name(text: str) -> None:
    with pytest.raises(TicketRecordError, match="`resolved`.*ISO 8601"):
        parse_ticket_record(record(resolved=text))


@pytest.mark.parametrize(
    ("opened", "resolved", "accepted"),
    [
        ("2026-09-14T08:00:00Z", "2026-09-14T09:00:00Z", True),
        ("2026-09-14T08:00:00Z", "2026-09-14T08:00:00Z", True),
        ("2026-09-14T08:00:00Z", "2026-09-14T07:59:59Z", False),
        # 09:30 in Madrid summer time is 07:30 UTC: earlier than it was opened.
        ("2026-09-14T08:00:00Z", "2026-09-14T09:30:00+02:00", False),
    ],
)
def test_resolved_before_opened_is_rejected(opened: str, resolved: str, accepted: bool) -> None:
    if accepted:
        assert parse_ticket_record(record(opened=opened, resolved=resolved)).resolved
    else:
        with pytest.raises(TicketRecordError, match="earlier than `opened`"):
            parse_ticket_record(record(opened=opened, resolved=resolved))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        (" on ", True),
        ("1", True),
        (1, True),
        ("no", False),
        ("false", False),
        ("off", False),
        ("0", False),
        (0, False),
        ("", False),
        (None, False),
    ],
)
def test_shareable_flag_is_parsed(raw: Any, expected: bool) -> None:
    assert parse_ticket_record(record(shareable=raw)).shareable is expected


@pytest.mark.parametrize("raw", ["maybe", "sure", "2"])
def test_bad_shareable_flag_is_rejected(raw: str) -> None:
    with pytest.raises(TicketRecordError, match="`shareable`"):
        parse_ticket_record(record(shareable=raw))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["VPN", " Remote "], ("vpn", "remote")),
        ("VPN, Remote-Access", ("vpn", "remote-access")),
        ("vpn;wifi", ("vpn", "wifi")),
        ("vpn,,  ,wifi", ("vpn", "wifi")),
        ("", ()),
        (None, ()),
        ([], ()),
    ],
)
def test_tags_come_from_a_list_or_a_comma_separated_string(
    raw: Any, expected: tuple[str, ...]
) -> None:
    assert parse_ticket_record(record(tags=raw)).tags == expected


@pytest.mark.parametrize(
    ("shareable", "audience"),
    [(True, "public"), (False, "internal"), (None, "internal")],
)
def test_ticket_document_is_internal_unless_shareable(shareable: Any, audience: str) -> None:
    document = parse_ticket_record(record(shareable=shareable)).to_document()
    assert document.audience == audience


def test_ticket_document_fields() -> None:
    ticket = parse_ticket_record(
        record(category="network", tags="vpn", language="es", opened="2026-09-14T08:12:00Z")
    )
    document = ticket.to_document()
    assert document.kind == "ticket"
    assert document.id == "ticket:INC-1042"
    assert document.title == "VPN drops every hour"
    assert document.status == "published"
    assert (document.category, document.tags, document.language) == ("network", ("vpn",), "es")
    assert document.summary == "Raised the session timeout on the gateway."
    assert document.metadata["opened"] == "2026-09-14T08:12:00+00:00"


def test_ticket_document_body_holds_description_then_resolution() -> None:
    body = parse_ticket_record(record()).to_document().body
    assert body.index("The VPN disconnects after about sixty minutes.") < body.index(
        "Raised the session timeout on the gateway."
    )


def test_ticket_document_body_without_description_starts_with_resolution() -> None:
    body = parse_ticket_record(record(description=...)).to_document().body
    assert body.startswith("Resolution: Raised the session timeout")


def test_requester_and_assignee_are_not_in_the_document() -> None:
    ticket = parse_ticket_record(
        record(requester="maria.lopez@example.com", assignee="agent.smith@example.com")
    )
    assert ticket.requester == "maria.lopez@example.com"
    everything = repr(asdict(ticket.to_document()))
    assert "maria.lopez" not in everything
    assert "agent.smith" not in everything
