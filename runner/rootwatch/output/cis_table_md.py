"""The ``cis-md`` format: the CIS table for auditors in Markdown (GitHub-flavoured tables).

A section per CIS benchmark of the run: what it was graded against, the item counts per result,
the evidence prerequisites as a quoted note (they are not CIS items), the table, then each
assessed item's remediation as a text block (commands keep their line breaks there, which a table
cell cannot). Columns and result rules: docs/reports.md.
"""

from __future__ import annotations

import re

from rootwatch.output.cis_table import (
    CisReport,
    CisRow,
    CisTable,
    CisResult,
    account_list,
    cis_report,
    counts_text,
    prerequisite_text,
    undecided_text,
)
from rootwatch.results import RunResult

HEADER = (
    "Item", "Section", "Recommendation", "Level", "Assessment", "Result", "Passing", "Failing", "Other accounts", "Evidence",
)

# Characters Markdown would read as formatting (CIS titles contain "*:*"), HTML, or a table border.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def inline(text: str) -> str:
    """``text`` as literal inline Markdown: specials backslash-escaped, newlines as spaces."""
    return _SPECIAL.sub(r"\\\1", text).replace("\r", "").replace("\n", " ")


def cell(lines: list[str] | tuple[str, ...] | str) -> str:
    """A table cell; lines (and line breaks inside them) become <br>, the one piece of HTML that a
    GFM table cell needs."""
    if isinstance(lines, str):
        lines = [lines]
    return "<br>".join(inline(part) for line in lines for part in (line.splitlines() or [""]))


def code(text: str) -> str:
    """A code span for an identifier; anything holding a backtick falls back to escaped text."""
    return f"`{text}`" if text and "`" not in text and "\n" not in text else inline(text)


def fenced(text: str) -> list[str]:
    """A fenced text block whose fence is longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *text.splitlines(), fence]


def _accounts(accounts: tuple[str, ...]) -> str:
    return f"{len(accounts)}: {account_list(accounts)}" if accounts else "0"


def _row(row: CisRow) -> str:
    result = row.result.value
    if row.result in (CisResult.FAIL, CisResult.ERROR):
        result = f"**{result}**"
    cells = [
        cell(row.item),
        cell(row.section),
        cell(row.title),
        cell(row.level),
        cell(row.assessment),
        result,
        cell(_accounts(row.verdict.passing)),
        cell(_accounts(row.verdict.failing)),
        cell(undecided_text(row.verdict)),
        cell(row.verdict.evidence),
    ]
    return "| " + " | ".join(cells) + " |"


def _table(table: CisTable) -> list[str]:
    lines = [
        f"## {inline(table.benchmark_title)} ({code(table.benchmark_id)})",
        "",
        f"CIS version {inline(table.cis_version)}: {inline(table.items_text())}; results: {inline(counts_text(table))}.",
        "",
    ]
    for note in table.prerequisites:
        lines.append(f"> **{inline(note.group_title)}**: {inline(prerequisite_text(note))}")
        lines += [f"> - {inline(line)}" for line in note.verdict.evidence]
        lines.append("")
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "---|" * len(HEADER))
    lines += [_row(row) for row in table.rows]
    lines.append("")
    assessed = [row for row in table.rows if row.remediation]
    if assessed:
        lines += ["### Remediation", ""]
        for row in assessed:
            lines += [f"#### {inline(row.item)} {inline(row.title)}", "", f"Control {code(row.control or '')}:", ""]
            lines += [*fenced(row.remediation), ""]
    return lines


def _header(report: CisReport) -> list[str]:
    captured = report.captured_at.isoformat() if report.captured_at else "live endpoint (no snapshot)"
    return [
        "# CIS table for auditors",
        "",
        f"- As of: {report.as_of.isoformat()}",
        f"- Snapshot captured at: {inline(captured)}",
        f"- Data source: {inline(report.source)}",
        f"- rootwatch: {inline(report.tool_version)}",
        *([f"- **Partial table**: {inline(report.narrowed)}"] if report.narrowed else []),
        "",
    ]


def render(result: RunResult) -> str:
    report = cis_report(result, "cis-md")
    lines = _header(report)
    for table in report.tables:
        lines += _table(table)
    return "\n".join(lines).rstrip("\n") + "\n"
