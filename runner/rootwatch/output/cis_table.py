"""The CIS table for auditors: one row per CIS recommendation, built once for every CIS format.

Each CIS benchmark in a run (a group whose benchmark has a ``cis_version``) becomes one
:class:`CisTable`: its recommendations in benchmark order, each with a result an auditor can file,
the accounts that pass, fail or stay undecided, the evidence per account and the remediation from
the control's docs. Controls under the CIS benchmark that carry no ``cis_item_id`` (the "Evidence
prerequisites" group) become :class:`PrerequisiteNote` values, shown apart and never as CIS items.

Result rules (documented for auditors in docs/reports.md):

* ``not assessed``: the item has no rootwatch control (graded skip "not assessed by this mod").
* ``fail``: at least one account has a row in ``alarm``. A failure is a verdict even when other
  accounts are in error; those stay listed as other accounts.
* ``error``: no account fails, but the control could not run, or an account has a row in
  ``error``, or the control returned no rows at all (nothing was graded: never a pass).
* ``review``: no failure or error, but at least one account is undecided: ``info`` (the control
  asks for a person's review) or ``skip`` from an assessed control (the question did not apply,
  or its evidence was missing; the reason says which). An auditor confirms these by hand. (The
  word is not ``manual``, which the Assessment column already uses for CIS's own label.)
* ``pass``: every account's rows are ``ok``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from rootwatch.accounts import display_account
from rootwatch.errors import UsageError
from rootwatch.results import ControlRun, GroupRun, ResultRow, RunResult
from rootwatch.status import STATUS_ORDER, Status
from rootwatch.wording import plural

NO_ACCOUNT = "(no account_id)"


class CisResult(str, Enum):
    """An item's result in the auditor's table."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    REVIEW = "review"
    NOT_ASSESSED = "not assessed"

    def __str__(self) -> str:
        return self.value


# Reading order for counts: the results that need attention first.
RESULT_ORDER = (CisResult.FAIL, CisResult.ERROR, CisResult.REVIEW, CisResult.PASS, CisResult.NOT_ASSESSED)

# An account's status for one item: the worst of its rows, alarm first. info and skip both mean
# "undecided"; info ranks above skip because it asks for a person's review.
_ACCOUNT_RANK = {Status.ALARM: 0, Status.ERROR: 1, Status.INFO: 2, Status.SKIP: 3, Status.OK: 4}


@dataclass(frozen=True)
class AccountOutcome:
    """One account's outcome for one item: its worst status and the rows behind it."""

    account: str
    """The account_id dimension, or the resource when a row carries no account_id."""
    status: Status
    rows: tuple[ResultRow, ...]
    label: str = ""
    """How tables show the account: its id and name, ``111111111111 (prod)`` (see rootwatch.accounts)."""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.account)


@dataclass(frozen=True)
class Verdict:
    """What one control run says, seen per account."""

    result: CisResult
    accounts: tuple[AccountOutcome, ...]
    evidence: tuple[str, ...]
    """Lines an auditor reads: one per result row (account first), plus any control error."""

    def accounts_with(self, *statuses: Status) -> tuple[str, ...]:
        """The accounts (as tables show them, with their names) whose status is one of ``statuses``."""
        return tuple(a.label for a in self.accounts if a.status in statuses)

    @property
    def passing(self) -> tuple[str, ...]:
        return self.accounts_with(Status.OK)

    @property
    def failing(self) -> tuple[str, ...]:
        return self.accounts_with(Status.ALARM)

    @property
    def undecided(self) -> tuple[AccountOutcome, ...]:
        """Accounts neither passing nor failing (error, info or skip)."""
        return tuple(a for a in self.accounts if a.status not in (Status.OK, Status.ALARM))


@dataclass(frozen=True)
class CisRow:
    """One CIS recommendation."""

    item: str
    sections: tuple[tuple[str, str], ...]
    """The CIS sections holding the item, outermost first, as (number, title): (("2", ...), ("2.1", ...))."""
    title: str
    level: str
    assessment: str
    """CIS's own label: automated or manual (v1.2.0: scored or not scored)."""
    control: str | None
    """The rootwatch control that grades the item; None when it is not assessed."""
    verdict: Verdict
    remediation: str

    @property
    def result(self) -> CisResult:
        return self.verdict.result

    @property
    def section_id(self) -> str:
        return self.sections[-1][0] if self.sections else ""

    @property
    def section(self) -> str:
        """The innermost section, e.g. '2.1 Identity and Access Management'."""
        return " ".join(self.sections[-1]) if self.sections else ""


@dataclass(frozen=True)
class PrerequisiteNote:
    """A rootwatch control run under a CIS benchmark that is not a CIS item (evidence checks)."""

    group_title: str
    title: str
    control: str | None
    verdict: Verdict


