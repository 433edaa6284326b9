"""The ``html`` format: one self-contained HTML report of a run.

The header states what was graded (as-of instant and snapshot capture time as people read them,
with the time zone, data source, totals and what the exit code means); charts count results per
status by section and by account (accounts with alarms or errors first, each with its name); for
``root_usage_monitored`` each account's alerting chain is drawn with its first missing link marked;
when the snapshot holds CloudTrail events, a timeline shows root activity per day and account. The
results table lists alarms and errors first, then the rest in benchmark order, hides the items the
mod does not assess until asked, sorts on a header click and filters by status and free text.
Styles, script and pictures are inline, nothing is fetched (a Content-Security-Policy forbids it),
and every value is escaped: markup for text and attributes, JSON inside ``<script
type="application/json">`` for the table's data. See docs/reports.md.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Mapping

from rootwatch.accounts import display_account
from rootwatch.exitcodes import ExitCode
from rootwatch.output.alert_chain import CHAIN_CSS, chain_figure, chain_runs, chains
from rootwatch.output.html_assets import badge, esc, page
from rootwatch.output.html_report_script import REPORT_CSS, REPORT_SCRIPT
from rootwatch.output.svg_charts import CHART_CSS, stacked_bars
from rootwatch.output.svg_timeline import TIMELINE_CSS, timeline
from rootwatch.results import GroupRun, ResultRecord, RunResult, StatusSummary
from rootwatch.status import STATUS_ORDER, Status
from rootwatch.wording import controls_phrase, duration, instant, plural

EXIT_MEANINGS = {
    ExitCode.OK: "nothing in alarm or error",
    ExitCode.ALARM: "alarms found, no control errors",
    ExitCode.CONTROL_ERROR: "at least one control or result in error",
}

# The results table, in display order; "control" shows the node title with its id beneath.
COLUMNS = (
    ("status", "Status"),
    ("group", "Benchmark / section"),
    ("control", "Control"),
    ("account", "Account"),
    ("region", "Region"),
    ("resource", "Resource"),
    ("reason", "Reason"),
)
SEPARATOR = " \u203a "
PAGE_ROWS = 1000
"""Rows the table draws before "Show all" (drawing 15,000 rows takes a browser seconds)."""


def _by_section(records: list[ResultRecord]) -> list[tuple[str, StatusSummary | None]]:
    """Counts per section: a benchmark's direct child groups (CIS sections, say), or the benchmark
    itself for controls placed directly in it. Several benchmarks each get a heading line."""
    tallies: dict[str, dict[str, list[Status]]] = {}
    for record in records:
        top = record.group_path[0][1]
        section = record.group_path[1][1] if len(record.group_path) > 1 else top
        tallies.setdefault(top, {}).setdefault(section, []).append(record.status)
    bars: list[tuple[str, StatusSummary | None]] = []
    for top, sections in tallies.items():
        if len(tallies) > 1:
            bars.append((top, None))
        bars += [(section, StatusSummary.of(found)) for section, found in sections.items()]
    return bars


def _by_account(records: list[ResultRecord], names: Mapping[str, str]) -> list[tuple[str, StatusSummary | None]]:
    """Counts per account, those with alarms or errors first (most first), clean ones after."""
    tallies: dict[str, list[Status]] = {}
    for record in records:
        account = record.dimensions.get("account_id")
        if account:
            tallies.setdefault(account, []).append(record.status)
    summaries = {account: StatusSummary.of(found) for account, found in tallies.items()}
    order = sorted(summaries, key=lambda a: (-(summaries[a].alarm + summaries[a].error), a))
    return [(display_account(account, names), summaries[account]) for account in order]


def _charts(records: list[ResultRecord], names: Mapping[str, str]) -> str:
    left_out = sum(1 for r in records if not r.dimensions.get("account_id"))
    note = (
        f"({plural(left_out, 'result')} without an account_id, such as items not assessed "
        "and controls that could not run, are not counted here)"
        if left_out
        else ""
    )
    return (
        '<section class="charts">'
        + stacked_bars("chart-sections", "Results by section", _by_section(records), "(result rows per status)")
        + stacked_bars("chart-accounts", "Results by account", _by_account(records, names), note)
        + "</section>"
    )


def row_data(record: ResultRecord, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One row of the results table as the page's script receives it."""
    dims = record.dimensions
    account = dims.get("account_id") or ""
    others = ", ".join(f"{k}={v}" for k, v in sorted(dims.items()) if k not in ("account_id", "region") and v)
    reason = record.reason if not others else f"{record.reason} [{others}]"
    if record.run_error:
        reason = f"control could not run: {record.reason}"
    return {
        "status": record.status.value,
        "group": SEPARATOR.join(title for _, title in record.group_path),
        "control": record.control_title,
        "control_id": record.control_id,
        "tags": ", ".join(f"{k}={v}" for k, v in sorted(record.tags.items())),
        "account": display_account(account, names or {}) if account else "",
        "region": dims.get("region") or "",
        "resource": record.resource,
        "reason": reason,
        "na": 1 if record.not_assessed else 0,
    }


