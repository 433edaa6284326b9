"""The CIS catalogue: ``cis/cis.yaml`` and one ``cis/v<version>.yaml`` per CIS version, as benchmarks.

A version file lists every recommendation of that version in benchmark order (item, title, level,
automated/manual, and the control that grades it with that version's semantics) and the title of
every section; ``cis/cis.yaml`` holds what every version shares (title and description with
``{version}`` in them, tags, and the evidence-prerequisites group). Adding a CIS version is adding a
file: the code names none.

The benchmark of ``cis/v7.0.0.yaml`` is ``cis_v700``: a prerequisites group
(``cis_v700_prerequisites``), then one nested benchmark per section (``cis_v700_2``,
``cis_v700_2_1``) holding the items (``cis_v700_2_4``, titled ``2.4 <title>``), each tagged
``cis``, ``cis_version``, ``cis_section_id``, ``cis_item_id``, ``cis_level`` and ``cis_type`` on top of
its control's own tags. An item without a control is listed and graded ``skip`` ("not assessed").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from rootwatch.errors import Problem
from rootwatch.mod.benchmarks import tags_of
from rootwatch.mod.model import Benchmark, Control, ControlNode
from rootwatch.yamlio import LineDict, line_of
from rootwatch.yamlschema import collect_document

CIS_DIR = "cis"
SHARED_FILE = "cis.yaml"
VERSION_FILE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")

ResolveControl = Callable[[Any, Path, "int | None"], "Control | None"]
"""``resolve(name, path, line)``: the control, or None with an "unknown control" problem recorded."""


def version_files(location: Path) -> list[Path]:
    """``cis/v*.yaml`` of the mod at ``location``, oldest version first (v10 after v9)."""
    directory = location / CIS_DIR
    if not directory.is_dir():
        return []
    found = [p for p in directory.glob("v*.yaml") if VERSION_FILE.match(p.stem)]
    return sorted(found, key=lambda p: tuple(int(n) for n in VERSION_FILE.match(p.stem).groups()))  # type: ignore[union-attr]


def benchmark_id(version: str) -> str:
    """``v7.0.0`` → ``cis_v700``."""
    return "cis_v" + "".join(VERSION_FILE.match(version).groups())  # type: ignore[union-attr]


@dataclass(frozen=True)
class _Shared:
    """``cis/cis.yaml``: what every version's benchmark shares."""

    title: str
    description: str
    tags: Mapping[str, str]
    prerequisites_title: str
    prerequisites_description: str
    prerequisite_controls: tuple[tuple[Any, int | None], ...]
    path: Path


def load_cis_benchmarks(
    location: Path, resolve: ResolveControl, problems: list[Problem]
) -> list[tuple[Path, Benchmark]]:
    """One benchmark per ``cis/v*.yaml`` with its file, oldest version first; problems are appended."""
    directory = location / CIS_DIR
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        if path.name != SHARED_FILE and not VERSION_FILE.match(path.stem):
            problems.append(Problem(path, None, "a CIS version file is named after its version, e.g. cis/v7.0.0.yaml"))
    files = version_files(location)
    if not files:
        return []
    shared = _load_shared(directory / SHARED_FILE, problems)
    if shared is None:
        return []
    prerequisites = [resolve(name, shared.path, line) for name, line in shared.prerequisite_controls]
    found = [control for control in prerequisites if control is not None]
    benchmarks = []
    for path in files:
        data = _document(path, "cis-version", problems)
        if data is not None:
            benchmarks.append((path, _VersionBuilder(path.stem, shared, found, data, path, resolve, problems).build()))
    return benchmarks


def _document(path: Path, schema: str, problems: list[Problem]) -> LineDict | None:
    """The file's mapping when it is valid YAML that meets its schema; None, the problems
    collected, otherwise (a half-valid catalogue file would only make misleading benchmarks)."""
    before = len(problems)
    data = collect_document(path, schema, problems)
    return data if isinstance(data, LineDict) and len(problems) == before else None


def _load_shared(path: Path, problems: list[Problem]) -> _Shared | None:
    if not path.is_file():
        problems.append(Problem(path, None, "the CIS version files need cis/cis.yaml beside them (title, description, optional prerequisites)"))
        return None
    data = _document(path, "cis", problems)
    if data is None:
        return None
    prerequisites = data.get("prerequisites")
    controls = prerequisites["controls"] if prerequisites else []
    return _Shared(
        title=data["title"].strip(),
        description=data["description"].strip(),
        tags=tags_of(data),
        prerequisites_title=prerequisites["title"].strip() if prerequisites else "",
        prerequisites_description=str((prerequisites or {}).get("description") or "").strip(),
        prerequisite_controls=tuple((name, line_of(prerequisites, "controls")) for name in controls),
        path=path,
    )


