"""Names as rootwatch prints them, accepted back: the one place an id given by a user is resolved.

Every id rootwatch writes can be given back to every command, short or qualified the way Powerpipe
qualifies them:

- benchmarks: ``cis_v700``, ``rootwatch.benchmark.cis_v700`` (JSON ``group_id``, CSV), or ``benchmark.cis_v700``;
- controls: ``root_mfa_enabled``, ``rootwatch.control.root_mfa_enabled`` (JSON/CSV ``control_id``),
  ``control.root_mfa_enabled``, or ``rootwatch/root_mfa_enabled`` (an ASFF ``GeneratorId``);
- benchmark items are controls too: ``cis_v400_1_4`` (or ``rootwatch.control.cis_v400_1_4``) is
  CIS v4.0.0 item 1.4, run with that version's semantics (its control, its tags, its title);
- queries: ``root_activity`` or ``rootwatch.query.root_activity``;
- ``all`` names every top-level benchmark (``benchmark run all``) or every control (``control run all``),
  as in Powerpipe, unless the mod has a benchmark or control of that name.

A name of the wrong kind says where it belongs (``rootwatch.benchmark.cis_v700`` given to ``control
run`` points at ``benchmark run``) instead of only "unknown".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from rootwatch.errors import UnknownNameError, UsageError
from rootwatch.mod.model import Benchmark, ControlNode, Mod, Query

Kind = Literal["benchmark", "control", "query"]
KINDS: tuple[Kind, ...] = ("benchmark", "control", "query")
ALL = "all"
"""The name that stands for every benchmark (``benchmark run all``) or every control."""

_RUN_COMMANDS = {"benchmark": "rootwatch benchmark run", "control": "rootwatch control run", "query": "rootwatch query run"}


def qualified(kind: Kind, short: str, mod_name: str = "rootwatch") -> str:
    """Powerpipe's full name: ``rootwatch.control.cis_v700_2_4``."""
    return f"{mod_name}.{kind}.{short}"


def split_name(name: str, mod_name: str = "rootwatch") -> tuple[Kind | None, str]:
    """``(kind, short id)`` of a name as given: the kind it is qualified with, or None for a short id.

    ``rootwatch.control.x`` and ``control.x`` give ``("control", "x")``; ``rootwatch/x`` (an ASFF
    GeneratorId) gives ``("control", "x")``; anything else is returned as a short id, unchanged.
    """
    text = name.strip()
    generator = f"{mod_name}/"
    if text.startswith(generator) and "/" not in text[len(generator):]:
        return "control", text[len(generator):]
    parts = text.split(".")
    if len(parts) == 3 and parts[0] == mod_name and parts[1] in KINDS and parts[2]:
        return parts[1], parts[2]  # type: ignore[return-value]
    if len(parts) == 2 and parts[0] in KINDS and parts[1]:
        return parts[0], parts[1]  # type: ignore[return-value]
    return None, text


def short_id(name: str, mod_name: str = "rootwatch") -> str:
    """The short id of a (possibly qualified) name: what ``--where`` compares with."""
    return split_name(name, mod_name)[1]


def benchmark_items(mod: Mod) -> dict[str, ControlNode]:
    """Every control node placed in a benchmark under an id of its own (a CIS item, say), by id.

    Nodes whose id is their control's (the ``root`` benchmark's children) are the control itself.
    """
    items: dict[str, ControlNode] = {}
    for top in mod.benchmarks.values():
        for node in top.control_nodes():
            if node.control is None or node.id != node.control.id:
                items.setdefault(node.id, node)
    return items


def standalone_node(mod: Mod, control_id: str) -> ControlNode:
    """A control run on its own, as a node of no benchmark."""
    control = mod.control(control_id)
    return ControlNode(control.id, control.title, control.description, dict(control.tags), control)


def resolve_benchmark(mod: Mod, name: str) -> Benchmark:
    """The benchmark (top-level or nested, e.g. a CIS section) that ``name`` names."""
    kind, short = split_name(name, mod.name)
    known = mod.all_benchmarks()
    if kind in (None, "benchmark") and short in known:
        return known[short]
    _wrong_kind(mod, name, kind, short, wanted="benchmark")
    raise UnknownNameError("benchmark", name, list(known))


def resolve_control(mod: Mod, name: str) -> ControlNode:
    """The control node ``name`` names: a control of ``controls/`` (run on its own) or a benchmark
    item such as ``cis_v400_1_4`` (run as that item: its control with that version's semantics)."""
    kind, short = split_name(name, mod.name)
    if kind in (None, "control"):
        if short in mod.controls:
            return standalone_node(mod, short)
        items = benchmark_items(mod)
        if short in items:
            return items[short]
    _wrong_kind(mod, name, kind, short, wanted="control")
    raise UnknownNameError("control", name, [*mod.controls, *benchmark_items(mod)])


def resolve_query(mod: Mod, name: str) -> Query:
    """The analyst query ``name`` names."""
    kind, short = split_name(name, mod.name)
    if kind in (None, "query") and short in mod.queries:
        return mod.queries[short]
    _wrong_kind(mod, name, kind, short, wanted="query")
    raise UnknownNameError("query", name, list(mod.queries))


def benchmark_targets(mod: Mod, names: Sequence[str]) -> list[Benchmark]:
    """The benchmarks ``names`` name, in order, each once; ``all`` is every top-level benchmark."""
    found: list[Benchmark] = []
    for name in names:
        if name == ALL and ALL not in mod.all_benchmarks():
            found.extend(mod.benchmarks.values())
        else:
            found.append(resolve_benchmark(mod, name))
    return list(_unique(found))


def control_targets(mod: Mod, names: Sequence[str]) -> list[ControlNode]:
    """The control nodes ``names`` name, in order, each once; ``all`` is every control of the mod."""
    found: list[ControlNode] = []
    for name in names:
        if name == ALL and ALL not in mod.controls:
            found.extend(standalone_node(mod, control_id) for control_id in mod.controls)
        else:
            found.append(resolve_control(mod, name))
    return list(_unique(found))


def _unique(targets: Iterable[Benchmark | ControlNode]) -> Iterator:
    seen: set[str] = set()
    for target in targets:
        if target.id not in seen:
            seen.add(target.id)
            yield target


def _wrong_kind(mod: Mod, name: str, kind: Kind | None, short: str, *, wanted: Kind) -> None:
    """Raise a UsageError pointing at the right command when ``name`` is a known id of another kind."""
    holders: dict[Kind, bool] = {
        "benchmark": short in mod.all_benchmarks(),
        "control": short in mod.controls or short in benchmark_items(mod),
        "query": short in mod.queries,
    }
    for other in KINDS:
        if other == wanted or (kind is not None and kind != other) or not holders[other]:
            continue
        noun = "a benchmark item (a control)" if other == "control" and short not in mod.controls else f"a {other}"
        raise UsageError(f"{name!r} is {noun}, not a {wanted}", hint=f"{_RUN_COMMANDS[other]} {short}")
