"""What every `kb` command shares: the --home option, settings, and kb errors as one clear line."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from kb.config import Settings, load_settings
from kb.errors import KbError
from kb.services import Services, build_services

F = TypeVar("F", bound=Callable[..., Any])


def home_option(function: F) -> F:
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="KB home folder (default: $KB_HOME or ./.kb).",
    )(function)


@contextmanager
def kb_errors() -> Iterator[None]:
    """Turn kb's own errors into one clear line and a non-zero exit."""
    try:
        yield
    except KbError as error:
        raise click.ClickException(str(error)) from None


def settings_from(**overrides: Any) -> Settings:
    with kb_errors():
        return load_settings(overrides)


@contextmanager
def home_services(home: Path | None) -> Iterator[Services]:
    """Services on the KB home, closed afterwards; a KbError raised while building or using
    them (a bad setting, say) is one line, never a traceback."""
    with kb_errors():
        services = build_services(settings_from(home=home))
        try:
            yield services
        finally:
            services.close()


@contextmanager
def evaluation_services(home: Path | None) -> Iterator[Services]:
    """Services on `home`, or on a temporary home removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as scratch:
        settings = settings_from(home=home or Path(scratch))
        with kb_errors():
            services = build_services(settings)
        try:
            yield services
        finally:
            services.close()
