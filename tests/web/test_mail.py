"""Outbound mail against a real SMTP server (aiosmtpd on 127.0.0.1): the requester hears that
the request arrived, was answered and was resolved, in their language with a link; an agent
hears of a ticket someone else assigned them; a mail server that is down delays mail, never a
request, and the message goes out once it is back.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kb.mail.sender import Delivery
from kb.services import Services, build_services
from kb.store.tickets import NewTicket
from kb.web import create_app
from tests.helpers import FormClient

pytestmark = pytest.mark.model

PORTAL = "https://help.example.com"


class Mailbox:
    """aiosmtpd's handler: keeps every message the server accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smtp_server(port: int) -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, mailbox


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def mailing(writable_kb: Services, port: int) -> Iterator[Services]:
    """kb with mail on, sending to 127.0.0.1:`port` (no server there until a test starts one).

    On a private copy of the index: resolving a ticket indexes its note.
    """
    settings = replace(
        writable_kb.settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        mail_from="IT Help Centre <help@example.com>",
        portal_url=PORTAL,
    )
    services = build_services(settings, writable_kb.embedder)
    yield services
    services.close()


@pytest.fixture
def mailbox(port: int) -> Iterator[Mailbox]:
    controller, mailbox = smtp_server(port)
    yield mailbox
    controller.stop()


def file_in_spanish(services: Services) -> str:
    app = create_app(services=services, test_config={"TESTING": True})
    app.test_client_class = FormClient
    client = app.test_client()
    filed = client.post(
        "/request",
        data={
            "subject": "La impresora no imprime",
            "description": "Los trabajos se quedan en la cola desde esta mañana.",
            "requester_email": "rita@example.com",
            "type": "incident",
            "action": "submit",
        },
        headers={"Accept-Language": "es-ES,es;q=0.9"},
    )
    assert filed.status_code == 302, filed.get_data(as_text=True)
    page = client.get(filed.location, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Le escribiremos a <strong>rita@example.com</strong>" in page
    return re.search(r"INC-\d{6}", page).group(0)  # type: ignore[union-attr]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_requester_and_agent_hear_of_each_change_in_their_language(
    mailing: Services, mailbox: Mailbox
) -> None:
    number = file_in_spanish(mailing)
    assert mailing.outbox.counts().pending == 1
    assert mailing.mail_sender.send_due() == Delivery(sent=1)
    (received,) = mailbox.messages
    assert received["To"] == "rita@example.com"
    assert received["From"] == "IT Help Centre <help@example.com>"
    assert received["Subject"] == f"[{number}] Hemos recibido su solicitud: La impresora no imprime"
    assert received["Auto-Submitted"] == "auto-generated"
    assert f"{PORTAL}/my/requests/{number}" in text_of(received)

    desk = mailing.desk
    desk.update(number, "priya@example.com", assignee="priya@example.com")  # took it herself
    desk.update(number, "priya@example.com", assignee="omar@example.com")
    desk.note(number, "omar@example.com", "Internal: spooler on PRN-3 is stuck.")
    desk.note(number, "omar@example.com", "Reinicie la impresora, por favor.", reply=True)
    desk.resolve(number, "omar@example.com", "Se reinició la cola de impresión de PRN-3.")
    assert mailing.mail_sender.send_due() == Delivery(sent=3)
    assigned, answered, resolved = mailbox.messages[1:]
    assert assigned["To"] == "omar@example.com"
    assert assigned["Subject"] == f"[{number}] Assigned to you: La impresora no imprime"
    assert f"{PORTAL}/desk/tickets/{number}" in text_of(assigned)
    assert "priya@example.com assigned you" in text_of(assigned)
    assert answered["To"] == resolved["To"] == "rita@example.com"
    assert answered["Subject"].startswith(f"[{number}] El servicio de asistencia respondió")
    assert "Reinicie la impresora, por favor." in text_of(answered)
    assert "spooler" not in text_of(answered)
    assert resolved["Subject"] == f"[{number}] Resuelta: La impresora no imprime"
    assert "Se reinició la cola de impresión de PRN-3." in text_of(resolved)
    # One thread per ticket in the requester's mail program.
    assert received["References"] == answered["References"] == resolved["References"]
    assert mailing.outbox.counts().pending == 0


def test_a_mail_server_that_is_down_delays_the_mail_not_the_request(
    mailing: Services, port: int
) -> None:
    number = file_in_spanish(mailing)  # nobody listens on the port: the request is filed
    assert mailing.tickets.get(number) is not None
    assert mailing.mail_sender.send_due() == Delivery(retrying=1)
    assert mailing.mail_sender.send_due() == Delivery()  # not due again yet
    controller, mailbox = smtp_server(port)
    try:
        later = datetime.now(UTC) + timedelta(minutes=2)
        assert mailing.mail_sender.send_due(later) == Delivery(sent=1)
    finally:
        controller.stop()
    assert [message["To"] for message in mailbox.messages] == ["rita@example.com"]
    assert mailing.outbox.counts().sent == 1


def test_the_sender_thread_mails_once_the_change_commits(
    mailing: Services, mailbox: Mailbox
) -> None:
    mailing.mail_sender.start()
    ticket = mailing.tickets.create(
        NewTicket("Monitor flickers", "Since the update.", "sam@example.com", language="en")
    )
    deadline = time.monotonic() + 20
    while not mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    mailing.mail_sender.stop()
    (message,) = mailbox.messages
    assert message["Subject"] == f"[{ticket.number}] We received your request: Monitor flickers"


def test_without_a_mail_server_nothing_is_queued_and_the_page_says_where_answers_go(
    portal_services: Services, client: FormClient
) -> None:
    filed = client.post(
        "/request",
        data={
            "subject": "Need a monitor",
            "description": "A second screen, please.",
            "requester_email": "sam@example.com",
            "type": "service_request",
            "action": "submit",
        },
    )
    page = client.get(filed.location).get_data(as_text=True)
    assert "The answer appears under My requests" in page and "We email you" not in page
    assert portal_services.outbox.counts().pending == 0
