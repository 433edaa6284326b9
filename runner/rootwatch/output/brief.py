"""The ``brief`` format: one line per alarm or error, then the totals."""

from __future__ import annotations

from rootwatch.output.style import colour_enabled, paint, printable
from rootwatch.output.text import summary_lines
from rootwatch.results import RunResult
from rootwatch.status import Status


def render(result: RunResult) -> str:
    colour = colour_enabled()
    lines: list[str] = []
    for _, run in result.control_runs():
        if run.error:
            lines.append(f"{paint('ERROR', Status.ERROR, colour)}  {run.node.id}  {printable(run.error)}")
        for row in run.rows:
            if row.status in (Status.ALARM, Status.ERROR):
                dims = " ".join(printable(v) for _, v in row.dimensions if v)
                label = paint(row.status.value.upper().ljust(5), row.status, colour)
                lines.append(f"{label}  {run.node.id}  {dims}  {printable(row.reason)}".replace("   ", "  "))
    lines.append(summary_lines(result, colour)[0])
    return "\n".join(lines) + "\n"
