"""From a run's results to a digest: one item per finding, each with its level, and the composer
that writes the subject, bodies, CSV and JSON payload for whatever items a notifier hears.

Levels: a control that could not run, or an ``error`` row, is ``error`` (every notifier hears it);
an alarm is ``info``; ok, info and skip rows are ``verbose``, and so are findings resolved since the
previous run (``--state``). A result reported by several benchmarks (CIS v7.0.0 2.4 and the root
benchmark both run ``root_no_access_keys``) is one item, naming every benchmark item in its record.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rootwatch.accounts import display_account
from rootwatch.diff import Change, ResultKey
from rootwatch.mod.model import SEVERITIES, ControlNode
from rootwatch.notify.message import ComposeOptions, Digest, Item, Level, Message, format_instant, plural
from rootwatch.notify.render import (
    attachments_for,
    envelope,
    html_body,
    short_text,
    subject_line,
    text_body,
)
from rootwatch.notify.root_usage import CONTROL_ID as LAST_USE_CONTROL
from rootwatch.notify.root_usage import RootLastUse
from rootwatch.results import ControlRun, GroupRun, ResultRow, RunResult
from rootwatch.status import Status

STATUS_LEVELS = {
    Status.ERROR: Level.ERROR,
    Status.ALARM: Level.INFO,
    Status.OK: Level.VERBOSE,
    Status.INFO: Level.VERBOSE,
    Status.SKIP: Level.VERBOSE,
}
HTML_COLUMNS = (
    ("status", "Status"),
    ("account", "Account"),
    ("control_title", "Control"),
    ("reason", "Reason"),
    ("as_of", "As of"),
)
CSV_NAME = "rootwatch-findings.csv"


@dataclass(frozen=True)
class Changes:
    """What ``--notify-new-only`` keeps: findings new since a previous run, and resolved ones."""

    new: frozenset[ResultKey] = frozenset()
    resolved: tuple[Change, ...] = ()
    still_failing: int = 0
    baseline: str = ""
    """Where the previous run came from, for the message ("the state file ...")."""


@dataclass
class _Builder:
    result: RunResult
    last_use: Mapping[str, RootLastUse]
    items: dict[tuple[Any, ...], Item] = field(default_factory=dict)

    def add(self, node: ControlNode, status: Status, reason: str, resource: str, dims: tuple[tuple[str, str | None], ...]) -> None:
        key = ResultKey(node.id, resource, tuple(sorted(dims)))
        identity = (node.control.id if node.control else node.id, resource, dims, status, reason)
        if identity in self.items:
            known = self.items[identity]
            record = dict(known.record)
            record["benchmark_items"] = [*record["benchmark_items"], node.title]
            self.items[identity] = replace(known, record=record, key=known.key | {key})
            return
        self.items[identity] = finding_item(self.result, node, status, reason, resource, dims, key, self.last_use)


def finding_item(
    result: RunResult,
    node: ControlNode,
    status: Status,
    reason: str,
    resource: str,
    dims: tuple[tuple[str, str | None], ...],
    key: ResultKey,
    last_use: Mapping[str, RootLastUse],
    *,
    kind: str | None = None,
    level: Level | None = None,
) -> Item:
    """One finding as an item (``kind``/``level`` override the status's, for resolved findings)."""
    as_of = result.context.as_of
    names = result.context.account_names
    dimensions = dict(dims)
    account = dimensions.get("account_id")
    control = node.control
    title = control.title if control else node.title
    kind = kind or status.value
    record: dict[str, Any] = {
        "status": kind,
        "account_id": account,
        "account_name": names.get(account) if account else None,
        "account": display_account(account, names) if account else "",
        "control_id": control.id if control else node.id,
        "control_title": title,
        "severity": node.severity,
        "reason": " ".join(reason.split()),
        "resource": resource,
        **{k: v for k, v in dimensions.items() if k != "account_id"},
        "as_of": as_of.isoformat(),
        "benchmark_items": [node.title],
    }
    headline = (control.headline if control else "") or title.lower()
    extra = ""
    usage = last_use.get(account or "") if control is not None and control.id == LAST_USE_CONTROL else None
    if usage is not None:
        record.update(usage.as_record(as_of))
        extra = f" ({usage.describe(as_of)})"
        days = usage.days_since(as_of)
        if days is not None and status is Status.ALARM:
            headline = "root used today" if days == 0 else f"root used {plural(days, 'day')} ago"
    who = record["account"] or "(no account)"
    line = f"{kind.upper():<8} {who}  {title}: {record['reason']}{extra}  [as of {format_instant(as_of)}]"
    return Item(
        level=level if level is not None else STATUS_LEVELS[status],
        kind=kind,
        line=line,
        record=record,
        account_id=account,
        headline=headline,
        about=node,
        key=frozenset({key}),
    )


def run_items(result: RunResult, last_use: Mapping[str, RootLastUse] | None = None) -> list[Item]:
    """Every result of ``result`` as an item, in tree order, duplicates across benchmarks merged."""
    builder = _Builder(result, last_use or {})
    for _path, run in result.control_runs():
        if run.error:
            builder.add(run.node, Status.ERROR, run.error, "", ())
        for row in run.rows:
            builder.add(run.node, row.status, row.reason, row.resource, _dims(row))
    return list(builder.items.values())


def _dims(row: ResultRow) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted((str(k), None if v is None else str(v)) for k, v in row.dimensions))