@dataclass(frozen=True)
class CisTable:
    """The rows of one CIS benchmark run."""

    benchmark_id: str
    benchmark_title: str
    cis_version: str
    rows: tuple[CisRow, ...]
    prerequisites: tuple[PrerequisiteNote, ...]

    def result_counts(self) -> dict[CisResult, int]:
        counts = {r: 0 for r in RESULT_ORDER}
        for row in self.rows:
            counts[row.result] += 1
        return counts

    def items_text(self) -> str:
        """``70 items (7 assessed, 63 not assessed) and 1 evidence prerequisite``: the counts a run
        of the benchmark shows too (71 controls, 8 assessed, 63 not assessed)."""
        not_assessed = self.result_counts()[CisResult.NOT_ASSESSED]
        items = plural(len(self.rows), "item")
        if not_assessed:
            items += f" ({len(self.rows) - not_assessed} assessed, {not_assessed} not assessed)"
        if self.prerequisites:
            items += f" and {plural(len(self.prerequisites), 'evidence prerequisite')}"
        return items


@dataclass(frozen=True)
class CisReport:
    """Every CIS table of a run, with what the run was graded against."""

    tables: tuple[CisTable, ...]
    as_of: datetime
    captured_at: datetime | None
    """When the snapshot was captured; None for a live endpoint."""
    source: str
    tool_version: str
    narrowed: str | None = None
    """Set when the run was narrowed to some statuses (``--status``): the table is then partial."""
    account_names: Mapping[str, str] = field(default_factory=dict)
    """Account id → display name (see rootwatch.accounts)."""


def verdict_of(run: ControlRun, names: Mapping[str, str] | None = None) -> Verdict:
    """Apply the module's result rules to one control run (``names``: account id → display name)."""
    if run.not_assessed:
        return Verdict(CisResult.NOT_ASSESSED, (), tuple(row.reason for row in run.rows))
    grouped: dict[str, list[ResultRow]] = {}
    for row in run.rows:
        grouped.setdefault(row.dimension("account_id") or row.resource or NO_ACCOUNT, []).append(row)
    accounts = tuple(
        AccountOutcome(
            account,
            min((r.status for r in rows), key=_ACCOUNT_RANK.__getitem__),
            tuple(rows),
            display_account(account, names or {}),
        )
        for account, rows in sorted(grouped.items())
    )
    evidence = [f"error: {run.error}"] if run.error else []
    if not run.rows and not run.error:
        evidence.append("the control returned no rows: no account was graded")
    for outcome in accounts:
        evidence.extend(_evidence_line(outcome.label, row) for row in outcome.rows)
    statuses = {a.status for a in accounts}
    if Status.ALARM in statuses:
        result = CisResult.FAIL
    elif run.error or Status.ERROR in statuses or not accounts:
        result = CisResult.ERROR
    elif statuses & {Status.INFO, Status.SKIP}:
        result = CisResult.REVIEW
    else:
        result = CisResult.PASS
    return Verdict(result, accounts, tuple(evidence))


def _evidence_line(account: str, row: ResultRow) -> str:
    others = [value for name, value in row.dimensions if name != "account_id" and value]
    where = " ".join([account, *others])
    return f"{where} {row.status.value}: {row.reason}"


def cis_report(result: RunResult, format_name: str) -> CisReport:
    """The CIS tables of ``result``; a UsageError naming the CIS benchmarks when it holds none."""
    names = result.context.account_names
    tables = tuple(_table(group, names) for group in _cis_groups(result.root))
    if not tables:
        raise UsageError(
            f"the {format_name} format is a table of CIS recommendations, and this run holds no CIS benchmark",
            hint="run a CIS benchmark ('rootwatch benchmark list' names them, one per cis/v*.yaml of the mod), "
            "e.g. 'rootwatch benchmark run cis_v700 --export audit.xlsx'",
        )
    ctx = result.context
    return CisReport(
        tables=tables,
        as_of=ctx.as_of,
        captured_at=ctx.snapshot.captured_at if ctx.snapshot else None,
        source=ctx.engine_description,
        tool_version=ctx.tool_version,
        narrowed=_narrowed(result),
        account_names=names,
    )


def _narrowed(result: RunResult) -> str | None:
    # rootwatch.selection's ShownRunResult (``--status``) carries the statuses it kept.
    statuses = getattr(result, "statuses", None)
    if not statuses:
        return None
    shown = ", ".join(s.value for s in STATUS_ORDER if s in statuses)
    return f"only results in {shown} are included (--status); other rows and items are left out"


