"""Result tables: printed aligned for people, written as JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb.evaluation.metrics import bootstrap_interval

Cell = str | int | float | None


def mean_with_interval(label: str, values: Sequence[float]) -> str:
    """`label mean [low, high]`: a mean over queries with its seeded bootstrap 95% interval."""
    low, high = bootstrap_interval(values, seed=0)
    return f"{label} {sum(values) / len(values):.4f} [{low:.3f}, {high:.3f}]"


@dataclass
class Table:
    """One benchmark's figures: a title, column names, rows, and notes printed below."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def render(table: Table) -> str:
    cells = [table.columns, *[[_format(cell) for cell in row] for row in table.rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(table.columns))]
    lines = [table.title, "=" * len(table.title)]
    for number, row in enumerate(cells):
        lines.append(
            "  ".join(
                cell.ljust(width) if index == 0 or number == 0 else cell.rjust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines.extend(f"  * {note}" for note in table.notes)
    return "\n".join(lines)


def write_json(path: Path, tables: Sequence[Table], environment: dict[str, Any]) -> None:
    document = {"environment": environment, "results": {t.name: asdict(t) for t in tables}}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _format(cell: Cell) -> str:
    if cell is None:
        return "-"
    if isinstance(cell, float):
        if abs(cell) >= 100:
            return f"{cell:,.0f}"
        if abs(cell) >= 10:
            return f"{cell:.1f}"
        return f"{cell:.2f}"
    if isinstance(cell, int):
        return f"{cell:,}"
    return cell
