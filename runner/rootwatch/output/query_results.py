"""Formatting the rows of ``rootwatch query run`` (a plain table, not a graded result)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rootwatch.grading import dimension_text

QUERY_FORMATS = ("text", "csv", "json", "md", "none")


def _cells(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [[dimension_text(v) if v is not None else "" for v in row] for row in rows]


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
        writer.writerow(columns)
        writer.writerows(_cells(rows))
        return buffer.getvalue()
    from tabulate import tabulate

    if fmt == "md":
        from rootwatch.output.markdown import cell

        return tabulate([[cell(v) for v in r] for r in _cells(rows)], headers=list(columns), tablefmt="github") + "\n"
    table = tabulate(_cells(rows), headers=list(columns), tablefmt="simple", disable_numparse=True)
    count = len(rows)
    return f"{table}\n\n{count} row{'s' if count != 1 else ''}\n"
