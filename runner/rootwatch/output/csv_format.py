"""CSV in Powerpipe's column order.

``group_id, title, description, control_id, control_title, control_description, reason, resource,
status, severity``, then one column per dimension (sorted), then ``account_name`` (the account's
Organizations name or alias) when results carry an ``account_id``, then one per tag (sorted).
Group and control ids are Powerpipe-style full names (``rootwatch.benchmark.<id>``).
"""

from __future__ import annotations

import csv
import io

from rootwatch.output.style import spreadsheet_safe
from rootwatch.results import RunResult, qualified_benchmark, qualified_control

FIXED_COLUMNS = (
    "group_id",
    "title",
    "description",
    "control_id",
    "control_title",
    "control_description",
    "reason",
    "resource",
    "status",
    "severity",
)


def render(result: RunResult) -> str:
    records = result.records()
    dimensions = sorted({key for r in records for key in r.dimensions})
    names = result.context.account_names
    named = ["account_name"] if "account_id" in dimensions else []
    tags = sorted({key for r in records for key in r.tags})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *dimensions, *named, *tags])
    for r in records:
        writer.writerow(
            [
                qualified_benchmark(r.group_id),
                r.group_title,
                r.group_description,
                qualified_control(r.control_id),
                r.control_title,
                r.control_description,
                # Reasons, resources, dimensions and account names carry text from the audited
                # accounts, and this file is opened in spreadsheets: no cell may be a formula.
                spreadsheet_safe(r.reason or ""),
                spreadsheet_safe(r.resource or ""),
                r.status.value,
                r.severity or "",
                *[spreadsheet_safe(r.dimensions.get(d) or "") for d in dimensions],
                *[spreadsheet_safe(names.get(r.dimensions.get("account_id") or "", "")) for _ in named],
                *[r.tags.get(t, "") for t in tags],
            ]
        )
    return buffer.getvalue()
