"""The ``text`` format: a readable tree of benchmarks, controls and results, then a summary.

Not-assessed benchmark items collapse to one line each, so a CIS run stays readable; every graded
result shows its status, reason and dimension values.
"""

from __future__ import annotations

from rootwatch.execution import NOT_ASSESSED
from rootwatch.output.style import bold, colour_enabled, paint, printable
from rootwatch.results import ControlRun, GroupRun, RunResult, StatusSummary
from rootwatch.status import STATUS_ORDER, Status


def counts(summary: StatusSummary, colour: bool = False) -> str:
    """Non-zero counts in reading order, e.g. ``alarm 2  ok 5``."""
    values = summary.as_dict()
    parts = [paint(f"{s.value} {values[s.value]}", s, colour) for s in STATUS_ORDER if values[s.value]]
    return "  ".join(parts) if parts else "no results"


def _not_assessed(run: ControlRun) -> bool:
    return (
        run.node.control is None
        and len(run.rows) == 1
        and run.rows[0].status is Status.SKIP
        and run.rows[0].reason.startswith(NOT_ASSESSED)
    )


def _control_lines(run: ControlRun, depth: int, colour: bool) -> list[str]:
    pad = "  " * depth
    if _not_assessed(run):
        return [f"{pad}- {printable(run.node.title)}  " + paint("skip (not assessed by this mod)", Status.SKIP, colour)]
    lines = [f"{pad}+ {bold(printable(run.node.title), colour)}  {counts(run.summary, colour)}"]
    if run.error:
        lines.append(f"{pad}  | {paint('ERROR', Status.ERROR, colour)}  {printable(run.error)}")
    for row in run.rows:
        label = paint(row.status.value.upper().ljust(5), row.status, colour)
        dims = " ".join(printable(v) for _, v in row.dimensions if v)
        suffix = f"  [{dims}]" if dims else ""
        lines.append(f"{pad}  | {label}  {printable(row.reason)}{suffix}")
    return lines


def _group_lines(group: GroupRun, depth: int, colour: bool) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}+ {bold(printable(group.title), colour)}  {counts(group.summary, colour)}"]
    for child in group.children:
        if isinstance(child, GroupRun):
            lines.extend(_group_lines(child, depth + 1, colour))
        else:
            lines.extend(_control_lines(child, depth + 1, colour))
    return lines


def summary_lines(result: RunResult, colour: bool = False) -> list[str]:
    """The closing summary: totals, the as-of instant and the data source."""
    ctx = result.context
    summary = result.summary
    controls = sum(1 for _ in result.control_runs())
    values = summary.as_dict()
    totals = "  ".join(paint(f"{s.value} {values[s.value]}", s, colour and values[s.value] > 0) for s in STATUS_ORDER)
    source = ctx.engine_description
    if ctx.snapshot is not None:
        source += f" (captured {ctx.snapshot.captured_at.isoformat()})"
    return [
        f"Summary  {totals}   ({summary.total} results from {controls} controls)",
        f"As of    {ctx.as_of.isoformat()}",
        f"Source   {source}",
    ]


def render(result: RunResult) -> str:
    colour = colour_enabled()
    lines: list[str] = []
    for child in result.root.children:
        if isinstance(child, GroupRun):
            lines.extend(_group_lines(child, 0, colour))
        else:
            lines.extend(_control_lines(child, 0, colour))
        lines.append("")
    lines.extend(summary_lines(result, colour))
    return "\n".join(lines) + "\n"
