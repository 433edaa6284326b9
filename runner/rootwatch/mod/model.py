"""The mod's objects: immutable once loaded."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from rootwatch.sql.parsing import SqlSource

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Variable:
    """A mod variable (``:name`` in SQL)."""

    name: str
    type: str
    description: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class ControlDocs:
    rationale: str
    remediation: str


@dataclass(frozen=True)
class Control:
    """A control: ``controls/<id>.sql`` plus its metadata in ``controls/<id>.yaml``."""

    id: str
    title: str
    description: str
    severity: str
    tags: Mapping[str, str]
    docs: ControlDocs
    sql_path: Path
    meta_path: Path
    sql: str = field(repr=False)
    optional_evidence: frozenset[str] = frozenset()
    """Tables the control grades without, saying in its reason what is missing (``optional_evidence``
    in its YAML). Every other table it reads is required: where a snapshot did not capture one for
    an account, the runner grades that account ``skip`` instead of trusting an empty table."""
    headline: str = ""
    """What an alarm of this control is called in a few words ("root access key"), for alert
    subjects (``headline`` in its YAML); the title is used where it is empty."""
    alarms_stand_without: frozenset[str] = frozenset()
    """Required tables whose rows can only turn a verdict into an alarm (``alarms_stand_without`` in
    its YAML): where a snapshot did not capture one, an ``alarm`` the control gave without it still
    stands (no virtual MFA device list cannot turn "no MFA at all" into hardware MFA), while its
    other verdicts are ``skip``."""
    passes_stand_without: frozenset[str] = frozenset()
    """Required tables whose rows can only turn a verdict into a pass (``passes_stand_without`` in
    its YAML): where a snapshot did not capture one, an ``ok`` the control gave without it still
    stands (more EventBridge rules cannot undo a pass); another verdict is ``skip``, unless the
    table was missed only in some regions of the account and the row's ``region`` dimension names
    a region that was captured (the verdict rests on that region's rows alone)."""
    relations: tuple[SqlSource, ...] = field(default=(), repr=False)
    """The mod's shared relations, which the SQL may read by name."""

    @property
    def source(self) -> SqlSource:
        return SqlSource(self.id, self.sql, self.sql_path, self.relations)


@dataclass(frozen=True)
class Query:
    """An analyst query: ``queries/<name>.sql`` with optional ``queries/<name>.yaml`` metadata."""

    name: str
    title: str
    description: str
    sql_path: Path | None
    sql: str = field(repr=False)
    relations: tuple[SqlSource, ...] = field(default=(), repr=False)
    """The mod's shared relations, which the SQL may read by name."""

    @property
    def source(self) -> SqlSource:
        return SqlSource(self.name, self.sql, self.sql_path, self.relations)


@dataclass(frozen=True)
class ControlNode:
    """A control as placed in a benchmark, e.g. CIS v7.0.0 item 2.4 running ``root_no_access_keys``.

    ``control`` is None for a benchmark item this mod does not assess; it is graded ``skip``.
    """

    id: str
    title: str
    description: str
    tags: Mapping[str, str]
    control: Control | None

    @property
    def severity(self) -> str | None:
        return self.control.severity if self.control else None


@dataclass(frozen=True)
class Benchmark:
    """A group of controls and nested benchmarks (a CIS section is a nested benchmark)."""

    id: str
    title: str
    description: str
    tags: Mapping[str, str]
    children: tuple[Union["Benchmark", ControlNode], ...]
    cis_version: str | None = None

    def control_nodes(self) -> Iterator[ControlNode]:
        """Every control node under this benchmark, depth first, in order."""
        for child in self.children:
            if isinstance(child, Benchmark):
                yield from child.control_nodes()
            else:
                yield child

    def benchmarks(self) -> Iterator[Benchmark]:
        """This benchmark and every nested one."""
        yield self
        for child in self.children:
            if isinstance(child, Benchmark):
                yield from child.benchmarks()


@dataclass(frozen=True)
class Mod:
    """Everything in a mod directory."""

    name: str
    title: str
    description: str
    location: Path
    variables: Mapping[str, Variable]
    controls: Mapping[str, Control]
    queries: Mapping[str, Query]
    benchmarks: Mapping[str, Benchmark]
    """Top-level benchmarks, in mod.yaml order."""
    relations: Mapping[str, SqlSource] = field(default_factory=dict, repr=False)
    """Shared relations (``controls/relations/<name>.sql``) by name; see :mod:`rootwatch.sql.relations`."""

    def all_benchmarks(self) -> dict[str, Benchmark]:
        """Top-level and nested benchmarks by id."""
        found: dict[str, Benchmark] = {}
        for top in self.benchmarks.values():
            for bench in top.benchmarks():
                found[bench.id] = bench
        return found

    def benchmark(self, name: str) -> Benchmark:
        from rootwatch.errors import UnknownNameError

        known = self.all_benchmarks()
        if name not in known:
            raise UnknownNameError("benchmark", name, list(known))
        return known[name]

    def control(self, name: str) -> Control:
        from rootwatch.errors import UnknownNameError

        if name not in self.controls:
            raise UnknownNameError("control", name, list(self.controls))
        return self.controls[name]

    def query(self, name: str) -> Query:
        from rootwatch.errors import UnknownNameError

        if name not in self.queries:
            raise UnknownNameError("query", name, list(self.queries))
        return self.queries[name]