Entry = Union[str, ControlNode]
"""A section's child while the tree is built: a subsection's number, or an item."""


class _VersionBuilder:
    """The benchmark tree of one version file (already schema-valid)."""

    def __init__(
        self,
        version: str,
        shared: _Shared,
        prerequisites: Sequence[Control],
        data: LineDict,
        path: Path,
        resolve: ResolveControl,
        problems: list[Problem],
    ) -> None:
        self.version = version
        self.shared = shared
        self.prerequisite_controls = prerequisites
        self.titles: LineDict = data["sections"]
        self.recommendations: list[LineDict] = data["recommendations"]
        self.path = path
        self.resolve = resolve
        self.problems = problems
        self.root_id = benchmark_id(version)
        self.cis = {"cis": "true", "cis_version": version}
        self.entries: dict[str, list[Entry]] = {}
        self.section_tags: dict[str, dict[str, str]] = {}

    def build(self) -> Benchmark:
        top: list[str] = []
        seen: dict[str, int | None] = {}
        for spec in self.recommendations:
            number = spec["item"]
            if number in seen:
                self.problems.append(Problem(self.path, spec.line, f"item {number} is listed twice (first at line {seen[number]})"))
                continue
            seen[number] = spec.line
            parents = _section_numbers(number)
            for depth, section in enumerate(parents):
                if section not in self.entries:
                    outer = parents[depth - 1] if depth else None
                    self._open_section(section, outer, number, spec.line)
                    (top if outer is None else self.entries[outer]).append(section)  # type: ignore[arg-type]
            self.entries[parents[-1]].append(self._item(spec, self.section_tags[parents[-1]]))
        for number in self.titles:
            if number not in self.entries:
                self.problems.append(Problem(self.path, self.titles.line_of(number), f"section {number} holds no recommendation"))
        children: list[Benchmark | ControlNode] = [self._prerequisites()] if self.shared.prerequisites_title else []
        children.extend(self._section(number) for number in top)
        return Benchmark(
            id=self.root_id,
            title=self.shared.title.replace("{version}", self.version),
            description=self.shared.description.replace("{version}", self.version),
            tags={**self.cis, **self.shared.tags},
            children=tuple(children),
            cis_version=self.version,
        )

    def _open_section(self, number: str, outer: str | None, item: str, line: int | None) -> None:
        if number not in self.titles:
            self.problems.append(Problem(self.path, line, f"item {item}: section {number} has no title under 'sections'"))
        self.section_tags[number] = {**(self.section_tags[outer] if outer else self.cis), "cis_section_id": number}
        self.entries[number] = []

    def _section(self, number: str) -> Benchmark:
        children = tuple(self._section(entry) if isinstance(entry, str) else entry for entry in self.entries[number])
        return Benchmark(
            id=f"{self.root_id}_{number.replace('.', '_')}",
            title=f"{number} {str(self.titles.get(number, '')).strip()}".strip(),
            description="",
            tags=self.section_tags[number],
            children=children,
            cis_version=self.version,
        )

    def _item(self, spec: LineDict, section_tags: Mapping[str, str]) -> ControlNode:
        number = spec["item"]
        control = self.resolve(spec["control"], self.path, line_of(spec, "control")) if "control" in spec else None
        item_tags = {**section_tags, "cis_item_id": number, "cis_level": str(spec["level"]), "cis_type": spec["type"]}
        return ControlNode(
            id=f"{self.root_id}_{number.replace('.', '_')}",
            title=f"{number} {spec['title'].strip()}",
            description=control.description if control else "",
            tags={**(control.tags if control else {}), **item_tags},
            control=control,
        )

    def _prerequisites(self) -> Benchmark:
        nodes = tuple(
            ControlNode(c.id, c.title, c.description, {**c.tags, **self.cis}, c) for c in self.prerequisite_controls
        )
        return Benchmark(
            id=f"{self.root_id}_prerequisites",
            title=self.shared.prerequisites_title,
            description=self.shared.prerequisites_description,
            tags={},
            children=nodes,
            cis_version=self.version,
        )


def _section_numbers(item: str) -> list[str]:
    """``2.1.1`` → ``["2", "2.1"]``: the sections an item sits in, outermost first."""
    parts = item.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]
