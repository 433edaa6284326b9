"""Strict checks on a translation: every function it calls must exist in the target engine.

sqlglot passes functions it does not know through unchanged; on DuckDB or Spark such a call fails
only when the control runs. Checking names against the engine's catalogue turns that into a
compile error (and a ``rootwatch check`` problem) that names the control, the function and the
engine. DuckDB's catalogue is read from DuckDB itself; Spark's is the list shipped in
``spark_functions.txt`` (Spark may not be installed where ``rootwatch check`` runs), which a test
compares with a live Spark.
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


@cache
def spark_function_names() -> frozenset[str]:
    """Lower-case names of Spark SQL's built-in functions (``spark_functions.txt``)."""
    from importlib import resources

    text = resources.files("rootwatch.sql").joinpath("spark_functions.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


_KNOWN_FUNCTIONS = {"duckdb": ("DuckDB", duckdb_function_names), "spark": ("Spark", spark_function_names)}
"""Per engine: its name in messages and the names of the functions it has."""


def check_functions(tree, *, where: str, engine: str = "duckdb") -> None:  # noqa: ANN001
    """Raise SqlError naming the first function ``engine`` (duckdb or spark) does not have."""
    from sqlglot import exp

    title, names = _KNOWN_FUNCTIONS[engine]
    known = names()
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() not in known:
            raise SqlError(
                f"{where}: function {node.name}() has no {title} translation",
                hint=f"use a function both engines know, or add a rewrite in rootwatch.sql.{engine}_rewrites",
            )
