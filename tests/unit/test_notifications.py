"""Who is told what: the notification rules and the outbox's retry delays, as cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kb.notifications import deliverable, to_assignee, to_requester
from kb.store.outbox import LONGEST_RETRY, retry_delay


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("rita@example.com", True),
        ("ana@corp.es", True),
        ("unknown@imported.invalid", False),
        ("someone@host.test", False),
        ("nobody", False),
    ],
)
def test_deliverable(address: str, expected: bool) -> None:
    assert deliverable(address) is expected


def test_requester_notifications_carry_language_and_the_words_quoted() -> None:
    (item,) = to_requester("answered", "INC-000001", " rita@example.com ", "es", "VPN", "Hola")
    assert (item.kind, item.recipient, item.language, item.ticket) == (
        "answered",
        "rita@example.com",
        "es",
        "INC-000001",
    )
    assert item.details == {"subject": "VPN", "body": "Hola"}
    assert to_requester("received", "INC-000002", "x@imported.invalid", "en", "VPN") == []
    with pytest.raises(ValueError):
        to_requester("assigned", "INC-000001", "rita@example.com", "en", "VPN")


@pytest.mark.parametrize(
    ("assignee", "actor", "told"),
    [
        ("omar@example.com", "priya@example.com", True),
        ("priya@example.com", "Priya@Example.com", False),  # took it herself
        ("omar@example.com", None, True),
    ],
)
def test_an_agent_hears_only_of_tickets_someone_else_gave_them(
    assignee: str, actor: str | None, told: bool
) -> None:
    found = to_assignee("INC-000001", assignee, actor, "VPN")
    assert bool(found) is told
    if found:
        assert found[0].language == "en" and found[0].kind == "assigned"


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (4, timedelta(minutes=8)),
        (7, LONGEST_RETRY),
        (50, LONGEST_RETRY),
    ],
)
def test_retries_wait_longer_each_time_up_to_an_hour(attempts: int, delay: timedelta) -> None:
    assert retry_delay(attempts) == delay
