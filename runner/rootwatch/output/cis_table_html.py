"""The ``cis-html`` format: the CIS table for auditors as one self-contained HTML page.

No script at all: a section per CIS benchmark of the run with what it was graded against, the item
counts per result, the evidence prerequisites as a note (not CIS items), and the table grouped
under its CIS sections, each remediation folded in a ``<details>``. Every value is escaped.
Columns and result rules: docs/reports.md.
"""

from __future__ import annotations

from rootwatch.output.cis_table import (
    RESULT_ORDER,
    CisReport,
    CisResult,
    CisRow,
    CisTable,
    cis_report,
    prerequisite_text,
)
from rootwatch.output.html_assets import badge, esc, page
from rootwatch.results import RunResult

# Results borrow the status colours: pass is ok, fail is alarm, manual is info.
RESULT_COLOUR = {
    CisResult.PASS: "ok",
    CisResult.FAIL: "alarm",
    CisResult.ERROR: "error",
    CisResult.MANUAL: "info",
    CisResult.NOT_ASSESSED: "skip",
}

HEADER = (
    "Item", "Recommendation", "Level", "Assessment", "Result", "Passing", "Failing", "Other accounts", "Evidence", "Remediation",
)

CSS = """
table.cis { font-size: 13px; }
table.cis tr.section th { background: #e8eaf0; position: static; font-size: 14px; }
table.cis tr.section.depth-1 th, table.cis tr.section.depth-2 th { background: #f1f3f7; font-size: 13px; padding-left: 20px; }
table.cis td.item { white-space: nowrap; font-weight: 600; }
.account { white-space: nowrap; }
ul.evidence { margin: 0; padding-left: 16px; }
details summary { cursor: pointer; color: #0b57d0; }
.counts .badge { margin-right: 6px; }
"""


def _accounts(accounts: tuple[str, ...]) -> str:
    if not accounts:
        return "0"
    ids = ", ".join(f'<span class="account">{esc(a)}</span>' for a in accounts)
    return f'{len(accounts)}<br><span class="muted">{ids}</span>'



def _row(row: CisRow) -> str:
    verdict = row.verdict
    evidence = "".join(f"<li>{esc(line)}</li>" for line in verdict.evidence)
    other = "<br>".join(f'<span class="account">{esc(a.account)}</span> ({esc(a.status.value)})' for a in verdict.undecided)
    remediation = ""
    if row.remediation:
        remediation = (
            f'<details><summary>Remediation</summary><p class="muted">control {esc(row.control or "")}</p>'
            f"<pre>{esc(row.remediation)}</pre></details>"
        )
    cells = [
        f'<td class="item">{esc(row.item)}</td>',
        f"<td>{esc(row.title)}</td>",
        f"<td>{esc(row.level)}</td>",
        f"<td>{esc(row.assessment)}</td>",
        f"<td>{badge(row.result.value, RESULT_COLOUR[row.result])}</td>",
        f"<td>{_accounts(verdict.passing)}</td>",
        f"<td>{_accounts(verdict.failing)}</td>",
        f"<td>{other}</td>",
        f'<td><ul class="evidence">{evidence}</ul></td>',
        f"<td>{remediation}</td>",
    ]
    return f'<tr class="item" data-item="{esc(row.item)}" data-result="{esc(row.result.value)}">{"".join(cells)}</tr>'


def _table(table: CisTable) -> str:
    counts = table.result_counts()
    parts = [
        f'<section class="cis-benchmark" data-benchmark="{esc(table.benchmark_id)}">',
        f"<h2>{esc(table.benchmark_title)} <span class=\"muted\">({esc(table.benchmark_id)})</span></h2>",
        f'<p class="counts">CIS version {esc(table.cis_version)}, {len(table.rows)} items: '
        + " ".join(f"{badge(r.value, RESULT_COLOUR[r])} {counts[r]}" for r in RESULT_ORDER)
        + "</p>",
    ]
    for note in table.prerequisites:
        lines = "".join(f"<li>{esc(line)}</li>" for line in note.verdict.evidence)
        parts.append(
            f'<div class="note prerequisite"><strong>{esc(note.group_title)}</strong>: '
            f'{esc(prerequisite_text(note))}<ul class="evidence">{lines}</ul></div>'
        )
    parts.append('<table class="cis"><thead><tr>' + "".join(f"<th>{h}</th>" for h in HEADER) + "</tr></thead><tbody>")
    shown: tuple[tuple[str, str], ...] = ()
    for row in table.rows:
        # A heading row for each section entered (2, then 2.1), as the CIS document reads.
        common = 0
        while common < min(len(shown), len(row.sections)) and shown[common] == row.sections[common]:
            common += 1
        for depth, (number, title) in enumerate(row.sections[common:], start=common):
            parts.append(
                f'<tr class="section depth-{depth}" data-section="{esc(number)}">'
                f'<th colspan="{len(HEADER)}">{esc(number)} {esc(title)}</th></tr>'
            )
        shown = row.sections
        parts.append(_row(row))
    parts.append("</tbody></table></section>")
    return "\n".join(parts)


def _header(report: CisReport) -> str:
    captured = report.captured_at.isoformat() if report.captured_at else "live endpoint (no snapshot)"
    versions = ", ".join(t.cis_version for t in report.tables)
    return (
        "<header><h1>CIS table for auditors</h1>"
        f'<dl class="meta"><dt>CIS version</dt><dd>{esc(versions)}</dd>'
        f"<dt>As of</dt><dd>{esc(report.as_of.isoformat())}</dd>"
        f"<dt>Snapshot captured at</dt><dd>{esc(captured)}</dd>"
        f"<dt>Data source</dt><dd>{esc(report.source)}</dd>"
        f"<dt>rootwatch</dt><dd>{esc(report.tool_version)}</dd></dl>"
        + (f'<p class="note" id="narrowed"><strong>Partial table</strong>: {esc(report.narrowed)}</p>' if report.narrowed else "")
        + "</header>"
    )


def render(result: RunResult) -> str:
    report = cis_report(result, "cis-html")
    body = "\n".join([_header(report), *(_table(table) for table in report.tables)])
    return page(title=f"CIS table for auditors: {', '.join(t.benchmark_title for t in report.tables)}", body=body, css=CSS)
