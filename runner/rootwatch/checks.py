"""``rootwatch check``: validating the SQL of a loaded (or partly loaded) mod without any data.

Each control and query is parsed, its parameters matched to declared variables, its tables and
columns matched to the table definitions, translated strictly to DuckDB and bound by DuckDB against
empty tables (EXPLAIN), so translation mistakes surface here rather than in a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rootwatch.errors import Problem, RootwatchError, SqlError
from rootwatch.mod.model import Mod, Variable

if TYPE_CHECKING:
    from pathlib import Path

    from rootwatch.mod.loader import LoadedMod
    from rootwatch.schema.tables import Table
    from rootwatch.sql.parsing import SqlSource

CHECK_AS_OF = datetime(2000, 1, 1, tzinfo=timezone.utc)

_SAMPLE_VALUES: dict[str, Any] = {
    "integer": 1,
    "number": 1,
    "string": "x",
    "bool": True,
    "list(string)": ["x"],
    "list(number)": [1],
}


def sample_values(variables: Mapping[str, Variable]) -> dict[str, Any]:
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


def check_partly_loaded_mod(loaded: LoadedMod) -> list[Problem]:
    """Problems in the SQL of whatever controls and queries loaded, and controls in no benchmark.

    Run even when loading found problems (``loaded.problems``, not repeated here), so that one
    ``rootwatch check`` reports both. What loading could not read is not guessed at: SQL using a
    variable that is declared but invalid is only left uncompiled, no variable is called unknown
    when mod.yaml's variables are unreadable, and "in no benchmark" is skipped when its benchmarks
    are, since it would otherwise name every control.
    """
    from rootwatch.schema.tables import load_tables
    from rootwatch.sql.relations import with_relations

    mod = loaded.mod
    context = _SqlCheck(
        tables=load_tables(),
        variables=mod.variables,
        declared=loaded.declared_variables,
        values=sample_values(mod.variables),
    )
    problems: list[Problem] = []
    con = _LazyDuckDB()
    try:
        # Shared relations first, each on its own: their mistakes are reported in their own files
        # (also for a relation nothing reads yet), and not restated for every control reading them.
        shared = tuple(mod.relations.values())
        broken: set[str] = set()
        for relation in shared:
            found = _check_source_cached(with_relations(relation, shared), context, con, broken)
            if found:
                broken.add(relation.name)
                problems.extend(found)
        # A blank control is already "empty SQL file" from the loader; parsing it would say so again.
        sources = [c.source for c in mod.controls.values() if c.sql.strip()]
        sources += [q.source for q in mod.queries.values()]
        for source in sources:
            problems.extend(_check_source_cached(source, context, con, broken))
    finally:
        con.close()
    if loaded.benchmarks_known:
        problems.extend(_unreachable_controls(mod))
    return problems


def check_mod_at(location: Path | None) -> tuple[list[Problem], LoadedMod | None]:
    """Every problem in the mod at ``location`` (found as the loader finds it), sorted, and the mod
    as far as it loaded (None when not even that). See :func:`rootwatch.api.check_mod`."""
    from rootwatch.mod.loader import find_mod_location, load_mod_partly

    try:
        loaded = load_mod_partly(find_mod_location(location))
    except SqlError as exc:
        return [Problem(None, None, exc.message)], None
    return sorted_problems([*loaded.problems, *check_partly_loaded_mod(loaded)]), loaded


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` without repeats, by file then line (problems naming no file first).

    The sort is stable, so problems on one line keep the order in which they were found.
    """
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.path is not None, str(p.path or ""), p.line or 0))


@dataclass(frozen=True)
class _SqlCheck:
    """What checking one control's or query's SQL needs, computed once per ``rootwatch check``."""

    tables: Mapping[str, Table]
    variables: Mapping[str, Variable]
    declared: frozenset[str] | None
    """Variable names mod.yaml declares, or None when they could not be read."""
    values: Mapping[str, Any]


class _LazyDuckDB:
    """The empty DuckDB database translations are bound against, made on first use: a check whose
    every source is in the cache needs none (nor DuckDB's import)."""

    def __init__(self) -> None:
        self._con: Any = None

    def execute(self, sql: str) -> Any:
        if self._con is None:
            self._con = _empty_duckdb()
        return self._con.execute(sql)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()


