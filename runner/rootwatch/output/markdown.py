"""The ``md`` format: a Markdown report with a heading per benchmark and a table per control
(status, then the account with its name and the other dimensions, the reason, the resource)."""

from __future__ import annotations

from collections.abc import Mapping

from rootwatch.accounts import display_account
from rootwatch.output.text import counts
from rootwatch.results import ControlRun, GroupRun, RunResult
from rootwatch.wording import instant


def cell(value: str | None) -> str:
    """Text safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _control(run: ControlRun, level: int, names: Mapping[str, str]) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {cell(run.node.title)}", "", f"{counts(run.summary)}", ""]
    if run.error:
        lines += [f"**Error:** {cell(run.error)}", ""]
    if run.rows:
        # The account leads, with its name, as in the emailed reports people know.
        dims = [k for k, _ in run.rows[0].dimensions]
        dims = sorted(dims, key=lambda key: key != "account_id")
        header = ["Status", *dims, "Reason", "Resource"]
        lines.append("| " + " | ".join(cell(h) for h in header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in run.rows:
            values = dict(row.dimensions)
            shown = [display_account(values[k], names) if k == "account_id" and values.get(k) else values.get(k) for k in dims]
            lines.append("| " + " | ".join(cell(v) for v in [row.status.value.upper(), *shown, row.reason, row.resource]) + " |")
        lines.append("")
    return lines


def _group(group: GroupRun, level: int, names: Mapping[str, str]) -> list[str]:
    lines = [f"{'#' * min(level, 6)} {cell(group.title)}", "", counts(group.summary), ""]
    if group.description:
        lines += [cell(group.description), ""]
    for child in group.children:
        lines += _group(child, level + 1, names) if isinstance(child, GroupRun) else _control(child, level + 1, names)
    return lines


def render(result: RunResult) -> str:
    ctx = result.context
    names = ctx.account_names
    lines = [
        "# rootwatch report",
        "",
        f"- As of: {instant(ctx.as_of)}",
        f"- Source: {cell(ctx.engine_description)}",
        f"- Summary: {counts(result.summary)}",
        "",
    ]
    for child in result.root.children:
        lines += _group(child, 2, names) if isinstance(child, GroupRun) else _control(child, 2, names)
    return "\n".join(lines).rstrip("\n") + "\n"
