"""`kb db`: the store's database schema, migrated by Alembic."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.options import home_option, kb_errors, settings_from
from kb.services import build_services


@click.group("db")
def db() -> None:
    """The database behind tickets, users and events (database_url)."""


@db.command("upgrade")
@home_option
def upgrade(home: Path | None) -> None:
    """Apply the schema migrations the database lacks; run it once after installing a new kb."""
    settings = settings_from(home=home)
    with kb_errors():
        services = build_services(settings)
        try:
            result = services.upgrade_database()
        finally:
            services.close()
    if result.changed:
        click.echo(f"database upgraded from {result.before or 'empty'} to revision {result.after}")
    else:
        click.echo(f"database already at revision {result.after}")
