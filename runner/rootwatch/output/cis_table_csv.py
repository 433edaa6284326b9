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
from rootwatch.output.style import spreadsheet_safe
from rootwatch.results import RunResult


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
