"""The errors kb raises; each message says what went wrong and what to do about it.

Edges translate them, each in one place: the web maps every class to a status (kb.web.errors),
the CLI prints the message on one line (kb.cli.options).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.model import Article


class KbError(Exception):
    """Base of every error kb raises on purpose.

    The message is English, for logs, the CLI and the API. `key` names the problem and `data`
    holds its values, so an interface that words problems itself (the portal, in the reader's
    language) can say the same thing; errors without a key are shown by their message.
    """

    def __init__(self, message: str = "", *, key: str | None = None, **data: object) -> None:
        super().__init__(message)
        self.key = key
        self.data = data


class ConfigError(KbError):
    """A setting has a value kb cannot use."""


class ArticleParseError(KbError):
    """A knowledge source could not be read; carries the file and line."""

    def __init__(self, path: PurePath | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else f"{self.path}"
        super().__init__(f"{where}: {problem}")


class InvalidInputError(KbError):
    """Input that kb cannot take as given; the message names the field and what to change.

    Messages are written for the person who sent the input, so edges show them as they are.
    """

    def __init__(
        self, message: str, field: str | None = None, *, key: str | None = None, **data: object
    ) -> None:
        self.field = field
        super().__init__(message, key=key, **data)


class InputTooLargeError(InvalidInputError):
    """A request body or value past kb's limits."""


class QueryError(InvalidInputError):
    """A search request cannot be run as given."""


class TicketRecordError(InvalidInputError):
    """An exported ticket record cannot become a Ticket; the message names the field."""


class NotFoundError(KbError):
    """The ticket, article, user, token or revision asked for does not exist (for this reader).

    Not a LookupError on purpose: a KeyError from a bug must not read as "no such thing".
    """


class ConflictError(KbError):
    """What a change was based on has changed meanwhile, or the thing is not in a state that
    allows the change (reopening an open ticket); nothing was saved.

    For an article: `current_text` is the text now on disk, `current` the article parsed from
    it (None when it does not parse), `current_digest` its digest, and `changed_by` and
    `changed_at` who saved it and when (None: someone outside kb).
    """

    def __init__(
        self,
        message: str,
        *,
        article_id: str = "",
        current_text: str = "",
        current_digest: str = "",
        current: Article | None = None,
        changed_by: str | None = None,
        changed_at: datetime | None = None,
    ) -> None:
        self.article_id = article_id
        self.current_text = current_text
        self.current_digest = current_digest
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(message)


class BusyError(KbError):
    """Another writer holds a lock for longer than kb waits; trying again shortly works."""


class IndexLockedError(BusyError):
    """Another writer holds the index lock."""


class IndexNotFoundError(KbError):
    """No index generation exists yet in the KB home."""

    def __init__(self, home: Path) -> None:
        super().__init__(
            f"no index in {home}; run `kb index --home {home}` first "
            "(or set KB_HOME to the folder that holds your index)"
        )


class IndexMismatchError(KbError):
    """The index was built with settings that do not match the current ones."""


class DatabaseSchemaError(KbError):
    """The database is not at the schema revision this kb needs."""


class DependencyMissingError(KbError):
    """An optional package is not installed."""

    def __init__(self, package: str, purpose: str) -> None:
        super().__init__(f"install {package} to enable {purpose} (pip install {package})")


class TargetNotEmptyError(KbError):
    """`kb migrate` was pointed at a database or folder that already holds a KB."""