def _check_source_cached(source: SqlSource, context: _SqlCheck, con: Any, broken: set[str]) -> list[Problem]:
    """:func:`_check_source`, its outcome kept on disk with the compiled SQL
    (:mod:`rootwatch.sql.compile_cache`): keyed by the source and the relations it may read, the
    variables, the relations found broken, this module's code and the compiler's fingerprint
    (rootwatch, its table definitions, sqlglot and DuckDB)."""
    from pathlib import Path

    from rootwatch.sql import compile_cache

    if not compile_cache.enabled():
        return _check_source(source, context, con, broken)
    declared = sorted(context.declared) if context.declared is not None else None
    variables = sorted((name, repr(variable)) for name, variable in context.variables.items())
    key = compile_cache.digest(
        "check", _checker_digest(), compile_cache.source_key(source), declared, variables,
        sorted(context.values.items()), sorted(broken),
    )
    kept = compile_cache.read_entry(key)
    if isinstance(kept, list):
        try:
            return [Problem(Path(path) if path is not None else None, line, message) for path, line, message in kept]
        except (TypeError, ValueError):
            pass  # an entry of another shape: checked again below
    problems = _check_source(source, context, con, broken)
    compile_cache.write_entry(key, [[str(p.path) if p.path is not None else None, p.line, p.message] for p in problems])
    return problems


def _checker_digest() -> str:
    from hashlib import sha256
    from pathlib import Path

    return sha256(Path(__file__).read_bytes()).hexdigest()


def _check_source(source: SqlSource, context: _SqlCheck, con: Any, broken: set[str]) -> list[Problem]:
    """Problems of one control's, query's or relation's SQL: syntax, relations, variables, tables
    and columns, translation. ``broken`` names relations already found faulty."""
    from rootwatch.sql.lint import check_references
    from rootwatch.sql.parsing import own_placeholders, placeholders
    from rootwatch.sql.relations import used_relations

    try:
        used = placeholders(source)
        reads_broken = any(r.name in broken for r in used_relations(source))
    except SqlError as exc:
        # Nothing more can be checked without a tree. A parse error carries its file and line.
        return [exc.problem or Problem(source.path, None, exc.message)]
    # Named where the file itself writes them; one read through a relation is the relation's.
    own = own_placeholders(source)
    undeclared = own - context.declared if context.declared is not None else frozenset()
    problems = [
        Problem(source.path, None, f"uses :{name}, which is not a variable in mod.yaml") for name in sorted(undeclared)
    ]
    # Tables and columns do not depend on variable values: check them even when a variable is
    # wrong, so fixing one problem does not reveal the next.
    problems.extend(check_references(source, context.tables))
    if problems or reads_broken or not used <= set(context.variables):
        # Compiling needs a value for every variable, and DuckDB would only restate a reference
        # problem (here or in a relation it reads) in its own words.
        return problems
    return _check_translation(source, context, con)


def _check_translation(source: SqlSource, context: _SqlCheck, con: Any) -> list[Problem]:
    """Problems translating ``source`` to each dialect (Postgres, DuckDB, Spark SQL), and DuckDB
    binding its translation. A construct one engine cannot run is a problem naming that engine."""
    from rootwatch.sql.compile import DIALECTS, compile_sql

    for dialect in DIALECTS:
        try:
            sql = compile_sql(source, dialect, dict(context.values), CHECK_AS_OF)
        except RootwatchError as exc:
            return [Problem(source.path, None, f"{dialect}: {exc.message}")]
        if dialect == "duckdb":
            try:
                con.execute("EXPLAIN " + sql)
            except Exception as exc:  # noqa: BLE001 - any DuckDB error is a problem to report
                first = str(exc).strip().splitlines()[0]
                return [Problem(source.path, None, f"duckdb rejects the translation: {first}")]
    return []


def _unreachable_controls(mod: Mod) -> list[Problem]:
    """A problem for each control that no benchmark runs: it would never be graded."""
    reachable = {n.control.id for b in mod.benchmarks.values() for n in b.control_nodes() if n.control}
    return [
        Problem(control.meta_path, None, f"control {control.id} is in no benchmark")
        for control in mod.controls.values()
        if control.id not in reachable
    ]