def resolved_items(result: RunResult, resolved: Sequence[Change], last_use: Mapping[str, RootLastUse] | None = None) -> list[Item]:
    """Findings failing in the previous run and not now, as ``verbose`` items."""
    nodes = {run.node.id: run.node for _path, run in result.control_runs()}
    items = []
    for change in resolved:
        before = change.old
        node = nodes.get(change.key.control_id) or ControlNode(change.key.control_id, change.latest.title, "", {}, None)
        now = change.new
        reason = f"was {before.status.value if before else 'failing'}; now " + (
            f"{now.status.value}: {now.reason}" if now else "no longer reported"
        )
        items.append(
            finding_item(
                result, node, now.status if now else Status.OK, reason, change.key.resource, change.key.dimensions,
                change.key, last_use or {}, kind="resolved", level=Level.VERBOSE,
            )  # fmt: skip
        )
    return items


def run_digest(
    result: RunResult,
    *,
    last_use: Mapping[str, RootLastUse] | None = None,
    changes: Changes | None = None,
    command: str = "",
) -> Digest:
    """The digest of a run; with ``changes``, only new findings (and resolved ones) are items."""
    items = run_items(result, last_use)
    if changes is not None:
        items = [i for i in items if i.key & changes.new] + resolved_items(result, changes.resolved, last_use)

    def compose(chosen: Sequence[Item], options: ComposeOptions) -> Message:
        return compose_run(result, chosen, options, changes=changes, command=command)

    return Digest(tuple(items), compose, origin=command or "rootwatch")


_SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}


def _triage_order(item: Item) -> tuple[int, int]:
    """Alarms first, most severe first, then errors, then the rest (the subject names the first)."""
    kinds = {"recovered": -1, "alarm": 0, "error": 1, "resolved": 2}
    return kinds.get(item.kind, 3), _SEVERITY_RANK.get(item.record.get("severity") or "", len(SEVERITIES))


def summary_phrase(items: Sequence[Item], *, new: bool) -> str:
    """``3 alarms, 1 error in 2 accounts`` (``new`` says "new")."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    adjective = "new " if new else ""
    parts = [plural(counts[k], adjective + noun) for k, noun in (("alarm", "alarm"), ("error", "error")) if counts.get(k)]
    if counts.get("resolved"):
        parts.append(f"{counts['resolved']} resolved")
    if counts.get("recovered"):
        parts.insert(0, "run recovered")
    failing = [i for i in items if i.kind in ("alarm", "error", "resolved")]
    if not parts:
        passing = ", ".join(f"{counts[k]} {k}" for k in ("ok", "info", "skip") if counts.get(k))
        parts = [f"no alarms or errors ({passing})"]
        failing = list(items)
    accounts = {i.account_id for i in failing if i.account_id}
    where = f" in {plural(len(accounts), 'account')}" if accounts else ""
    return ", ".join(parts) + where


def compose_run(
    result: RunResult,
    items: Sequence[Item],
    options: ComposeOptions,
    *,
    changes: Changes | None = None,
    command: str = "",
) -> Message:
    """Subject, bodies, attachment and payload for ``items`` of ``result``."""
    ordered = sorted(items, key=_triage_order)
    summary = summary_phrase(ordered, new=changes is not None)
    headlines = [i.headline for i in ordered if i.kind in ("alarm", "error")]
    subject = subject_line("rootwatch", summary, headlines)
    ctx = result.context
    whole = result.summary
    intro = [
        f"{command or 'rootwatch'} on {ctx.engine_description}, as of {format_instant(ctx.as_of)}.",
        f"{summary[:1].upper()}{summary[1:]}."
        + f" Whole run: {whole.alarm} alarm, {whole.error} error, {whole.ok} ok, {whole.info} info, {whole.skip} skip.",
    ]
    if changes is not None:
        still = f"; {plural(changes.still_failing, 'finding')} still failing, not repeated" if changes.still_failing else ""
        intro.append(f"Only what changed since the previous run ({changes.baseline}){still}.")
    outro = [
        f"rootwatch exit code {int(result.exit_code())}. Remediation of a control: rootwatch control show CONTROL_ID.",
    ]
    return Message(
        subject=subject,
        text=text_body(intro, ordered, options, outro),
        html=html_body(subject, intro, ordered, HTML_COLUMNS, options, outro),
        payload=envelope(
            "changes" if changes is not None else "run",
            subject,
            ordered,
            run=run_record(result, command),
            findings=findings_document(result, {key for item in ordered for key in (item.key or ())}),
        ),
        short=short_text(subject, ordered),
        attachments=attachments_for(ordered, options, CSV_NAME),
        items=tuple(ordered),
    )


def run_record(result: RunResult, command: str) -> dict[str, Any]:
    ctx = result.context
    return {
        "command": command,
        "as_of": ctx.as_of.isoformat(),
        "source": ctx.engine_description,
        "engine": ctx.engine_kind,
        "tool_version": ctx.tool_version,
        "exit_code": int(result.exit_code()),
        "summary": result.summary.as_dict(),
    }


def findings_document(result: RunResult, keys: Collection[ResultKey]) -> dict[str, Any]:
    """The JSON export (Powerpipe's shape) of the results behind ``keys`` only."""
    from rootwatch.output.json_format import document

    def narrow_run(run: ControlRun) -> ControlRun | None:
        rows = tuple(r for r in run.rows if ResultKey(run.node.id, r.resource, _dims(r)) in keys)
        error = run.error if ResultKey(run.node.id, "", ()) in keys else None
        return ControlRun(run.node, rows, error, run.duration_s) if rows or error else None

    def narrow_group(group: GroupRun) -> GroupRun | None:
        children = [narrow_group(c) if isinstance(c, GroupRun) else narrow_run(c) for c in group.children]
        kept = tuple(c for c in children if c is not None)
        return GroupRun(group.id, group.title, group.description, group.tags, kept, group.benchmark) if kept else None

    root = narrow_group(result.root) or GroupRun(result.root.id, result.root.title, "", {}, ())
    return document(RunResult(root, result.context))
