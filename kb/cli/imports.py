"""`kb import`: knowledge from other tools' exports."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.options import home_option, home_services
from kb.indexer.sources import read_ticket_export
from kb.indexer.tickets import TICKET_FIELDS


@click.group(name="import")
def import_group() -> None:
    """Bring knowledge in from other tools."""


@import_group.command(name="tickets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(("csv", "jsonl")),
    help="The file's format (default: from its suffix).",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read kb's FIELD from the export's COLUMN, e.g. --map subject=Summary (repeatable).",
)
@click.option("--open", "include_open", is_flag=True, help="Also import tickets not resolved.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; import nothing.")
@click.option(
    "--strict", is_flag=True, help="Import nothing and exit non-zero when any row is bad."
)
@home_option
def import_tickets(
    file: Path,
    file_format: str | None,
    mappings: tuple[str, ...],
    include_open: bool,
    dry_run: bool,
    strict: bool,
    home: Path | None,
) -> None:
    """Import tickets from a CSV or JSON-lines export; resolved ones become knowledge.

    Bad rows are reported by line, with every problem of the row, and skipped; the good rows
    are imported together in one transaction, so a failure part-way imports none. Tickets
    imported before (same id in the other tool) are skipped. With --strict one bad row imports
    nothing and the exit status is 1 (with --dry-run too: a check for CI).
    """
    mapping = _mapping(mappings)
    with home_services(home) as services:
        # The store first: a bad database setting is reported before the file's problems.
        already = {} if dry_run else services.tickets.imported()
        tickets, errors = read_ticket_export(
            file, mapping, file_format=file_format, resolved_only=not include_open
        )
        for error in errors:
            click.echo(f"{'bad row' if strict else 'skipped'} {error}", err=True)
        if strict and errors:
            raise click.ClickException(
                f"{len(errors)} bad row(s) (see above); --strict imported nothing: correct or "
                "remove them, or --map the right columns, and run again"
            )
        if dry_run:
            click.echo(f"{len(tickets)} tickets would be imported, {len(errors)} rows skipped")
            return
        fresh = [ticket for ticket in tickets if ticket.id not in already]
        report = services.desk.import_tickets(fresh, actor="kb import")
    if report is None:
        resolved = sum(1 for ticket in fresh if ticket.resolution)
        indexed = (
            f"{resolved} resolved tickets queued for the index: another writer (`kb index`, "
            "a save) holds it, so they become searchable as soon as it frees (within seconds "
            "while `kb serve` runs, else at the next `kb index`)"
        )
    else:
        indexed = f"{len(report.added) + len(report.updated)} resolved tickets indexed as knowledge"
    click.echo(
        f"imported {len(fresh)} tickets ({len(tickets) - len(fresh)} imported before), "
        f"{len(errors)} rows skipped; {indexed}"
    )


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field_name, separator, column = pair.partition("=")
        if not separator or not field_name.strip() or not column.strip():
            raise click.BadParameter(f"{pair!r}: write FIELD=COLUMN", param_hint="--map")
        if field_name.strip() not in TICKET_FIELDS:
            raise click.BadParameter(
                f"{field_name.strip()!r} is not a ticket field; use one of: "
                + ", ".join(TICKET_FIELDS),
                param_hint="--map",
            )
        mapping[field_name.strip()] = column.strip()
    return mapping
