"""What a run will do, decided once, before any engine is opened.

The command line resolves names to objects (:mod:`rootwatch.mod.ids`), then :func:`plan_run` applies
``--tag``/``--where`` once, checks once that every variable a selected control uses has a value,
and returns a :class:`RunPlan`. ``--dry-run`` prints the plan; a run executes it
(:func:`rootwatch.execution.run_plan`). Nothing is selected or checked twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

from rootwatch.errors import SqlError, UsageError
from rootwatch.mod.model import Benchmark, Control, ControlNode
from rootwatch.options import RunOptions
from rootwatch.sql.parsing import SqlSource

Target = Union[Benchmark, ControlNode]
"""What a run is asked for: benchmarks (a CIS section is one) and control nodes."""


@dataclass(frozen=True)
class RunPlan:
    """The selected targets of a run, the controls they execute, and how.

    ``targets`` are pruned to the control nodes ``--tag``/``--where`` select; ``nodes`` lists every
    selected node in tree order (a benchmark item the mod does not assess included); ``controls``
    the SQL controls to execute, each once however many benchmarks place it.
    """

    targets: tuple[Target, ...]
    nodes: tuple[ControlNode, ...]
    controls: dict[str, Control]
    options: RunOptions
    activity: SqlSource | None = None
    """The query whose rows draw the root-activity timeline, when the snapshot holds CloudTrail
    events (see :mod:`rootwatch.activity`); None: no timeline."""

    @property
    def assessed(self) -> int:
        """Selected nodes graded by a control."""
        return sum(1 for node in self.nodes if node.control is not None)

    @property
    def not_assessed(self) -> int:
        """Selected benchmark items the mod does not assess (each graded skip without running)."""
        return len(self.nodes) - self.assessed


def tags_match(node: ControlNode, wanted: Sequence[tuple[str, str]]) -> bool:
    """True when the node carries every (key, value) tag in ``wanted``."""
    return all(node.tags.get(key) == value for key, value in wanted)


def _prune(target: Target, options: RunOptions) -> Target | None:
    """``target`` without the control nodes that ``--tag`` and ``--where`` leave out."""
    if isinstance(target, ControlNode):
        chosen = tags_match(target, options.tags) and (options.select is None or options.select(target))
        return target if chosen else None
    children = tuple(c for c in (_prune(child, options) for child in target.children) if c is not None)
    if not children:
        return None
    return Benchmark(target.id, target.title, target.description, target.tags, children, target.cis_version)


def select_targets(targets: Sequence[Target], options: RunOptions) -> list[Target]:
    """``targets`` pruned to the control nodes that ``--tag`` and ``--where`` select (empty
    benchmarks dropped)."""
    return [t for t in (_prune(t, options) for t in targets) if t is not None]


def nodes_of(target: Target) -> list[ControlNode]:
    """Every control node of a target, in tree order."""
    return [target] if isinstance(target, ControlNode) else list(target.control_nodes())


def plan_run(targets: Sequence[Target], options: RunOptions, *, activity: SqlSource | None = None) -> RunPlan:
    """Select and check what ``targets`` will run.

    Raises UsageError when ``--tag``/``--where`` leave nothing (an empty run would exit 0, and a CI
    gate with a typo in its filter would pass forever), and VariableError when a selected control
    uses a variable without a value, and SqlError when a selected control calls a function not
    known to be free of side effects (:mod:`rootwatch.sql.side_effects`).
    """
    selected = select_targets(targets, options)
    if not selected and (options.tags or options.select is not None):
        raise UsageError(
            f"no control of {', '.join(t.id for t in targets)} matches {_filters(options)}",
            hint="check the names: benchmark items carry the tags cis_item_id, cis_level, cis_type, cis_version and service",
        )
    nodes = tuple(node for target in selected for node in nodes_of(target))
    controls = {node.control.id: node.control for node in nodes if node.control is not None}
    _check_variables(controls, options)
    _check_side_effects(controls)
    return RunPlan(tuple(selected), nodes, controls, options, activity)


def _filters(options: RunOptions) -> str:
    described = [f"--tag {key}={value}" for key, value in options.tags]
    if options.select is not None:
        describe = getattr(options.select, "describe", None)
        described.append(describe() if callable(describe) else "the --where selection")
    return " and ".join(described)


def _check_variables(controls: dict[str, Control], options: RunOptions) -> None:
    """VariableError, before anything runs, when a control uses a variable with no value.

    A control whose SQL does not even parse is left to fail on its own, as an ``error`` row.
    """
    from rootwatch.sql.binding import require_values
    from rootwatch.sql.parsing import placeholders

    for control in controls.values():
        try:
            used = placeholders(control.source)
        except SqlError:
            continue
        require_values(f"control {control.id}", used, options.variables)


def _check_side_effects(controls: dict[str, Control]) -> None:
    """SqlError, before anything runs, when a control (with the relations it reads) could change
    something: the whole run is refused rather than that control graded ``error``, since running the
    others on an endpoint a control tried to write to is not what anyone asked for."""
    from rootwatch.sql.compile_cache import source_facts

    for control in controls.values():
        try:
            facts = source_facts(control.source)  # kept on disk: a cached run parses nothing
        except SqlError:
            continue  # fails on its own, as an ``error`` row
        facts.require_side_effect_free(f"control {control.id} ({control.source.where()})")
