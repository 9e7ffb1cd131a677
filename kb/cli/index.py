"""`kb index`: bring the index in line with the articles folder and the tickets."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.options import home_option, kb_errors, settings_from
from kb.cli.progress import progress_display
from kb.services import build_services


@click.command()
@click.option("--articles", type=click.Path(path_type=Path), help="Articles folder.")
@click.option("--tickets", type=click.Path(path_type=Path), help="Resolved-ticket export.")
@home_option
@click.option("--strict", is_flag=True, help="Exit non-zero when any file or row is broken.")
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only changes.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def index(
    articles: Path | None,
    tickets: Path | None,
    home: Path | None,
    strict: bool,
    rebuild: bool,
    quiet: bool,
) -> None:
    """Index the articles folder (and a ticket export) into the KB home."""
    settings = settings_from(home=home, articles_dir=articles, tickets_file=tickets)
    with kb_errors(), progress_display("kb index", enabled=not quiet) as progress:
        services = build_services(settings)
        report = services.index_files(rebuild=rebuild, progress=progress)
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
    if strict and report.errors:
        raise click.ClickException(
            f"{len(report.errors)} problem(s) in the sources (see above); --strict fails on any"
        )
