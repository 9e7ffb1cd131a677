"""`kb report`: the managers' readouts in the terminal, as JSON, or their tables as CSV."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from kb.cli.options import home_option, home_services
from kb.insights.export import table_csv
from kb.insights.gaps import dismissed_table
from kb.insights.readout import Filters, Number, Readout, Table, parse_period
from kb.insights.reports import REPORTS

# Cells wider than this are cut in the terminal (JSON and CSV keep everything).
CELL_CHARACTERS = 40


@click.command()
@click.argument("report", type=click.Choice(REPORTS), default=REPORTS[0])
@click.option("--since", help="First day of the period, e.g. 2026-11-01 (UTC).")
@click.option("--until", help="Last day of the period, included (default: today).")
@click.option("--days", help="The last N days instead of --since/--until (default 30).")
@click.option("--category", help="Only this category.")
@click.option("--language", help="Only this language code.")
@click.option("--table", "table_key", help="With --csv: only the table with this key.")
@click.option("--json", "as_json", is_flag=True, help="Print the readout as JSON (the API's).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the report's tables as CSV.")
@click.option(
    "--dismiss",
    "dismiss_text",
    metavar="TEXT",
    help="gaps: leave the gap named by TEXT (its search), and those close to it in meaning, "
    "out of the report from now on.",
)
@click.option("--by", "actor", help="With --dismiss: who dismisses it (your email, say).")
@click.option(
    "--restore",
    "restore_number",
    type=click.IntRange(min=1),
    metavar="NUMBER",
    help="gaps: report the dismissed gap NUMBER again (--dismissed lists them).",
)
@click.option(
    "--dismissed",
    "only_dismissed",
    is_flag=True,
    help="gaps: list only the dismissed gaps (as a table, or with --json or --csv).",
)
@home_option
def report(
    report: str,
    since: str | None,
    until: str | None,
    days: str | None,
    category: str | None,
    language: str | None,
    table_key: str | None,
    as_json: bool,
    as_csv: bool,
    dismiss_text: str | None,
    actor: str | None,
    restore_number: int | None,
    only_dismissed: bool,
    home: Path | None,
) -> None:
    """Show one of the managers' reports (default: the overview); dismiss a content gap,
    put one back, or list the dismissed ones (`kb report gaps --dismiss TEXT --by EMAIL`)."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if table_key and not as_csv:
        raise click.UsageError("--table chooses the table --csv prints: add --csv")
    changing = dismiss_text is not None or restore_number is not None
    _check_gap_options(report, dismiss_text, actor, restore_number, only_dismissed)
    with home_services(home) as services:
        gaps = services.insights.content_gaps
        if dismiss_text is not None:
            dismissal = gaps.dismiss(dismiss_text, actor or "")
            click.echo(
                f"Dismissed gap {dismissal.id}: {dismissal.text!r}; it and the searches close to "
                f"it in meaning are left out of the gaps report (`kb report gaps --restore "
                f"{dismissal.id}` puts it back)."
            )
        if restore_number is not None:
            gaps.restore(restore_number)
            click.echo(f"Gap {restore_number} is reported again.")
        if changing:
            return
        if only_dismissed:
            click.echo(table_text(dismissed_table(gaps.dismissed()), as_json, as_csv), nl=False)
            return
        insights = services.insights
        period = parse_period(since, until, days, insights.today())
        filters = Filters(category=category or None, language=language or None)
        readout = insights.readout(report, period, filters)
        if as_json:
            click.echo(json.dumps(readout.to_json(), indent=2, ensure_ascii=False))
        elif as_csv:
            click.echo(csv_text(readout, table_key), nl=False)
        else:
            click.echo(render(readout, demo=services.demo))


