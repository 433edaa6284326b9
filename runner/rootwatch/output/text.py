"""The ``text`` format: a readable tree of benchmarks, controls and results, then a summary.

Each result leads with its account and the account's name (``222222222222 (prod-payments)``), then
its region and other dimension values, then the reason; on a terminal the reason wraps to the
terminal's width under itself, in a file or pipe each result stays one line for grep. Benchmark
items the mod does not assess fold into one line per section (``14 items not assessed by this mod:
2.2, 2.3, 2.8 to 2.21``), and a section holding nothing else into a single line; ``--verbose``
(:attr:`RenderOptions.verbose`) lists every one.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from rootwatch.accounts import display_account
from rootwatch.output import RenderOptions
from rootwatch.output.style import bold, colour_enabled, paint, printable
from rootwatch.results import ControlRun, GroupRun, ResultRow, RunResult, StatusSummary
from rootwatch.status import STATUS_ORDER, Status
from rootwatch.wording import controls_phrase, instant, plural, ranges

NOT_ASSESSED_TEXT = "not assessed by this mod"
LABEL_WIDTH = 5


def counts(summary: StatusSummary, colour: bool = False) -> str:
    """Non-zero counts in reading order, e.g. ``alarm 2  ok 5``."""
    values = summary.as_dict()
    parts = [paint(f"{s.value} {values[s.value]}", s, colour) for s in STATUS_ORDER if values[s.value]]
    return "  ".join(parts) if parts else "no results"


def row_subject(row: ResultRow, names: Mapping[str, str]) -> str:
    """What a result is about, account first: ``222222222222 (prod) us-east-1``."""
    account = None
    others = []
    for key, value in row.dimensions:  # one pass: asked of every row (110,000 at 10,000 accounts)
        if key == "account_id":
            account = value
        elif value:
            others.append(value)
    parts = [display_account(account, names), *others] if account else others
    return printable(" ".join(parts))


class _Layout:
    """One rendering's settings: colour, width, verbosity and the account names."""

    def __init__(self, result: RunResult, options: RenderOptions) -> None:
        self.colour = colour_enabled()
        self.width = options.width
        self.verbose = options.verbose
        self.names = result.context.account_names
        # A run's rows repeat their texts (one object each: rootwatch.grading.grade shares them), an
        # account's dimensions in every control and a reason in many rows: each is laid out once
        # (at 10,000 accounts 110,000 rows, 22,800 distinct reasons and 20,000 distinct subjects).
        self._subjects: dict[tuple[tuple[str, str | None], ...], str] = {}
        self._reasons: dict[str, str] = {}

    def subject(self, row: ResultRow) -> str:
        """:func:`row_subject` of ``row``, laid out once per distinct dimensions."""
        subject = self._subjects.get(row.dimensions)
        if subject is None:
            subject = self._subjects[row.dimensions] = row_subject(row, self.names)
        return subject

    def reason(self, row: ResultRow) -> str:
        """``row``'s reason made :func:`printable`, once per distinct reason."""
        reason = self._reasons.get(row.reason)
        if reason is None:
            reason = self._reasons[row.reason] = printable(row.reason)
        return reason

    def label(self, status: Status) -> str:
        """A result's status as its line shows it: upper case, padded, painted."""
        return paint(status.value.upper().ljust(LABEL_WIDTH), status, self.colour)

    def result_lines(self, pad: str, label: str, text: str) -> list[str]:
        """``| LABEL  text``, the text wrapped under itself when a width is set."""
        head = f"{pad}| {label}  "
        indent = " " * (len(pad) + 4 + LABEL_WIDTH)
        if self.width is None:
            return [head + text]
        lines = textwrap.wrap(text, max(20, self.width - len(indent)), break_long_words=False, break_on_hyphens=False)
        return [head + (lines[0] if lines else "")] + [indent + line for line in lines[1:]]

    def control(self, run: ControlRun, depth: int) -> list[str]:
        pad = "  " * depth
        if run.not_assessed:
            return [f"{pad}- {printable(run.node.title)}  " + paint(f"skip ({NOT_ASSESSED_TEXT})", Status.SKIP, self.colour)]
        lines = [f"{pad}+ {bold(printable(run.node.title), self.colour)}  {counts(run.summary, self.colour)}"]
        if run.error:
            lines += self.result_lines(pad + "  ", paint("ERROR", Status.ERROR, self.colour), printable(run.error))
        if self.width is None:
            # One line per result, built here rather than through result_lines: this loop runs once
            # per graded row (110,000 at 10,000 accounts), where each call and list costs.
            heads: dict[Status, str] = {}
            subjects, reasons = self._subjects, self._reasons
            append = lines.append
            for row in run.rows:
                head = heads.get(row.status)
                if head is None:
                    head = heads[row.status] = f"{pad}  | {self.label(row.status)}  "
                subject = subjects.get(row.dimensions)
                if subject is None:
                    subject = self.subject(row)
                reason = reasons.get(row.reason)
                if reason is None:
                    reason = self.reason(row)
                append(f"{head}{subject}  {reason}" if subject else head + reason)
            return lines
        labels: dict[Status, str] = {}  # painted once per status, not once per row
        for row in run.rows:
            label = labels.get(row.status)
            if label is None:
                label = labels[row.status] = self.label(row.status)
            subject = self.subject(row)
            lines += self.result_lines(pad + "  ", label, f"{subject}  {self.reason(row)}" if subject else self.reason(row))
        return lines

    def group(self, group: GroupRun, depth: int) -> list[str]:
        pad = "  " * depth
        if not self.verbose and _only_not_assessed(group):
            items = sum(1 for _ in group.control_runs())
            return [f"{pad}- {printable(group.title)}  " + paint(f"{plural(items, 'item')} {NOT_ASSESSED_TEXT}", Status.SKIP, self.colour)]
        lines = [f"{pad}+ {bold(printable(group.title), self.colour)}  {counts(group.summary, self.colour)}"]
        folded: list[ControlRun] = []
        for child in group.children:
            if isinstance(child, GroupRun):
                lines.extend(self.group(child, depth + 1))
            elif child.not_assessed and not self.verbose:
                folded.append(child)
            else:
                lines.extend(self.control(child, depth + 1))
        if folded:
            numbers = _item_ranges([run.node.tags.get("cis_item_id") or run.node.id for run in folded], group)
            text = f"{plural(len(folded), 'item')} {NOT_ASSESSED_TEXT}: {numbers} (--verbose lists them)"
            lines.append(f"{pad}  - " + paint(printable(text), Status.SKIP, self.colour))
        return lines