# Fields shared by every row of one control run; sent once per control, not once per row, which
# keeps the page small for organisations with many accounts.
CONTROL_FIELDS = ("group", "control", "control_id", "tags")


ATTENTION = (Status.ALARM, Status.ERROR)


def attention_first(records: list[ResultRecord]) -> list[ResultRecord]:
    """Alarms and errors first, then every other row, each part in benchmark order."""
    return [r for r in records if r.status in ATTENTION] + [r for r in records if r.status not in ATTENTION]


def table_data(records: list[ResultRecord], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the page's script receives: columns, status order, controls, and rows pointing at
    their control by index (``"c"``), alarms and errors first."""
    controls: dict[tuple[str, ...], int] = {}
    rows = []
    for record in attention_first(records):
        full = row_data(record, names)
        key = tuple(full[name] for name in CONTROL_FIELDS)
        index = controls.setdefault(key, len(controls))
        rows.append({"c": index, **{k: v for k, v in full.items() if k not in CONTROL_FIELDS}})
    return {
        "columns": [{"key": key, "label": label} for key, label in COLUMNS],
        "statuses": [s.value for s in STATUS_ORDER],
        "page_rows": PAGE_ROWS,
        "controls": [dict(zip(CONTROL_FIELDS, key)) for key in controls],
        "rows": rows,
    }


def _run_titles(result: RunResult) -> list[str]:
    """Titles of what was run: benchmarks, and controls run on their own (``control run``), whose
    ControlRun has no title of its own but its node's."""
    return [child.title if isinstance(child, GroupRun) else child.node.title for child in result.root.children]


def _header(result: RunResult, records: list[ResultRecord]) -> str:
    ctx = result.context
    code = result.exit_code()
    captured = instant(ctx.snapshot.captured_at) if ctx.snapshot else "live endpoint (no snapshot)"
    titles = _run_titles(result)
    summary = result.summary.as_dict()
    runs = [run for _, run in result.control_runs()]
    controls = controls_phrase(len(runs), sum(1 for run in runs if run.not_assessed))
    totals = " ".join(f"{badge(s.value)} {summary[s.value]}" for s in STATUS_ORDER)
    meta = [
        ("As of", instant(ctx.as_of)),
        ("Snapshot captured at", captured),
        ("Data source", ctx.engine_description),
        ("Run", f"{instant(ctx.started_at)}, took {duration((ctx.ended_at - ctx.started_at).total_seconds())}"),
        ("rootwatch", ctx.tool_version),
    ]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta)
    statuses = getattr(result, "statuses", None)  # rootwatch.selection's ShownRunResult (--status)
    if statuses:
        whole = getattr(result, "whole_summary", result.summary).as_dict()
        shown = ", ".join(s.value for s in STATUS_ORDER if s in statuses)
        whole_totals = ", ".join(f"{s.value} {whole[s.value]}" for s in STATUS_ORDER)
        rows += f'<dt>Shown</dt><dd id="rw-narrowed">only {esc(shown)} results (--status); whole run: {esc(whole_totals)}</dd>'
    rows += f'<dt>Exit code</dt><dd class="exit-{int(code)}" id="rw-exit">{int(code)}: {esc(EXIT_MEANINGS[code])}</dd>'
    return (
        "<header><h1>rootwatch report</h1>"
        f'<p class="muted">{esc(", ".join(titles))}</p>'
        f'<dl class="meta">{rows}</dl>'
        f'<p class="totals" id="rw-totals">{totals} '
        f'<span class="muted">{plural(len(records), "result")}; {controls}</span></p>'
        "</header>"
    )


