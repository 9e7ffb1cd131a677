"""The errors kb raises; each message says what went wrong and what to do about it."""

from __future__ import annotations

from pathlib import Path, PurePath


class KbError(Exception):
    """Base of every error kb raises on purpose."""


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


class IndexNotFoundError(KbError):
    """No index generation exists yet in the KB home."""

    def __init__(self, home: Path) -> None:
        super().__init__(
            f"no index in {home}; run `kb index --home {home}` first "
            "(or set KB_HOME to the folder that holds your index)"
        )


class IndexLockedError(KbError):
    """Another writer holds the index lock."""


class IndexMismatchError(KbError):
    """The index was built with settings that do not match the current ones."""


class QueryError(KbError):
    """A search request cannot be run as given."""


class DependencyMissingError(KbError):
    """An optional package is not installed."""

    def __init__(self, package: str, purpose: str) -> None:
        super().__init__(f"install {package} to enable {purpose} (pip install {package})")
