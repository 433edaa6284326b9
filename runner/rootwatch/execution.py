"""Running controls: compile once per control, execute in parallel, grade, build the result tree."""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from rootwatch.computed_once import SharedPlan, plan_sharing
from rootwatch.engines.base import Engine, KeepsRows, QueryFailed
from rootwatch.errors import SqlError, VariableError
from rootwatch.evidence import mask_uncaptured
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
from rootwatch.scheduling import Schedule, Task
from rootwatch.sql.parsing import SqlSource
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
    sql = compile_control(control, engine, options, as_of, missing, missing_columns)
    return sql if isinstance(sql, Graded) else execute_control(control, engine, sql)


def compile_control(
    control: Control,
    engine: Engine,
    options: RunOptions,
    as_of: datetime,
    missing: frozenset[str],
    missing_columns: frozenset[tuple[str, str]] = frozenset(),
) -> str | Graded:
    """The SQL ``control`` runs on ``engine``, or the error outcome when it cannot be compiled."""
    from rootwatch.sql.compile import compile_sql

    try:
        return compile_sql(
            control.source, engine.kind, options.variables, as_of, missing_tables=missing, missing_columns=missing_columns
        )
    except (SqlError, VariableError) as exc:
        return Graded((), f"control {control.id} cannot be compiled: {exc}")


def execute_control(control: Control, engine: Engine, sql: str, shared: dict[Any, Any] | None = None) -> Graded:
    """Execute ``control``'s compiled ``sql`` and grade its rows; a failed statement is an error
    outcome. ``shared``: see :func:`rootwatch.grading.grade` (a run passes one to all its controls)."""
    try:
        result = engine.execute(sql)
    except QueryFailed as exc:
        return Graded((), f"control {control.id} failed: {exc.message}")
    return grade(control.id, result, shared)


def _not_assessed(node: ControlNode) -> ControlRun:
    item = node.tags.get("cis_item_id")
    where = f"CIS {item} is outside rootwatch's root-user scope" if item else "no control is attached"
    row = ResultRow(resource=node.id, status=Status.SKIP, reason=f"{NOT_ASSESSED} ({where})")
    return ControlRun(node, (row,), not_assessed=True)


def _workers(options: RunOptions, *, in_process: bool) -> int:
    """Statements run at once: ``--max-parallel``, and no more than the machine's cores when the
    engine runs them in this process (DuckDB): a statement then keeps a core busy from start to
    end, and more of them at once only take turns, which delays the longest one's end."""
    workers = max(1, options.max_parallel)
    if in_process:
        workers = min(workers, os.cpu_count() or 1)
    return workers


def statements_at_once(plan: RunPlan) -> int:
    """How many statements a run of ``plan`` has side by side on an in-process engine, for the
    engine to share the cores among (DataSource.statements_at_once)."""
    return min(_workers(plan.options, in_process=True), max(1, len(plan.controls)))


GIL_SWITCH_INTERVAL = 0.0002
"""Seconds a Python thread may hold the GIL while another waits for it, during an in-process run
(Python's default: 0.005)."""


@contextlib.contextmanager
def _prompt_gil_handoff() -> Iterator[None]:
    """Within the block, a thread that wants Python's GIL gets it within GIL_SWITCH_INTERVAL.

    DuckDB runs a statement without the GIL, but takes it back often while it runs (to look for an
    interrupt). Each time it waited until the thread holding it let go, up to 5 ms, and the other
    worker or the main thread held it while grading rows: at 10,000 accounts root_activity_alerted
    took 0.85 s beside a thread running Python instead of 0.29 s alone; with 0.2 ms, 0.29 s. In
    the root benchmark's run, 0.04-0.05 s less. Restored after the run: it is the process's.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, GIL_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _row_keeper(engine: Engine) -> KeepsRows | None:
    """``engine`` as one that can keep a relation's rows for the rest of the run, or None."""
    return engine if isinstance(engine, KeepsRows) and engine.can_keep_rows else None


def _plan_sharing(
    engine: Engine,
    options: RunOptions,
    as_of: datetime,
    missing: frozenset[str],
    missing_columns: frozenset[tuple[str, str]],
    controls: list[Control],
) -> SharedPlan:
    """The shared relations of ``controls`` to compute once on ``engine`` (one that keeps rows)."""
    if len(controls) < 2:
        return SharedPlan()
    from rootwatch.sql.compile import compile_sql

    def compile_source(source: SqlSource) -> str:
        return compile_sql(
            source, engine.kind, options.variables, as_of, missing_tables=missing, missing_columns=missing_columns
        )

    return plan_sharing(controls, compile_source)


def _cost(engine: Engine, sql: str) -> int:
    """A statement's estimated cost, to schedule it by (see rootwatch.scheduling).

    On an in-process engine, the SQL's length: the cost there is mostly planning, which grows with
    it (the shared relations a statement reads are inlined). A server (Postgres, Spark) keeps the
    plan's order: its statements mostly wait on the server."""
    return len(sql) if engine.runs_in_process else 0


def _needed(relations: Iterable[str]) -> tuple[str, ...]:
    """The schedule's keys of the kept ``relations`` a statement reads."""
    return tuple(f"relation {name}" for name in relations)