def _results(records: list[ResultRecord]) -> str:
    counts = StatusSummary.of([r.status for r in records]).as_dict()
    boxes = "".join(
        f'<label><input type="checkbox" name="status" value="{s.value}" checked> {badge(s.value)} {counts[s.value]}</label>'
        for s in STATUS_ORDER
    )
    not_assessed = sum(1 for r in records if r.not_assessed)
    if not_assessed:
        boxes += (
            f'<label><input type="checkbox" id="rw-na"> the {plural(not_assessed, "item")} '
            "not assessed by this mod</label>"
        )
    head = "".join(
        f'<th data-key="{key}" aria-sort="none"><button type="button">{esc(label)}</button></th>' for key, label in COLUMNS
    )
    return (
        '<section class="results"><h2>Results</h2>'
        f'<form id="rw-filters" role="search">{boxes}'
        '<input type="search" id="rw-search" placeholder="Filter: any text (account, resource, reason...)" '
        'aria-label="Filter results by text">'
        '<span id="rw-count" class="muted" aria-live="polite"></span></form>'
        "<noscript><p>The results table needs JavaScript; the csv and json exports hold the same rows.</p></noscript>"
        f'<div class="table-scroll"><table id="rw-results"><thead><tr>{head}</tr></thead><tbody></tbody></table></div>'
        '<button type="button" id="rw-more" hidden>Show all</button></section>'
    )


def _chains(result: RunResult) -> str:
    """Each account's root-usage alerting chain, broken ones first; empty when the run has none."""
    found = chains(chain_runs(result), result.context.account_names)
    if not found:
        return ""
    broken = sum(1 for chain in found if chain.missing)
    return (
        '<section class="alert-chains" id="rw-chains"><h2>Root-usage alerting chain</h2>'
        f'<p class="muted">trail → log group → metric filter → alarm → SNS topic → confirmed '
        f"subscription, per account ({plural(len(found), 'account')}, {broken} broken): root use pages a person "
        "only when every link is there.</p>"
        f'<div class="chains">{"".join(chain_figure(chain) for chain in found)}</div></section>'
    )


def _timeline(result: RunResult) -> str:
    """Root activity per day and account, when the snapshot holds CloudTrail events."""
    ctx = result.context
    if ctx.root_activity is None:
        return ""
    return (
        '<section class="activity" id="rw-activity"><h2>Root activity</h2>'
        + timeline(ctx.root_activity, ctx.account_names, ctx.as_of)
        + "</section>"
    )


PAGE_CSS = REPORT_CSS + CHART_CSS + CHAIN_CSS + TIMELINE_CSS


def render(result: RunResult) -> str:
    records = result.records()
    names = result.context.account_names
    body = _header(result, records) + _charts(records, names) + _chains(result) + _timeline(result) + _results(records)
    data = table_data(records, names)
    titles = ", ".join(_run_titles(result))
    return page(title=f"rootwatch report: {titles}", body=body, css=PAGE_CSS, scripts=(REPORT_SCRIPT,), data=data)
