"""Benchmark trees from ``mod.yaml``: nested benchmarks and the controls placed in them.

The shape of ``benchmarks:`` is checked by ``mod.schema.json``; this module resolves what the schema
cannot: that each named control exists (with a "did you mean") and that no benchmark id is used
twice, across mod.yaml and the CIS catalogue (:mod:`rootwatch.mod.cis`) alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rootwatch.errors import Problem
from rootwatch.mod.model import Benchmark, Control, ControlNode
from rootwatch.yamlio import LineDict, line_of


def tag_text(value: Any) -> str:
    """A tag value as text: YAML's true/false stay lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tags_of(spec: Mapping[str, Any]) -> dict[str, str]:
    raw = spec.get("tags")
    return {str(k): tag_text(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


class BenchmarkBuilder:
    """Builds the benchmarks of mod.yaml and keeps every benchmark id of the mod unique."""

    def __init__(self, controls: Mapping[str, Control], problems: list[Problem]) -> None:
        self.controls = controls
        self.problems = problems
        self.seen_ids: dict[str, str] = {}

    def claim(self, bench_id: str, path: Path, line: int | None) -> None:
        """Record a benchmark id; a second use is a problem naming the first."""
        where = f"{path}:{line}" if line else str(path)
        if bench_id in self.seen_ids:
            self.problems.append(Problem(path, line, f"benchmark id {bench_id!r} is used twice (first at {self.seen_ids[bench_id]})"))
            return
        self.seen_ids[bench_id] = where

    def claim_tree(self, bench: Benchmark, path: Path) -> None:
        """Claim every id of a benchmark built elsewhere (a CIS version file)."""
        for nested in bench.benchmarks():
            self.claim(nested.id, path, None)

    def resolve(self, name: Any, path: Path, line: int | None) -> Control | None:
        """The control called ``name``, or None with an "unknown control" problem."""
        control = self.controls.get(str(name))
        if control is None:
            from rootwatch.suggest import did_you_mean

            guess = did_you_mean(str(name), self.controls)
            hint = f" (did you mean {guess!r}?)" if guess else ""
            self.problems.append(Problem(path, line, f"unknown control {name!r}{hint}"))
        return control

    def from_mod_yaml(self, raw: Any, path: Path) -> dict[str, Benchmark]:
        """The top-level benchmarks under ``benchmarks:``, in file order."""
        benchmarks: dict[str, Benchmark] = {}
        if not isinstance(raw, dict):
            return benchmarks
        for bench_id, spec in raw.items():
            if isinstance(spec, dict):
                benchmarks[str(bench_id)] = self._benchmark(str(bench_id), spec, path, line_of(raw, bench_id))
        return benchmarks

    def _benchmark(self, bench_id: str, spec: Mapping[str, Any], path: Path, line: int | None) -> Benchmark:
        self.claim(bench_id, path, line)
        children: list[Benchmark | ControlNode] = []
        for child in spec.get("children") or []:
            node = self._child(child, path)
            if node is not None:
                children.append(node)
        return Benchmark(
            id=bench_id,
            title=text_of(spec, "title"),
            description=text_of(spec, "description"),
            tags=tags_of(spec),
            children=tuple(children),
        )

    def _child(self, spec: Any, path: Path) -> Benchmark | ControlNode | None:
        if not isinstance(spec, LineDict):
            return None
        if "control" in spec:
            control = self.resolve(spec["control"], path, line_of(spec, "control"))
            if control is None:
                return None
            return ControlNode(
                id=str(spec.get("id") or control.id),
                title=str(spec.get("title") or control.title),
                description=str(spec.get("description") or control.description),
                tags={**control.tags, **tags_of(spec)},
                control=control,
            )
        if "benchmark" in spec:
            return self._benchmark(str(spec["benchmark"]), spec, path, spec.line)
        return None  # the schema reported a child with neither


def text_of(data: Mapping[str, Any], key: str) -> str:
    """A text value, stripped; "" when absent or not text (the schema has reported that)."""
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""
