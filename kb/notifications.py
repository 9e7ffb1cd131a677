"""Who is told what when a ticket changes: the mail kb sends, as data. Pure.

The ticket store records these in its outbox in the same transaction as the change, so a
notification exists exactly when the change does; kb.mail words and sends them later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# To the requester: the request was filed, an agent replied, it was resolved.
# To an agent: someone else assigned them the ticket.
NOTIFICATION_KINDS = ("received", "answered", "resolved", "assigned")
# Agents work in the desk, which is in English.
AGENT_LANGUAGE = "en"
# Addresses under a reserved top-level domain (RFC 2606), such as the placeholder of
# imported tickets without a requester, can receive nothing.
UNDELIVERABLE_DOMAINS = (".invalid", ".example", ".test", ".localhost")


@dataclass(frozen=True)
class Notification:
    """One message to send: what happened, to whom, in which language, about which ticket.

    `details` holds the words the message quotes (the subject, an agent's reply), taken when
    the change was made, so the mail says what the requester was told at that moment.
    """

    kind: str
    recipient: str
    language: str
    ticket: str
    details: dict[str, str] = field(default_factory=dict)


def deliverable(address: str) -> bool:
    """Whether mail to `address` can arrive anywhere."""
    local, at, domain = address.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    return bool(local and at and domain) and not domain.endswith(UNDELIVERABLE_DOMAINS)


def to_requester(
    kind: str, ticket: str, requester: str, language: str, subject: str, body: str = ""
) -> list[Notification]:
    """The requester's notification of `kind` (received, answered, resolved), if it can arrive."""
    if kind not in NOTIFICATION_KINDS[:3]:
        raise ValueError(f"{kind!r} is not a requester's notification")
    if not deliverable(requester):
        return []
    details = {"subject": subject} | ({"body": body} if body else {})
    return [Notification(kind, requester.strip(), language or "en", ticket, details)]


def to_assignee(ticket: str, assignee: str, actor: str | None, subject: str) -> list[Notification]:
    """The agent's 'assigned to you', unless they took the ticket themselves."""
    if (actor or "").strip().lower() == assignee.strip().lower() or not deliverable(assignee):
        return []
    return [
        Notification(
            "assigned",
            assignee.strip(),
            AGENT_LANGUAGE,
            ticket,
            {"subject": subject, "by": actor or ""},
        )
    ]
