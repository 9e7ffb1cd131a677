"""`kb index`: bring the index in line with the articles folder and the tickets."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.options import home_option, kb_errors, settings_from
from kb.cli.progress import progress_display
from kb.config import Settings
from kb.errors import ArticleParseError
from kb.indexer.sources import load_articles, load_tickets
from kb.services import build_services


@click.command()
@click.option("--articles", type=click.Path(path_type=Path), help="Articles folder.")
@click.option("--tickets", type=click.Path(path_type=Path), help="Resolved-ticket export.")
@home_option
@click.option(
    "--strict",
    is_flag=True,
    help="Publish nothing and exit non-zero when any file or row is broken.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Only read and validate the sources (for CI on a KB repository): no model, no index.",
)
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only changes.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def index(
    articles: Path | None,
    tickets: Path | None,
    home: Path | None,
    strict: bool,
    check: bool,
    rebuild: bool,
    quiet: bool,
) -> None:
    """Index the articles folder (and a ticket export) into the KB home.

    A broken file or row is reported and left out, and the last good version of an article
    whose file broke stays indexed; with --strict nothing is published until every source
    reads cleanly. --check reads the files as indexing would and reports their problems.
    """
    settings = settings_from(home=home, articles_dir=articles, tickets_file=tickets)
    if check:
        check_sources(settings, quiet=quiet)
        return
    with kb_errors(), progress_display("kb index", enabled=not quiet) as progress:
        services = build_services(settings)

        def strictly(errors: list[ArticleParseError]) -> None:
            if strict and errors:
                refuse(errors, "--strict published nothing")

        report = services.index_files(rebuild=rebuild, progress=progress, check=strictly)
    for error in report.errors:
        click.echo(f"skipped {error}", err=True)
    for document_id in report.kept_after_error:
        click.echo(f"kept the last good version of {document_id}", err=True)
    if not quiet:
        click.echo(
            f"{settings.home}: generation {report.generation}: {report.documents} documents, "
            f"{report.chunks} chunks; {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.removed)} removed, {report.unchanged} unchanged; "
            f"{report.chunks_embedded} chunks embedded in {report.seconds:.1f} s"
        )


def check_sources(settings: Settings, *, quiet: bool) -> None:
    """Read the articles folder and the ticket export as `kb index` would; index nothing.

    kb's own resolved tickets are left out: they were checked when they were saved, and a
    KB repository's CI has no database.
    """
    with kb_errors():
        loaded = [load_articles(settings.articles_dir)]
        if settings.tickets_file is not None:
            loaded.append(load_tickets(settings.tickets_file))
    errors = [error for source in loaded for error in source.errors]
    if errors:
        refuse(errors, "--check indexed nothing")
    if not quiet:
        documents = sum(len(source.documents) for source in loaded)
        click.echo(f"{documents} documents read, no problems: `kb index` would index them all")


def refuse(errors: list[ArticleParseError], outcome: str) -> None:
    """Print each problem as `path:line: problem` and exit non-zero."""
    for error in errors:
        click.echo(str(error), err=True)
    raise click.ClickException(
        f"{len(errors)} problem(s) in the sources (see above); {outcome}: fix them and run again"
    )
