"""``rootwatch check``: validating SQL of a loaded mod without any data.

Each control and query is parsed, its parameters matched to declared variables, its tables and
columns matched to the table definitions, translated strictly to DuckDB and bound by DuckDB against
empty tables (EXPLAIN), so translation mistakes surface here rather than in a run.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rootwatch.errors import Problem, RootwatchError
from rootwatch.mod.model import Mod, Variable

CHECK_AS_OF = datetime(2000, 1, 1, tzinfo=timezone.utc)

_SAMPLE_VALUES: dict[str, Any] = {
    "integer": 1,
    "number": 1,
    "string": "x",
    "bool": True,
    "list(string)": ["x"],
    "list(number)": [1],
}


def sample_values(variables: dict[str, Variable]) -> dict[str, Any]:
    """Defaults, or a value of the right type where there is none, for compiling without a run."""
    return {n: v.default if v.default is not None else _SAMPLE_VALUES[v.type] for n, v in variables.items()}


def _empty_duckdb() -> Any:
    import duckdb

    from rootwatch.schema.tables import load_tables

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in load_tables().values():
        con.execute(table.ddl("duckdb"))
    return con


def check_loaded_mod(mod: Mod) -> list[Problem]:
    from rootwatch.schema.tables import load_tables
    from rootwatch.sql.compile import compile_sql
    from rootwatch.sql.lint import check_references
    from rootwatch.sql.parsing import placeholders

    problems: list[Problem] = []
    tables = load_tables()
    values = sample_values(dict(mod.variables))
    con = _empty_duckdb()
    sources = [c.source for c in mod.controls.values()] + [q.source for q in mod.queries.values()]
    for source in sources:
        try:
            used = placeholders(source)
        except RootwatchError as exc:
            problems.append(Problem(None, None, exc.message))  # the message already names file and line
            continue
        for name in sorted(used - set(mod.variables)):
            problems.append(Problem(source.path, None, f"uses :{name}, which is not a variable in mod.yaml"))
        if used - set(mod.variables):
            continue
        reference_problems = check_references(source, tables)
        problems.extend(reference_problems)
        if reference_problems:
            continue
        for dialect in ("postgres", "duckdb"):
            try:
                sql = compile_sql(source, dialect, values, CHECK_AS_OF)
            except RootwatchError as exc:
                problems.append(Problem(source.path, None, f"{dialect}: {exc.message}"))
                break
            if dialect == "duckdb":
                try:
                    con.execute("EXPLAIN " + sql)
                except Exception as exc:  # noqa: BLE001 - any DuckDB error is a problem to report
                    first = str(exc).strip().splitlines()[0]
                    problems.append(Problem(source.path, None, f"duckdb rejects the translation: {first}"))
    con.close()
    reachable = {n.control.id for b in mod.benchmarks.values() for n in b.control_nodes() if n.control}
    for control in mod.controls.values():
        if control.id not in reachable:
            problems.append(Problem(control.meta_path, None, f"control {control.id} is in no benchmark"))
    return problems
