"""Formatting the rows of ``rootwatch query run`` (a plain table, not a graded result)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rootwatch.grading import dimension_text
from rootwatch.output.style import printable, spreadsheet_safe

QUERY_FORMATS = ("text", "csv", "json", "md", "none")


def _cells(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [[dimension_text(v) if v is not None else "" for v in row] for row in rows]


def _csv_cells(row: Sequence[Any]) -> list[str]:
    """A row for a CSV meant for spreadsheets: text that would be read as a formula gets a leading
    apostrophe; numbers (``-2`` is a number to a spreadsheet, not a formula) stay as they are."""
    cells = _cells([row])[0]
    return [
        cell if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else spreadsheet_safe(cell)
        for value, cell in zip(row, cells)
    ]


def _terminal_cells(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    """Cells safe to print: query rows carry account data, whose escape sequences could clear the
    screen or retitle the window; control characters are shown as visible escapes."""
    return [[printable(cell) for cell in row] for row in _cells(rows)]


def render_query(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """The rows in ``fmt``; JSON keeps native types (numbers, booleans, nested JSON)."""
    if fmt == "none":
        return ""
    if fmt == "json":
        records = [dict(zip(columns, row)) for row in rows]
        return json.dumps(records, indent=2, default=str) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([spreadsheet_safe(c) for c in columns])
        # The csv module quotes a field holding "\n" (the line terminator) but not a bare "\r", which
        # readers take for a line end too: a row with one is written with every field quoted.
        quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        for row in rows:
            cells = _csv_cells(row)
            (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
        return buffer.getvalue()
    from tabulate import tabulate

    if fmt == "md":
        from rootwatch.output.markdown import cell

        return tabulate([[cell(v) for v in r] for r in _terminal_cells(rows)], headers=[printable(c) for c in columns], tablefmt="github") + "\n"
    table = tabulate(_terminal_cells(rows), headers=[printable(c) for c in columns], tablefmt="simple", disable_numparse=True)
    count = len(rows)
    return f"{table}\n\n{count} row{'s' if count != 1 else ''}\n"
