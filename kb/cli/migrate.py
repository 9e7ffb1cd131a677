"""`kb migrate`: copy the KB (store and index) to PostgreSQL, or to a folder as a backup."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.options import home_option, kb_errors, settings_from
from kb.cli.progress import progress_display
from kb.migration import migrate as migrate_kb
from kb.migration import target_settings


@click.command()
@click.option(
    "--to",
    "destination",
    required=True,
    metavar="URL|FOLDER",
    help="An empty PostgreSQL database (postgresql://user@host/db) or a new folder.",
)
@home_option
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def migrate(destination: str, home: Path | None, quiet: bool) -> None:
    """Copy this KB's tickets, users, events and index (vectors as they are) elsewhere.

    To PostgreSQL, so that many `kb serve` hosts share it; to a folder, for an embedded
    KB again or a backup that `kb migrate --home FOLDER --to ...` restores.
    """
    source = settings_from(home=home)
    with kb_errors(), progress_display("kb migrate", enabled=not quiet) as progress:
        target = target_settings(source, destination)
        done = migrate_kb(source, target, progress)
    if quiet:
        return
    copied = ", ".join(f"{count:,} {table}" for table, count in done.rows.items() if count)
    click.echo(f"copied {copied or 'an empty store'}")
    if done.index is None:
        click.echo("no index to copy: run `kb index` on the copy")
    else:
        click.echo(
            f"copied the index: generation {done.index.generation}, {done.index.documents:,} "
            f"documents, {done.index.chunks:,} chunks, nothing embedded again"
        )
    if done.to_postgres:
        click.echo(
            "serve it with these settings (kb.toml or KB_* variables) on every host: "
            f'database_url = "{done.place}", index_store = "postgresql", '
            'keyword_backend = "postgresql-bm25", vector_backend = "pgvector"'
        )
    else:
        click.echo(
            f'use it with --home {target.home} and index_store = "files", '
            'keyword_backend = "bm25", vector_backend = "faiss", database_url unset'
        )
