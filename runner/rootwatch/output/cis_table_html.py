"""The ``cis-html`` format: the CIS table for auditors as one self-contained HTML page.

No script at all: a section per CIS benchmark of the run with what it was graded against (instants
as people read them, with the time zone), the item counts per result, the evidence prerequisites as
a note (not CIS items), and the table grouped under its CIS sections. Under each section heading,
the items the mod does not assess are folded into one ``<details>`` line (a section holding
nothing else folds whole), so the graded items stand out; each remediation is folded too. The
evidence column is the widest, one line per account (with the account's name), and the
``root_usage_monitored`` item draws each account's alerting chain with its first missing link
marked. Every value is escaped. Columns and result rules: docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from rootwatch.output.alert_chain import CHAIN_CONTROL, CHAIN_CSS, chain_figure, chain_of
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
from rootwatch.wording import instant, plural, ranges

# Results borrow the status colours: pass is ok, fail is alarm, review is info.
RESULT_COLOUR = {
    CisResult.PASS: "ok",
    CisResult.FAIL: "alarm",
    CisResult.ERROR: "error",
    CisResult.REVIEW: "info",
    CisResult.NOT_ASSESSED: "skip",
}

# (header, width): the evidence column takes what the others leave.
COLUMNS = (
    ("Item", "4.5em"),
    ("Recommendation", "12em"),
    ("Level", "3.5em"),
    ("Assessment", "7.5em"),
    ("Result", "7em"),
    ("Passing", "8.5em"),
    ("Failing", "8.5em"),
    ("Other accounts", "8.5em"),
    ("Evidence", "auto"),
    ("Remediation", "8.5em"),
)
HEADER = tuple(name for name, _ in COLUMNS)

CSS = """
.table-wrap { overflow-x: auto; }
table.cis { font-size: 13px; table-layout: fixed; min-width: 1100px; }
table.cis col.evidence { min-width: 30em; }
table.cis tr.section th { background: #e8eaf0; position: static; font-size: 14px; }
table.cis tr.section.depth-1 th, table.cis tr.section.depth-2 th { background: #f1f3f7; font-size: 13px; padding-left: 20px; }
table.cis td.item { white-space: nowrap; font-weight: 600; }
table.cis tr.folded td { padding: 4px 8px 4px 20px; color: var(--muted); }
table.cis tr.folded summary { color: var(--muted); }
table.na { margin: 6px 0 2px; font-size: 12px; table-layout: auto; }
table.na td { border-bottom: 1px dotted var(--line); padding: 2px 8px 2px 0; }
.accounts { font-size: 12px; }
.accounts .account { display: block; margin-top: 3px; }
.accounts .account .name { display: block; overflow-wrap: anywhere; }
ul.evidence { font-size: 12.5px; }
ul.evidence { margin: 0; padding-left: 16px; }
ul.evidence li { margin-bottom: 3px; }
details summary { cursor: pointer; color: #0b57d0; }
.counts .badge { margin-right: 6px; }
@media (max-width: 640px) {
  body { padding: 12px 12px 32px; }
  /* A phone reads the table as one card per item, each cell under its column's name. */
  table.cis { min-width: 0; }
  table.cis colgroup, table.cis thead { display: none; }
  table.cis, table.cis tbody, table.cis tr, table.cis td, table.cis th { display: block; width: auto; }
  table.cis tr.item { border-bottom: 2px solid var(--line); padding: 6px 0; }
  table.cis tr.item > td { border: 0; padding: 2px 4px; }
  table.cis tr.item > td[data-label]:not(:empty)::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
  table.cis td[data-label="Other accounts"]:empty, table.cis td[data-label="Remediation"]:empty { display: none; }
}
""" + CHAIN_CSS


def _account(label: str, suffix: str = "") -> str:
    """An account as a cell shows it: the id, and its name on the line below."""
    account_id, _, name = label.partition(" ")
    name_line = f'<span class="name">{esc(name)}</span>' if name else ""
    return f'<span class="account">{esc(account_id)}{esc(suffix)}{name_line}</span>'


def _accounts(accounts: tuple[str, ...]) -> str:
    if not accounts:
        return "0"
    return f'{len(accounts)}<span class="muted accounts">{"".join(_account(a) for a in accounts)}</span>'


def _evidence(row: CisRow, names: Mapping[str, str]) -> str:
    lines = "".join(f"<li>{esc(line)}</li>" for line in row.verdict.evidence)
    cell = f'<ul class="evidence">{lines}</ul>'
    if row.control == CHAIN_CONTROL:
        found = [chain for outcome in row.verdict.accounts for r in outcome.rows if (chain := chain_of(r, names)) is not None]
        if found:
            cell = f'<div class="chains">{"".join(chain_figure(chain) for chain in found)}</div>' + cell
    return cell


def _row(row: CisRow, names: Mapping[str, str]) -> str:
    verdict = row.verdict
    other = "".join(_account(a.label, f" ({a.status.value})") for a in verdict.undecided)
    remediation = ""
    if row.remediation:
        remediation = (
            f'<details><summary>Remediation</summary><p class="muted">control {esc(row.control or "")}</p>'
            f"<pre>{esc(row.remediation)}</pre></details>"
        )
    cells = [
        (esc(row.item), ' class="item"'),
        (esc(row.title), ""),
        (esc(row.level), ""),
        (esc(row.assessment), ""),
        (badge(row.result.value, RESULT_COLOUR[row.result]), ""),
        (_accounts(verdict.passing), ""),
        (_accounts(verdict.failing), ""),
        (other, ' class="accounts"'),
        (_evidence(row, names), ' class="evidence"'),
        (remediation, ""),
    ]
    # data-label: a phone shows each cell under its column's name (see CSS).
    html = "".join(f'<td{extra} data-label="{name}">{content}</td>' for (content, extra), name in zip(cells, HEADER))
    return f'<tr class="item" data-item="{esc(row.item)}" data-result="{esc(row.result.value)}">{html}</tr>'


def _fold(rows: list[CisRow], depth: int, order: list[str]) -> str:
    """One table row folding the items the mod does not assess, listed in CIS order inside."""
    numbers = ranges([row.item for row in rows], order)
    inner = "".join(
        f'<tr class="item not-assessed" data-item="{esc(row.item)}" data-result="{esc(row.result.value)}">'
        f'<td class="item">{esc(row.item)}</td><td>{esc(row.title)}</td>'
        f"<td>level {esc(row.level)}</td><td>{esc(row.assessment)}</td></tr>"
        for row in rows
    )
    return (
        f'<tr class="folded depth-{depth}"><td colspan="{len(COLUMNS)}"><details>'
        f"<summary>{plural(len(rows), 'item')} not assessed by this mod: {esc(numbers)}</summary>"
        f'<table class="na"><tbody>{inner}</tbody></table></details></td></tr>'
    )


def _table(table: CisTable, names: Mapping[str, str]) -> str:
    counts = table.result_counts()
    parts = [
        f'<section class="cis-benchmark" data-benchmark="{esc(table.benchmark_id)}">',
        f"<h2>{esc(table.benchmark_title)} <span class=\"muted\">({esc(table.benchmark_id)})</span></h2>",
        f'<p class="counts">CIS version {esc(table.cis_version)}: {esc(table.items_text())}.<br>'
        + " ".join(f"{badge(r.value, RESULT_COLOUR[r])} {counts[r]}" for r in RESULT_ORDER)
        + "</p>",
    ]
    for note in table.prerequisites:
        lines = "".join(f"<li>{esc(line)}</li>" for line in note.verdict.evidence)
        parts.append(
            f'<div class="note prerequisite"><strong>{esc(note.group_title)}</strong>: '
            f'{esc(prerequisite_text(note))}<ul class="evidence">{lines}</ul></div>'
        )
    columns = "".join(f'<col class="{name.split()[0].lower()}" style="width:{width}">' for name, width in COLUMNS)
    parts.append(
        f'<div class="table-wrap"><table class="cis"><colgroup>{columns}</colgroup><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in HEADER)
        + "</tr></thead><tbody>"
    )
    parts += _body(table, names)
    parts.append("</tbody></table></div></section>")
    return "\n".join(parts)


def _body(table: CisTable, names: Mapping[str, str]) -> list[str]:
    """Section headings as the CIS document reads (2, then 2.1), each followed by the fold of its
    own items the mod does not assess, then the graded items in order. A section with nothing
    graded anywhere under it is its heading and one fold of everything in it."""
    graded = {
        row.sections[:depth]
        for row in table.rows
        if row.result is not CisResult.NOT_ASSESSED
        for depth in range(len(row.sections) + 1)
    }
    order = [row.item for row in table.rows]
    parts: list[str] = []
    shown: tuple[tuple[str, str], ...] = ()
    for row in table.rows:
        common = 0
        while common < min(len(shown), len(row.sections)) and shown[common] == row.sections[common]:
            common += 1
        for depth in range(common, len(row.sections)):
            path = row.sections[: depth + 1]
            if depth > 0 and path[:-1] not in graded:
                break  # inside a section folded whole
            number, title = path[-1]
            parts.append(
                f'<tr class="section depth-{depth}" data-section="{esc(number)}">'
                f'<th colspan="{len(COLUMNS)}">{esc(number)} {esc(title)}</th></tr>'
            )
            if path in graded:
                folded = [r for r in table.rows if r.sections == path and r.result is CisResult.NOT_ASSESSED]
            else:
                folded = [r for r in table.rows if r.sections[: depth + 1] == path]
            if folded:
                parts.append(_fold(folded, depth, order))
        shown = row.sections
        if row.result is not CisResult.NOT_ASSESSED:
            parts.append(_row(row, names))
        elif not row.sections:
            parts.append(_fold([row], 0, order))
    return parts


def _header(report: CisReport) -> str:
    captured = instant(report.captured_at) if report.captured_at else "live endpoint (no snapshot)"
    versions = ", ".join(t.cis_version for t in report.tables)
    return (
        "<header><h1>CIS table for auditors</h1>"
        f'<dl class="meta"><dt>CIS version</dt><dd>{esc(versions)}</dd>'
        f"<dt>As of</dt><dd>{esc(instant(report.as_of))}</dd>"
        f"<dt>Snapshot captured at</dt><dd>{esc(captured)}</dd>"
        f"<dt>Data source</dt><dd>{esc(report.source)}</dd>"
        f"<dt>rootwatch</dt><dd>{esc(report.tool_version)}</dd></dl>"
        + (f'<p class="note" id="narrowed"><strong>Partial table</strong>: {esc(report.narrowed)}</p>' if report.narrowed else "")
        + "</header>"
    )


def render(result: RunResult) -> str:
    report = cis_report(result, "cis-html")
    body = "\n".join([_header(report), *(_table(table, report.account_names) for table in report.tables)])
    return page(title=f"CIS table for auditors: {', '.join(t.benchmark_title for t in report.tables)}", body=body, css=CSS)
