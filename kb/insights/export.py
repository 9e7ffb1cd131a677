"""Readout tables as CSV text, for the insights pages' downloads and `kb report --csv`."""

from __future__ import annotations

import csv
import io

from kb.insights.readout import Table


def table_csv(table: Table) -> str:
    """The table as CSV: a header of column labels, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(table.csv_rows())
    return out.getvalue()
