"""The ``md`` format: a Markdown report with a heading per benchmark and a table per control."""

from __future__ import annotations

from rootwatch.output.text import counts
from rootwatch.results import ControlRun, GroupRun, RunResult


def cell(value: str | None) -> str:
    """Text safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _control(run: ControlRun, level: int) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {cell(run.node.title)}", "", f"{counts(run.summary)}", ""]
    if run.error:
        lines += [f"**Error:** {cell(run.error)}", ""]
    if run.rows:
        dims = [k for k, _ in run.rows[0].dimensions]
        header = ["Status", "Resource", "Reason", *dims]
        lines.append("| " + " | ".join(cell(h) for h in header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in run.rows:
            values = [row.status.value.upper(), row.resource, row.reason, *[v for _, v in row.dimensions]]
            lines.append("| " + " | ".join(cell(v) for v in values) + " |")
        lines.append("")
    return lines


def _group(group: GroupRun, level: int) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {cell(group.title)}", "", counts(group.summary), ""]
    if group.description:
        lines += [cell(group.description), ""]
    for child in group.children:
        lines += _group(child, level + 1) if isinstance(child, GroupRun) else _control(child, level + 1)
    return lines


def render(result: RunResult) -> str:
    ctx = result.context
    lines = [
        "# rootwatch report",
        "",
        f"- As of: {ctx.as_of.isoformat()}",
        f"- Source: {cell(ctx.engine_description)}",
        f"- Summary: {counts(result.summary)}",
        "",
    ]
    for child in result.root.children:
        lines += _group(child, 2) if isinstance(child, GroupRun) else _control(child, 2)
    return "\n".join(lines).rstrip("\n") + "\n"
