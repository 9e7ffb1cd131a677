"""A notification as an email: subject, text and headers in the recipient's language.

The words come from the interface's gettext catalogues (kb/translations), so the requester
reads their mail in the language they used the portal in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from importlib import resources

from babel.support import NullTranslations, Translations

from kb.notifications import Notification


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of `language`; English (the messages as written) when there is none."""
    directory = resources.files("kb") / "translations"
    return Translations.load(str(directory), [language], domain="messages")


def ticket_address(portal_url: str, notification: Notification) -> str:
    """Where the recipient reads the ticket: the requester's page or the desk's."""
    base = portal_url.rstrip("/")
    if notification.kind == "assigned":
        return f"{base}/desk/tickets/{notification.ticket}"
    return f"{base}/my/requests/{notification.ticket}"


def wording(notification: Notification, link: str) -> tuple[str, str]:
    """The subject line and the text of `notification`, in its language."""
    _ = translations(notification.language).gettext
    values = {
        "number": notification.ticket,
        "subject": notification.details.get("subject", ""),
        "link": link,
        "by": notification.details.get("by", "") or "the desk",
    }
    body = notification.details.get("body", "")
    if notification.kind == "received":
        subject = _("[%(number)s] We received your request: %(subject)s")
        lines = [
            _("We received your request %(number)s, “%(subject)s”."),
            _("An agent will look at it soon. Their answer appears on your request's page:"),
            "%(link)s",
        ]
    elif notification.kind == "answered":
        subject = _("[%(number)s] The service desk answered: %(subject)s")
        lines = [
            _("The service desk answered your request %(number)s, “%(subject)s”:"),
            body.replace("%", "%%"),
            _("The whole request and every answer are on its page:"),
            "%(link)s",
        ]
    elif notification.kind == "resolved":
        subject = _("[%(number)s] Resolved: %(subject)s")
        lines = [
            _("Your request %(number)s, “%(subject)s”, is resolved. What fixed it:"),
            body.replace("%", "%%"),
            _("If the problem is back, open a new request and quote %(number)s. Your request:"),
            "%(link)s",
        ]
    elif notification.kind == "assigned":
        subject = "[%(number)s] Assigned to you: %(subject)s"
        lines = ["%(by)s assigned you %(number)s, “%(subject)s”.", "%(link)s"]
    else:
        raise ValueError(f"no wording for a {notification.kind!r} notification")
    text = "\n\n".join(line for line in lines if line) % values
    return subject % values, text + "\n"


def compose(notification: Notification, portal_url: str, sender: str) -> EmailMessage:
    """The email to send for `notification`, from `sender` (`Name <address>` or an address).

    Every message about one ticket refers to the same thread id, so mail programs group a
    request's messages; Auto-Submitted tells auto-responders not to answer (RFC 3834).
    """
    link = ticket_address(portal_url, notification)
    subject, text = wording(notification, link)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = notification.recipient
    domain = Address(addr_spec=parseaddr(sender)[1]).domain or "kb.invalid"
    message["Message-ID"] = make_msgid(domain=domain)
    thread = f"<{notification.ticket.lower()}@{domain}>"
    message["References"] = thread
    message["In-Reply-To"] = thread
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = notification.language
    message["Date"] = format_datetime(datetime.now(UTC))
    message.set_content(text)
    return message
