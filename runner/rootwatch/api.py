"""The library surface: load the mod, run benchmarks, controls and queries, check the mod.

The command line is a thin layer over these functions; other programs can call them directly::

    from rootwatch import api
    mod = api.load_mod()
    with api.open_engine(api.DataSource(snapshot=Path("org.duckdb"))) as engine:
        result = api.run_benchmarks(mod, engine, ["cis_v700"], api.RunOptions(variables=api.resolve_variables(mod)))
    print(result.exit_code(), result.summary)

Names are resolved as rootwatch prints them (``cis_v700``, ``rootwatch.benchmark.cis_v700``,
``cis_v400_1_4``, ``all``: see :mod:`rootwatch.mod.ids`). A program that holds the objects already
plans and runs them itself, which is what the command line does::

    targets = api.benchmark_targets(mod, ["cis_v700"])
    plan = api.plan_run(targets, options)          # selection and variables checked once
    with api.open_engine(source) as engine:
        result = api.run_plan(engine, plan)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rootwatch.activity import activity_query
from rootwatch.engines.base import DataSource, Engine, QueryFailed
from rootwatch.errors import Problem, RootwatchError
from rootwatch.execution import run_plan, run_targets
from rootwatch.exitcodes import ExitCode
from rootwatch.mod.ids import benchmark_targets, control_targets, resolve_query, split_name
from rootwatch.mod.model import ControlNode, Mod
from rootwatch.mod.variables import resolve_variables as _resolve
from rootwatch.options import RunOptions
from rootwatch.plan import RunPlan, Target, plan_run
from rootwatch.results import RunResult
from rootwatch.sql.parsing import SqlSource

__all__ = [
    "DataSource",
    "QueryRun",
    "RunOptions",
    "RunPlan",
    "Target",
    "activity_query",
    "benchmark_targets",
    "check_mod",
    "control_targets",
    "load_mod",
    "open_engine",
    "plan_run",
    "resolve_variables",
    "run_benchmarks",
    "run_controls",
    "run_plan",
    "run_query",
    "run_targets",
]


class QueryError(RootwatchError):
    """An analyst query failed on the database."""

    exit_code = ExitCode.CONTROL_ERROR


def load_mod(location: Path | None = None) -> Mod:
    """The mod at ``location`` (default: found from the current directory)."""
    from rootwatch.mod.loader import find_mod_location
    from rootwatch.mod.loader import load_mod as _load

    return _load(find_mod_location(location))


def resolve_variables(
    mod: Mod, assignments: Sequence[str] = (), var_files: Sequence[Path] = ()
) -> dict[str, Any]:
    """Variable values after defaults, environment, ``var_files`` and ``name=value`` assignments."""
    return _resolve(mod.variables, assignments=assignments, var_files=var_files)


@contextlib.contextmanager
def open_engine(source: DataSource) -> Iterator[Engine]:
    """An engine for ``source``, closed on exit."""
    from rootwatch.engines.registry import open_engine as _open

    engine = _open(source)
    try:
        yield engine
    finally:
        engine.close()


def control_target(mod: Mod, name: str) -> ControlNode:
    """The control node ``name`` names (a control, or a benchmark item such as ``cis_v400_1_4``)."""
    return control_targets(mod, [name])[0]


def run_benchmarks(mod: Mod, engine: Engine, names: Sequence[str], options: RunOptions) -> RunResult:
    """Run the named benchmarks (top-level or nested, e.g. a CIS section; ``all`` for every one)."""
    return run_plan(engine, plan_run(benchmark_targets(mod, names), options, activity=activity_query(mod)))


def run_controls(mod: Mod, engine: Engine, names: Sequence[str], options: RunOptions) -> RunResult:
    """Run the named controls (a benchmark item id runs that item; ``all`` every control)."""
    return run_plan(engine, plan_run(control_targets(mod, names), options, activity=activity_query(mod)))


@dataclass(frozen=True)
class QueryRun:
    """Rows of an analyst query."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    as_of: datetime


def looks_like_sql(text: str) -> bool:
    return text.lstrip().lower().startswith(("select", "with", "(")) or " " in text.strip()


def run_query(mod: Mod, engine: Engine, name_or_sql: str, options: RunOptions) -> QueryRun:
    """Run a query of the mod by name, or an ad hoc ``select ...``, with variables and as-of.

    Ad hoc SQL may read the mod's shared relations by name, as queries do.
    """
    from rootwatch.sql.compile import compile_sql
    from rootwatch.execution import missing_optional_columns, missing_optional_tables

    if looks_like_sql(name_or_sql) and split_name(name_or_sql, mod.name)[1] not in mod.queries:
        source = SqlSource("command-line query", name_or_sql, relations=tuple(mod.relations.values()))
    else:
        source = resolve_query(mod, name_or_sql).source
    as_of = options.as_of or engine.default_as_of()
    sql = compile_sql(
        source,
        engine.kind,
        options.variables,
        as_of,
        missing_tables=missing_optional_tables(engine),
        missing_columns=missing_optional_columns(engine),
    )
    try:
        result = engine.execute(sql)
    except QueryFailed as exc:
        raise QueryError(f"query {source.name} failed: {exc.message}") from None
    return QueryRun(source.name, result.columns, result.rows, as_of)


def check_mod(location: Path | None = None) -> list[Problem]:
    """Every problem in the mod: files, metadata, benchmarks, SQL, tables, columns, translation.

    The SQL of whatever loaded is checked even when loading found problems, so one call lists them
    all, by file and line.
    """
    from rootwatch.checks import check_mod_at

    return check_mod_at(location)[0]
