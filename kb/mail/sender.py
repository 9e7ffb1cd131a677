"""Sending the outbox: an SMTP transport, and a sender that retries and runs beside the portal.

Nothing here runs inside a request: the ticket store only records notifications, and the
sender (a thread in each portal worker, or `kb mail send`) delivers them after the commit.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from kb.background import Repeating
from kb.config import Settings
from kb.errors import ConfigError
from kb.mail.compose import compose
from kb.store.outbox import Outbox

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30.0
# A claimed message is another sender's to retry once this has passed without an answer:
# longer than one attempt can take.
LEASE = timedelta(seconds=4 * SMTP_TIMEOUT_SECONDS)
# The sender looks at the outbox at least this often, for retries and for notifications
# written by another process.
POLL_SECONDS = 30.0


class SmtpTransport:
    """Sends messages through the mail server of the settings, one connection per batch."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None:
            raise ConfigError("set `smtp_host` (and `mail_from`, `portal_url`) to send mail")
        self.settings = settings

    def open(self) -> smtplib.SMTP:
        settings = self.settings
        host = str(settings.smtp_host)
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if settings.smtp_security == "tls":
            connection = smtplib.SMTP_SSL(
                host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            connection = smtplib.SMTP(host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if settings.smtp_security == "starttls":
                connection.starttls(context=context)
            if settings.smtp_user is not None:
                connection.login(settings.smtp_user, settings.smtp_password or "")
        except BaseException:
            connection.close()
            raise
        return connection


def refused(error: Exception) -> bool:
    """Whether the server refused the recipient for good (5xx): trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    return False


@dataclass(frozen=True)
class Delivery:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


class MailSender:
    """Delivers due notifications; a failure is retried later with a growing delay."""

    def __init__(self, settings: Settings, outbox: Outbox, transport: SmtpTransport) -> None:
        if settings.mail_from is None or settings.portal_url is None:
            raise ConfigError("set `mail_from` and `portal_url` to send mail")
        self.sender = settings.mail_from
        self.portal_url = settings.portal_url
        self.outbox = outbox
        self.transport = transport
        self._repeating = Repeating(
            "kb-mail",
            self.send_due,
            self._wait_seconds,
            "the mail sender could not read the outbox; trying again",
            log,
        )

    def send_due(self, now: datetime | None = None) -> Delivery:
        """Send every message due at `now` (default: now); each is claimed first."""
        messages = self.outbox.claim(LEASE, now=now)
        if not messages:
            return Delivery()
        sent = retrying = failed = 0
        connection: smtplib.SMTP | None = None
        try:
            for message in messages:
                email = compose(message.notification, self.portal_url, self.sender)
                try:
                    connection = connection or self.transport.open()
                    self._send(connection, email)
                except (OSError, smtplib.SMTPException) as error:
                    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
                        connection = None
                    reason = f"{type(error).__name__}: {error}"
                    log.warning(
                        "mail to %s about %s not sent: %s",
                        email["To"],
                        message.notification.ticket,
                        reason,
                    )
                    if self.outbox.undelivered(message.id, reason, now, final=refused(error)):
                        retrying += 1
                    else:
                        failed += 1
                    continue
                self.outbox.delivered(message.id)
                sent += 1
        finally:
            if connection is not None:
                try:
                    connection.quit()
                except (OSError, smtplib.SMTPException):
                    connection.close()
        return Delivery(sent=sent, retrying=retrying, failed=failed)

    @staticmethod
    def _send(connection: smtplib.SMTP, email: EmailMessage) -> None:
        refused = connection.send_message(email)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def wake(self) -> None:
        """Something was written to the outbox: look now rather than at the next poll."""
        self._repeating.wake()

    def start(self) -> None:
        """Send in a background thread of this process until `stop`."""
        self._repeating.start()

    def stop(self) -> None:
        self._repeating.stop()

    def _wait_seconds(self) -> float:
        try:
            due = self.outbox.next_due()
        except Exception:
            log.exception("the mail sender could not read the outbox")
            return POLL_SECONDS
        if due is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max((due - datetime.now(UTC)).total_seconds(), 0.1))
