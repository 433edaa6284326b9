"""The ``brief`` format: one line per alarm or error (its account and name first), then the totals."""

from __future__ import annotations

from rootwatch.output import RenderOptions
from rootwatch.output.style import colour_enabled, paint, printable
from rootwatch.output.text import row_subject, summary_lines
from rootwatch.results import RunResult
from rootwatch.status import Status


def render(result: RunResult, options: RenderOptions | None = None) -> str:
    colour = colour_enabled()
    names = result.context.account_names
    lines: list[str] = []
    for _, run in result.control_runs():
        if run.error:
            lines.append(f"{paint('ERROR', Status.ERROR, colour)}  {run.node.id}  {printable(run.error)}")
        for row in run.rows:
            if row.status in (Status.ALARM, Status.ERROR):
                label = paint(row.status.value.upper().ljust(5), row.status, colour)
                subject = row_subject(row, names)
                lines.append("  ".join(part for part in (label, run.node.id, subject, printable(row.reason)) if part))
    lines.append(summary_lines(result, colour)[0])
    return "\n".join(lines) + "\n"