def run_targets(engine: Engine, targets: Sequence[Target], options: RunOptions) -> RunResult:
    """Plan and run ``targets`` (benchmarks and control nodes) on ``engine``."""
    return run_plan(engine, plan_run(targets, options))


def run_plan(engine: Engine, plan: RunPlan) -> RunResult:
    """Run a plan on ``engine`` and return the graded tree.

    A control used by several targets (every CIS version's root MFA item, say) runs once.
    """
    from rootwatch.accounts import account_names

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
    done = 0

    def finished(control_id: str, graded: Graded, seconds: float) -> None:
        nonlocal done
        outcomes[control_id] = (graded, seconds)
        done += 1
        if options.progress is not None:
            options.progress(done, total, control_id)

    # Compiled first (from the cache, a millisecond each), so that the statements can be scheduled
    # by their length: see _cost.
    statements: list[tuple[Control, str, float]] = []
    for control in controls.values():
        began = time.perf_counter()
        sql = compile_control(control, engine, options, as_of, missing, missing_columns)
        if isinstance(sql, Graded):
            finished(control.id, sql, time.perf_counter() - began)
        else:
            statements.append((control, sql, time.perf_counter() - began))

    keeper = _row_keeper(engine)
    shared = (
        _plan_sharing(engine, options, as_of, missing, missing_columns, [c for c, _, _ in statements])
        if keeper is not None
        else SharedPlan()
    )
    statements = [(control, shared.sql.get(control.id, sql), compiling) for control, sql, compiling in statements]
    # A kept relation's failure (None: computed), read by the statements that need it once it ended.
    failures: dict[str, str | None] = {}

    def first_failure(relations: Iterable[str]) -> str | None:
        """The first failure among the kept ``relations`` (all ended), or None."""
        return next((failures[name] for name in relations if failures[name]), None)

    def keep(keeper: KeepsRows, name: str, sql: str) -> None:
        """Compute a shared relation once (see rootwatch.computed_once)."""
        failure = first_failure(shared.needs.get(name, ()))
        if failure is None:
            try:
                keeper.keep_rows(name, sql)
            except QueryFailed as exc:
                failure = exc.message
        failures[name] = failure

    # Equal values of every control's rows as one object each (an account's resource and id appear
    # in each control); dict.setdefault is atomic, so the workers share it without a lock.
    equal_values: dict[Any, Any] = {}
    # Graded controls, for the main thread (which reports progress); an exception a worker raised.
    graded_controls: queue.SimpleQueue[tuple[str, Graded, float] | BaseException] = queue.SimpleQueue()

    def work(control: Control, sql: str, compiling: float) -> None:
        began = time.perf_counter()
        failure = first_failure(shared.reads.get(control.id, ()))
        if failure is not None:
            graded = Graded((), f"control {control.id} failed: {failure}")
        else:
            graded = execute_control(control, engine, sql, equal_values)
        if uncaptured and graded.error is None:
            graded = Graded(mask_uncaptured(control, graded.rows, uncaptured, uncaptured_regions))
        graded_controls.put((control.id, graded, compiling + time.perf_counter() - began))

    tasks: list[Task[None]] = []
    if keeper is not None:
        for name, sql in shared.relations.items():
            run = functools.partial(keep, keeper, name, sql)
            tasks.append(Task(f"relation {name}", run, _needed(shared.needs.get(name, ())), _cost(engine, sql)))
    for control, sql, compiling in statements:
        run = functools.partial(work, control, sql, compiling)
        tasks.append(Task(f"control {control.id}", run, _needed(shared.reads.get(control.id, ())), _cost(engine, sql)))
    schedule = Schedule(tasks)

    def worker() -> None:
        while (task := schedule.next()) is not None:
            try:
                task.run()
            except BaseException as exc:  # a defect: the main thread raises it
                graded_controls.put(exc)
                schedule.stop()
            finally:
                schedule.finished(task)

    workers = min(_workers(options, in_process=engine.runs_in_process), max(1, len(tasks)))
    pool = ThreadPoolExecutor(max_workers=workers)
    handoff = _prompt_gil_handoff() if engine.runs_in_process and workers > 1 else contextlib.nullcontext()
    with handoff:
        try:
            for _ in range(workers if tasks else 0):
                pool.submit(worker)
            # In process, the names are read on the main thread while the workers run (two small
            # statements that would otherwise wait for them); from a server, once the controls are done,
            # so that a slow endpoint does not hold up the progress bar.
            names = account_names(engine, as_of) if controls and engine.runs_in_process else None
            for _ in statements:
                outcome = graded_controls.get()
                if isinstance(outcome, BaseException):
                    raise outcome
                finished(*outcome)
        except BaseException:
            # Ctrl-C or SIGTERM (KeyboardInterrupt here, on the main thread): the workers' statements
            # would run to their end (minutes on a slow endpoint) before the pool let go. Start no other
            # statement and stop what runs, on the server.
            schedule.stop()
            engine.interrupt()
            raise
        finally:
            pool.shutdown(wait=True)
            if keeper is not None and shared.relations:
                keeper.forget_kept_rows()
    if names is None:
        names = account_names(engine, as_of) if controls else {}

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
        account_names=names,
        root_activity=root_activity(engine, plan.activity, as_of, options.variables) if plan.activity else None,
    )
    return RunResult(root, context)