def _cis_version(group: GroupRun) -> str | None:
    if group.benchmark is not None and group.benchmark.cis_version:
        return group.benchmark.cis_version
    return group.tags.get("cis_version")


def _cis_groups(group: GroupRun) -> Iterator[GroupRun]:
    """The outermost CIS groups under ``group`` (a CIS section run alone counts too), once each."""
    seen: set[str] = set()

    def walk(node: GroupRun) -> Iterator[GroupRun]:
        for child in node.children:
            if not isinstance(child, GroupRun):
                continue
            if _cis_version(child):
                if child.id not in seen:
                    seen.add(child.id)
                    yield child
            else:
                yield from walk(child)

    yield from walk(group)


def _table(group: GroupRun, names: Mapping[str, str]) -> CisTable:
    rows: list[CisRow] = []
    notes: list[PrerequisiteNote] = []
    for path, run in group.control_runs():
        node = run.node
        item = node.tags.get("cis_item_id")
        if item is None:
            control_id = node.control.id if node.control else None
            notes.append(PrerequisiteNote(path[-1].title, node.title, control_id, verdict_of(run, names)))
            continue
        sections = tuple(
            (g.tags["cis_section_id"], _strip_number(g.title, g.tags["cis_section_id"]))
            for g in path
            if "cis_section_id" in g.tags
        )
        rows.append(
            CisRow(
                item=item,
                sections=sections,
                title=_strip_number(node.title, item),
                level=node.tags.get("cis_level", ""),
                assessment=node.tags.get("cis_type", "").replace("_", " "),
                control=node.control.id if node.control else None,
                verdict=verdict_of(run, names),
                remediation=node.control.docs.remediation.strip() if node.control else "",
            )
        )
    return CisTable(group.id, group.title, _cis_version(group) or "", tuple(rows), tuple(notes))


def _strip_number(title: str, number: str) -> str:
    """'2.4 Ensure ...' -> 'Ensure ...': the loader prefixes CIS titles with their number."""
    return re.sub(rf"^{re.escape(number)}\s+", "", title) if number else title


# ---- shared cell texts, so that every renderer words things the same way -------------------


def account_list(accounts: tuple[str, ...]) -> str:
    return ", ".join(accounts)


def undecided_text(verdict: Verdict) -> str:
    """'333333333333 (error), 444444444444 (prod) (skip)'."""
    return ", ".join(f"{a.label} ({a.status.value})" for a in verdict.undecided)


def counts_text(table: CisTable) -> str:
    """'fail 1, error 2, review 1, pass 3, not assessed 40' (non-zero counts)."""
    parts = [f"{result.value} {count}" for result, count in table.result_counts().items() if count]
    return ", ".join(parts) if parts else "no items"


def prerequisite_text(note: PrerequisiteNote) -> str:
    """One line summarising an evidence prerequisite, without its per-account reasons."""
    verdict = note.verdict
    control = f" ({note.control})" if note.control else ""
    parts = [f"{note.title}{control}: {verdict.result.value}", f"passing {len(verdict.passing)}"]
    if verdict.passing:
        parts[-1] += f": {account_list(verdict.passing)}"
    parts.append(f"failing {len(verdict.failing)}" + (f": {account_list(verdict.failing)}" if verdict.failing else ""))
    if verdict.undecided:
        parts.append(f"other: {undecided_text(verdict)}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Column:
    """A column of the flat (CSV, XLSX) table: machine name, header for people, cell text."""

    key: str
    header: str
    cell: Callable[[CisRow], str]
    width: int = 14
    """Rough width in characters, used by the spreadsheet."""


FLAT_COLUMNS: tuple[Column, ...] = (
    Column("item", "Item", lambda r: r.item, 8),
    Column("section", "Section", lambda r: r.section, 24),
    Column("title", "Recommendation", lambda r: r.title, 50),
    Column("level", "Level", lambda r: r.level, 7),
    Column("assessment", "Assessment", lambda r: r.assessment, 12),
    Column("result", "Result", lambda r: r.result.value, 13),
    Column("passing", "Passing", lambda r: str(len(r.verdict.passing)), 9),
    Column("passing_accounts", "Passing accounts", lambda r: account_list(r.verdict.passing), 16),
    Column("failing", "Failing", lambda r: str(len(r.verdict.failing)), 9),
    Column("failing_accounts", "Failing accounts", lambda r: account_list(r.verdict.failing), 16),
    Column("other_accounts", "Other accounts", lambda r: undecided_text(r.verdict), 18),
    Column("evidence", "Evidence", lambda r: "\n".join(r.verdict.evidence), 70),
    Column("remediation", "Remediation", lambda r: r.remediation, 70),
    Column("control", "rootwatch control", lambda r: r.control or "", 24),
)
