"""Running controls: compile once per control, execute in parallel, grade, build the result tree."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone

from rootwatch.engines.base import Engine, QueryFailed
from rootwatch.evidence import mask_uncaptured
from rootwatch.errors import SqlError, VariableError
from rootwatch.grading import Graded, grade
from rootwatch.mod.model import Control, ControlNode
from rootwatch.options import RunOptions
from rootwatch.plan import RunPlan, Target, plan_run
from rootwatch.preflight import require_account_table
from rootwatch.results import (
    ROOT_GROUP_ID,
    ControlRun,
    GroupRun,
    ResultRow,
    RunContext,
    RunResult,
)
from rootwatch.status import Status

NOT_ASSESSED = "not assessed by this mod"


def missing_optional_tables(engine: Engine) -> frozenset[str]:
    """rootwatch-only tables the engine lacks (controls then read an empty stand-in)."""
    from rootwatch.schema.tables import load_tables

    available = engine.available_tables()
    return frozenset(t.name for t in load_tables().values() if t.origin == "rootwatch" and t.name not in available)


def missing_optional_columns(engine: Engine) -> frozenset[tuple[str, str]]:
    """(table, column) pairs of rootwatch-only columns the engine's tables lack (a live Steampipe
    endpoint, a snapshot built before the column existed); controls then read NULL for them."""
    from rootwatch.schema.tables import load_tables, quote_identifier

    available = engine.available_tables()
    missing: set[tuple[str, str]] = set()
    for table in load_tables().values():
        own = [c.name for c in table.columns if c.origin == "rootwatch"]
        if table.origin == "rootwatch" or not own or table.name not in available:
            continue
        # WHERE FALSE: the planner answers with the column list alone, without scanning (on
        # Steampipe, without an API call).
        try:
            columns = set(engine.execute(f"SELECT * FROM {quote_identifier(table.name)} WHERE FALSE").columns)
        except QueryFailed:
            continue  # the controls reading the table fail on their own, with the database's words
        missing.update((table.name, name) for name in own if name not in columns)
    return frozenset(missing)


def run_control_sql(
    control: Control,
    engine: Engine,
    options: RunOptions,
    as_of: datetime,
    missing: frozenset[str],
    missing_columns: frozenset[tuple[str, str]] = frozenset(),
) -> Graded:
    """Compile, execute and grade one control; failures become an error outcome, never an exception."""
    from rootwatch.sql.compile import compile_sql

    try:
        sql = compile_sql(
            control.source, engine.kind, options.variables, as_of, missing_tables=missing, missing_columns=missing_columns
        )
    except (SqlError, VariableError) as exc:
        return Graded((), f"control {control.id} cannot be compiled: {exc}")
    try:
        result = engine.execute(sql)
    except QueryFailed as exc:
        return Graded((), f"control {control.id} failed: {exc.message}")
    return grade(control.id, result)


def _not_assessed(node: ControlNode) -> ControlRun:
    item = node.tags.get("cis_item_id")
    where = f"CIS {item} is outside rootwatch's root-user scope" if item else "no control is attached"
    row = ResultRow(resource=node.id, status=Status.SKIP, reason=f"{NOT_ASSESSED} ({where})")
    return ControlRun(node, (row,), not_assessed=True)


def run_targets(engine: Engine, targets: Sequence[Target], options: RunOptions) -> RunResult:
    """Plan and run ``targets`` (benchmarks and control nodes) on ``engine``."""
    return run_plan(engine, plan_run(targets, options))


def run_plan(engine: Engine, plan: RunPlan) -> RunResult:
    """Run a plan on ``engine`` and return the graded tree.

    A control used by several targets (every CIS version's root MFA item, say) runs once.
    """
    options = plan.options
    started = datetime.now(timezone.utc)
    as_of = options.as_of or engine.default_as_of()
    controls = plan.controls
    info = engine.snapshot_info()
    if controls and info is None:
        require_account_table(engine)
    missing = missing_optional_tables(engine) if controls else frozenset()
    missing_columns = missing_optional_columns(engine) if controls else frozenset()
    uncaptured = info.uncaptured_tables() if info is not None else {}
    uncaptured_regions = info.uncaptured_regions() if info is not None else {}

    outcomes: dict[str, tuple[Graded, float]] = {}
    total = len(controls)

    def work(control: Control) -> tuple[str, Graded, float]:
        began = time.perf_counter()
        graded = run_control_sql(control, engine, options, as_of, missing, missing_columns)
        if uncaptured and graded.error is None:
            graded = Graded(mask_uncaptured(control, graded.rows, uncaptured, uncaptured_regions))
        return control.id, graded, time.perf_counter() - began

    pool = ThreadPoolExecutor(max_workers=max(1, options.max_parallel))
    try:
        futures = [pool.submit(work, control) for control in controls.values()]
        for done, future in enumerate(as_completed(futures), start=1):
            control_id, graded, seconds = future.result()
            outcomes[control_id] = (graded, seconds)
            if options.progress is not None:
                options.progress(done, total, control_id)
    except BaseException:
        # Ctrl-C or SIGTERM (KeyboardInterrupt here, on the main thread): the workers' statements
        # would run to their end (minutes on a slow endpoint) before the pool let go. Drop what has
        # not started and stop what runs, on the server.
        pool.shutdown(wait=False, cancel_futures=True)
        engine.interrupt()
        raise
    finally:
        pool.shutdown(wait=True)

    def build(target: Target) -> GroupRun | ControlRun:
        if isinstance(target, ControlNode):
            if target.control is None:
                return _not_assessed(target)
            graded, seconds = outcomes[target.control.id]
            return ControlRun(target, graded.rows, graded.error, seconds)
        return GroupRun(
            id=target.id,
            title=target.title,
            description=target.description,
            tags=dict(target.tags),
            children=tuple(build(child) for child in target.children),
            benchmark=target,
        )

    from rootwatch import __version__
    from rootwatch.accounts import account_names
    from rootwatch.activity import root_activity

    root = GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, tuple(build(t) for t in plan.targets))
    context = RunContext(
        as_of=as_of,
        engine_kind=engine.kind,
        engine_description=engine.description,
        started_at=started,
        ended_at=datetime.now(timezone.utc),
        variables=dict(options.variables),
        snapshot=info,
        tool_version=__version__,
        account_names=account_names(engine, as_of) if controls else {},
        root_activity=root_activity(engine, plan.activity, as_of, options.variables) if plan.activity else None,
    )
    return RunResult(root, context)
