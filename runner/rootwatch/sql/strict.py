"""Strict checks on a DuckDB translation: every function it calls must exist in DuckDB.

sqlglot passes functions it does not know through unchanged; on DuckDB such a call fails only when
the control runs. Checking names against DuckDB's own catalogue turns that into a compile error
that names the control and the function.
"""

from __future__ import annotations

from functools import cache

from rootwatch.errors import SqlError


@cache
def duckdb_function_names() -> frozenset[str]:
    """Lower-case names of every function DuckDB (with its built-in extensions) knows."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute("SELECT DISTINCT lower(function_name) FROM duckdb_functions()").fetchall()
    return frozenset(name for (name,) in rows)


def check_functions(tree, *, where: str) -> None:  # noqa: ANN001
    """Raise SqlError naming the first function DuckDB does not have."""
    from sqlglot import exp

    known = duckdb_function_names()
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() not in known:
            raise SqlError(
                f"{where}: function {node.name}() has no DuckDB translation",
                hint="use a function both engines know, or add a rewrite in rootwatch.sql.duckdb_rewrites",
            )
