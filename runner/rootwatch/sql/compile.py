"""Compiling a control or query for an engine: expand relations, bind, pin the clock, translate, cache.

``compile_sql`` is the whole pipeline. Its result is cached by everything it depends on, twice: in
the process (a control referenced by ten CIS benchmarks is translated once per run), and on disk
as a template that later processes fill in with their values and clock without compiling again
(:mod:`rootwatch.sql.compile_cache`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Literal

from rootwatch.errors import SqlError
from rootwatch.sql.parsing import SqlSource, parse_expanded

if TYPE_CHECKING:
    from rootwatch.sql.clock import ClockText

Dialect = Literal["duckdb", "postgres", "spark"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "postgres", "spark")


_dialects_lock = threading.Lock()
_dialects_loaded = False


def _load_dialects() -> None:
    """Import sqlglot's dialects once, under a lock, before the first cold compilation.

    sqlglot imports a dialect module the first time its name is used. Controls are compiled on
    worker threads, and two threads asking for "duckdb" at once could get a generic SQL generator
    instead (seen as ``Type with name JSONB does not exist`` in one control of a run, now and
    then); loading them here, under a lock, leaves nothing to race for. A run whose every control
    is in the compile cache never imports sqlglot at all.
    """
    global _dialects_loaded
    with _dialects_lock:
        if _dialects_loaded:
            return
        from sqlglot.dialects.dialect import Dialect as SqlglotDialect

        for name in DIALECTS:
            SqlglotDialect.get_or_raise(name)
        _dialects_loaded = True


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def compile_sql(
    source: SqlSource,
    dialect: Dialect,
    values: Mapping[str, Any],
    as_of: datetime,
    *,
    missing_tables: Iterable[str] = (),
    missing_columns: Iterable[tuple[str, str]] = (),
    pretty: bool = False,
) -> str:
    """SQL text ready for ``dialect``, with ``values`` bound and clock reads fixed at ``as_of``.

    ``values`` may hold more variables than the SQL uses; only the used ones are bound (and part of
    the cache key). ``missing_tables`` names rootwatch-only tables the engine lacks, and
    ``missing_columns`` (table, column) pairs of rootwatch-only columns it lacks. ``pretty`` lays
    the SQL out on several lines (golden files, ``--show-sql``).
    """
    from rootwatch.sql.parsing import placeholders

    used = placeholders(source)
    bound = tuple(sorted((name, _freeze(values[name])) for name in used if name in values))
    missing = tuple(sorted(set(missing_tables)))
    return _compile_cached(source, dialect, bound, as_of, missing, tuple(sorted(set(missing_columns))), pretty)


@lru_cache(maxsize=2048)
def _compile_cached(
    source: SqlSource,
    dialect: Dialect,
    bound: tuple[tuple[str, Any], ...],
    as_of: datetime,
    missing: tuple[str, ...],
    missing_columns: tuple[tuple[str, str], ...],
    pretty: bool,
) -> str:
    from rootwatch.sql.compile_cache import compiled

    values = {k: list(v) if isinstance(v, tuple) else v for k, v in bound}
    cold = partial(_compile_cold, source, dialect, missing=missing, missing_columns=missing_columns, pretty=pretty)
    return compiled(source, (dialect, missing, missing_columns), values, as_of, cold, pretty=pretty)


def _compile_cold(
    source: SqlSource,
    dialect: Dialect,
    values: Mapping[str, Any],
    clock: datetime | ClockText,
    *,
    missing: tuple[str, ...],
    missing_columns: tuple[tuple[str, str], ...],
    pretty: bool,
) -> str:
    """The whole compilation: parse (cached in the process), expand, bind, pin, translate.

    ``clock`` is the as-of instant, or the text of each clock form (a template's markers).
    """
    _load_dialects()
    from sqlglot.errors import ErrorLevel, UnsupportedError

    from rootwatch.schema.tables import table_named
    from rootwatch.sql.binding import bind
    from rootwatch.sql.clock import pin_clock
    from rootwatch.sql.optional_tables import substitute_missing
    from rootwatch.sql.compile_cache import source_facts

    where = source.where()
    # Shared relations first: every later step (binding, the clock, dialect rewrites) sees one tree.
    parsed = parse_expanded(source)
    # Known from the source's facts (kept per process and on disk): the tree is walked once, not per compilation.
    source_facts(source).require_side_effect_free(where)
    tree = parsed.copy()
    tree = bind(tree, values, where=where)
    tree = pin_clock(tree, clock)
    tree = substitute_missing(
        tree, [table_named(name) for name in missing], [(table_named(t), c) for t, c in missing_columns]
    )
    if dialect != "postgres":  # the controls' own dialect needs no rewrite
        from rootwatch.sql.strict import check_functions

        if dialect == "duckdb":
            from rootwatch.sql.duckdb_rewrites import rewrite_for_duckdb as rewrite
        else:
            from rootwatch.sql.spark_rewrites import rewrite_for_spark as rewrite
        try:
            tree = rewrite(tree)
        except SqlError as exc:
            raise SqlError(f"{where}: {exc.message}", hint=exc.hint) from None
        check_functions(tree, where=where, engine=dialect)
    try:
        # The tree is this compilation's own copy: the generator may change it rather than copy it again.
        return tree.sql(dialect=dialect, copy=False, unsupported_level=ErrorLevel.RAISE, pretty=pretty)
    except UnsupportedError as exc:
        raise SqlError(f"{where}: cannot translate to {dialect}: {exc}") from None
