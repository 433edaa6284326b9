"""The ``cis-csv`` format: the CIS table for auditors as one rectangular CSV.

One row per CIS recommendation, every CIS benchmark of the run one after the other. Each row
repeats what it was graded against (``cis_version``, ``benchmark``, ``as_of``,
``snapshot_captured_at``, ``source``) and a one-line summary of the evidence prerequisites, so the
file stays a plain table (no comment or note lines that a CSV reader would take for data) and a
row copied elsewhere keeps its context. Columns and result rules: docs/reports.md.
"""

from __future__ import annotations

import csv
import io

from rootwatch.output.cis_table import FLAT_COLUMNS, cis_report, prerequisite_text
from rootwatch.results import RunResult

# A cell starting with one of these is a formula to a spreadsheet; the CSV is meant to be opened
# in one, and evidence carries text from the audited accounts.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text``, with a leading apostrophe when a spreadsheet would evaluate it as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def render(result: RunResult) -> str:
    report = cis_report(result, "cis-csv")
    captured = report.captured_at.isoformat() if report.captured_at else ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["cis_version", "benchmark", *(c.key for c in FLAT_COLUMNS), "as_of", "snapshot_captured_at", "source", "prerequisites"]
    )
    for table in report.tables:
        prerequisites = " | ".join(prerequisite_text(note) for note in table.prerequisites)
        for row in table.rows:
            cells = [table.cis_version, table.benchmark_id, *(c.cell(row) for c in FLAT_COLUMNS)]
            cells += [report.as_of.isoformat(), captured, report.source, prerequisites]
            writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()
