"""Run results: a tree of groups and control runs, summaries per status, and flat records.

Every output format reads from here: tree-shaped ones (text, JSON) walk :class:`GroupRun`; tabular
ones (CSV, JUnit, ASFF, ...) read :meth:`RunResult.records`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import TYPE_CHECKING, Any, Union

from rootwatch.exitcodes import ExitCode
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.activity import ActivityDay
    from rootwatch.mod.model import Benchmark, ControlNode
    from rootwatch.snapshot.metadata import SnapshotInfo

MOD_PREFIX = "rootwatch"
ROOT_GROUP_ID = "root_result_group"


def qualified_benchmark(benchmark_id: str) -> str:
    """Powerpipe's full name for a benchmark: ``rootwatch.benchmark.<id>``."""
    return f"{MOD_PREFIX}.benchmark.{benchmark_id}"


def qualified_control(control_id: str) -> str:
    """Powerpipe's full name for a control: ``rootwatch.control.<id>``."""
    return f"{MOD_PREFIX}.control.{control_id}"


@dataclass(frozen=True, slots=True)  # slots: a 10,000-account run holds 110,000 of them
class ResultRow:
    """One graded row of a control: a resource, its status, the reason and dimensions."""

    resource: str
    status: Status
    reason: str
    dimensions: tuple[tuple[str, str | None], ...] = ()

    def dimension(self, name: str) -> str | None:
        return dict(self.dimensions).get(name)


@dataclass(frozen=True)
class StatusSummary:
    """Counts per status."""

    ok: int = 0
    alarm: int = 0
    info: int = 0
    skip: int = 0
    error: int = 0

    def __add__(self, other: StatusSummary) -> StatusSummary:
        return StatusSummary(
            self.ok + other.ok,
            self.alarm + other.alarm,
            self.info + other.info,
            self.skip + other.skip,
            self.error + other.error,
        )

    @classmethod
    def of(cls, statuses: Iterator[Status] | list[Status]) -> StatusSummary:
        tally = Counter(statuses)  # counted in C: a 10,000-account control has 10,000 rows
        return cls(**{s.value: tally[s] for s in Status})

    @property
    def total(self) -> int:
        return self.ok + self.alarm + self.info + self.skip + self.error

    def as_dict(self) -> dict[str, int]:
        """Powerpipe's order: alarm, ok, info, skip, error."""
        return {"alarm": self.alarm, "ok": self.ok, "info": self.info, "skip": self.skip, "error": self.error}


@dataclass(frozen=True)
class ControlRun:
    """A control node's outcome. ``error`` is set when the control could not run or broke the
    result contract; it then has no rows and counts as one error."""

    node: ControlNode
    rows: tuple[ResultRow, ...]
    error: str | None = None
    duration_s: float = 0.0
    not_assessed: bool = False
    """A benchmark item the mod does not assess: no control ran, and its one ``skip`` row says so.
    Always true for a node without a control (set here when a caller leaves it out)."""

    def __post_init__(self) -> None:
        if self.node.control is None and not self.not_assessed:
            object.__setattr__(self, "not_assessed", True)

    @cached_property
    def summary(self) -> StatusSummary:
        """Counted once (every enclosing group and every output format asks again)."""
        base = StatusSummary.of([r.status for r in self.rows])
        return base + StatusSummary(error=1) if self.error else base

    @property
    def run_status(self) -> str:
        return "error" if self.error else "complete"


@dataclass(frozen=True)
class GroupRun:
    """A benchmark (or the synthetic root group) with its children's outcomes."""

    id: str
    title: str
    description: str
    tags: Mapping[str, str]
    children: tuple[Union["GroupRun", ControlRun], ...]
    benchmark: Benchmark | None = None

    @property
    def summary(self) -> StatusSummary:
        total = StatusSummary()
        for child in self.children:
            total = total + child.summary
        return total

    def control_runs(self) -> Iterator[tuple[tuple[GroupRun, ...], ControlRun]]:
        """Every control run under this group with its chain of ancestor groups (self first)."""
        for child in self.children:
            if isinstance(child, GroupRun):
                for path, run in child.control_runs():
                    yield (self, *path), run
            else:
                yield (self,), child


@dataclass(frozen=True)
class RunContext:
    """What a run was graded against: the as-of instant, the data source, the variables."""

    as_of: datetime
    engine_kind: str
    engine_description: str
    started_at: datetime
    ended_at: datetime
    variables: Mapping[str, Any] = field(default_factory=dict)
    snapshot: SnapshotInfo | None = None
    tool_version: str = ""
    account_names: Mapping[str, str] = field(default_factory=dict)
    """Account id → display name (Organizations name, else IAM alias); see rootwatch.accounts."""
    root_activity: tuple[ActivityDay, ...] | None = None
    """Root events per day, account and credential when the snapshot holds CloudTrail events
    (the HTML report's timeline); None otherwise. See rootwatch.activity."""


@dataclass(frozen=True)
class ResultRecord:
    """One flat row per result (or per control run error), for tabular exports."""

    group_id: str
    group_title: str
    group_description: str
    group_path: tuple[tuple[str, str], ...]
    control_id: str
    control_title: str
    control_description: str
    control: str | None
    severity: str | None
    reason: str
    resource: str
    status: Status
    dimensions: Mapping[str, str | None]
    tags: Mapping[str, str]
    run_error: str | None = None
    not_assessed: bool = False
    """The record of a benchmark item the mod does not assess (see ControlRun.not_assessed)."""


@dataclass(frozen=True)
class RunResult:
    """The result of a benchmark or control run."""

    root: GroupRun
    context: RunContext

    @property
    def summary(self) -> StatusSummary:
        return self.root.summary

    def exit_code(self) -> ExitCode:
        """0 nothing in alarm or error, 1 alarms only, 2 any error (whatever is displayed)."""
        summary = self.summary
        if summary.error:
            return ExitCode.CONTROL_ERROR
        if summary.alarm:
            return ExitCode.ALARM
        return ExitCode.OK

    def control_runs(self) -> Iterator[tuple[tuple[GroupRun, ...], ControlRun]]:
        return self.root.control_runs()

    def records(self) -> list[ResultRecord]:
        """One record per result row, in tree order; a control run error is one error record."""
        records: list[ResultRecord] = []
        for path, run in self.control_runs():
            groups = [g for g in path if g.id != ROOT_GROUP_ID] or list(path)
            parent = groups[-1]
            node = run.node
            common = dict(
                group_id=parent.id,
                group_title=parent.title,
                group_description=parent.description,
                group_path=tuple((g.id, g.title) for g in groups),
                control_id=node.id,
                control_title=node.title,
                control_description=node.description,
                control=node.control.id if node.control else None,
                severity=node.severity,
                tags=dict(node.tags),
                not_assessed=run.not_assessed,
            )
            if run.error:
                records.append(
                    ResultRecord(
                        **common, reason=run.error, resource="", status=Status.ERROR, dimensions={}, run_error=run.error
                    )
                )
            for row in run.rows:
                records.append(
                    ResultRecord(
                        **common,
                        reason=row.reason,
                        resource=row.resource,
                        status=row.status,
                        dimensions=dict(row.dimensions),
                    )
                )
        return records