def _check_gap_options(
    report: str,
    dismiss_text: str | None,
    actor: str | None,
    restore_number: int | None,
    only_dismissed: bool,
) -> None:
    """Refuse the gap options outside the gaps report, or mixed, saying what to type."""
    chosen = [
        name
        for name, given in (
            ("--dismiss", dismiss_text is not None),
            ("--restore", restore_number is not None),
            ("--dismissed", only_dismissed),
        )
        if given
    ]
    if chosen and report != "gaps":
        raise click.UsageError(
            f"{chosen[0]} is for the gaps report: kb report gaps {chosen[0]} ..."
        )
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {' and '.join(chosen)}")
    if dismiss_text is not None and not (actor or "").strip():
        raise click.UsageError(
            "say who dismisses the gap, shown beside it in the dismissed gaps: --by you@example.com"
        )
    if actor and dismiss_text is None:
        raise click.UsageError("--by goes with --dismiss")


def table_text(table: Table, as_json: bool, as_csv: bool) -> str:
    """One table alone: as JSON (the API's shape), CSV, or lines for the terminal."""
    if as_json:
        return json.dumps(table.to_json(), indent=2, ensure_ascii=False) + "\n"
    if as_csv:
        return table_csv(table)
    return "\n".join(_table_lines(table)) + "\n"


def csv_text(readout: Readout, table_key: str | None) -> str:
    """One table as CSV; every table, each after a `# key: title` line, without `table_key`."""
    if table_key:
        return table_csv(readout.table(table_key))
    return "\n".join(
        f"# {table.key}: {table.title}\n{table_csv(table)}" for table in readout.tables
    )


def render(readout: Readout, *, demo: bool = False) -> str:
    """The readout as text: its period, headline numbers with the previous period's, tables."""
    period, previous = readout.period, readout.period.previous()
    lines = [
        f"{readout.title}: {period.since} to {period.until} ({period.days} days), compared "
        f"with {previous.since} to {previous.until}",
        f"Filters: category {readout.filters.category or 'all'}, "
        f"language {readout.filters.language or 'all'}",
    ]
    if demo:
        lines.append("Demo data: this KB home holds the simulated traffic of `kb demo`.")
    lines.extend(str(note) for note in readout.notes)
    if readout.numbers:
        lines.append("")
        width = max(len(str(number.label)) for number in readout.numbers)
        for number in readout.numbers:
            lines.append(f"{str(number.label):<{width}}  {_number_line(number)}")
            if number.note:
                lines.append(f"{'':<{width}}  {number.note}")
    for table in readout.tables:
        lines.extend(["", *_table_lines(table)])
    return "\n".join(lines)


def _number_line(number: Number) -> str:
    shown = format_value(number.value, number.kind)
    before = format_value(number.previous, number.kind)
    change = number.change
    if change is None:
        return f"{shown}  (previous {before})"
    if number.kind == "rate":
        difference = f"{change * 100:+.1f} points"
    elif number.kind == "count":
        difference = f"{change:+,.0f}"
    else:
        difference = f"{change:+,.2f}"
    return f"{shown}  (previous {before}, {difference})"


def _table_lines(table: Table) -> list[str]:
    title = str(table.title)
    lines = [title, "-" * len(title)]
    if table.note:
        lines.append(str(table.note))
    if not table.rows:
        return [*lines, str(table.empty)]
    header = [str(column.label) for column in table.columns]
    body = [[_cell(row, column.key, column.kind) for column in table.columns] for row in table.rows]
    widths = [max(len(line[index]) for line in [header, *body]) for index in range(len(header))]
    for line in [header, *body]:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    return lines


def _cell(row: Mapping[str, Any], key: str, kind: str) -> str:
    text = format_value(row.get(key), kind)
    if len(text) > CELL_CHARACTERS:
        return text[: CELL_CHARACTERS - 1] + "…"
    return text


def format_value(value: Any, kind: str) -> str:
    """A value as the terminal shows it: rates as percentages, counts with separators."""
    if value is None:
        return "no data"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if kind == "rate":
            return f"{value * 100:.1f}%"
        if kind == "count":
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "; ".join(format_value(item, "text") for item in value)
    return str(value)