def _only_not_assessed(group: GroupRun) -> bool:
    runs = [run for _, run in group.control_runs()]
    return bool(runs) and all(run.not_assessed for run in runs)


def _item_ranges(folded: list[str], group: GroupRun) -> str:
    order = [run.node.tags.get("cis_item_id") or run.node.id for run in group.children if isinstance(run, ControlRun)]
    return ranges(folded, order)


def summary_lines(result: RunResult, colour: bool = False) -> list[str]:
    """The closing summary: totals, what ran, the as-of instant and the data source."""
    ctx = result.context
    summary = result.summary
    runs = [run for _, run in result.control_runs()]
    values = summary.as_dict()
    totals = "  ".join(paint(f"{s.value} {values[s.value]}", s, colour and values[s.value] > 0) for s in STATUS_ORDER)
    source = ctx.engine_description
    if ctx.snapshot is not None:
        source += f" (captured {instant(ctx.snapshot.captured_at)})"
    not_assessed = sum(1 for run in runs if run.not_assessed)
    return [
        f"Summary  {totals}   {plural(summary.total, 'result')}, {controls_phrase(len(runs), not_assessed)}",
        f"As of    {instant(ctx.as_of)}",
        f"Source   {source}",
    ]


def render(result: RunResult, options: RenderOptions | None = None) -> str:
    layout = _Layout(result, options or RenderOptions())
    lines: list[str] = []
    for child in result.root.children:
        lines.extend(layout.group(child, 0) if isinstance(child, GroupRun) else layout.control(child, 0))
        lines.append("")
    lines.extend(summary_lines(result, layout.colour))
    return "\n".join(lines) + "\n"
