"""Plan shapes for the perf scripts: the join operators of a query's EXPLAIN ANALYZE on Postgres
and DuckDB, with the rows each handled, and the nested-loop joins over large inputs (the quadratic
plans issue 14 found). Used by ``perf/root_controls_scale.py``; not a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NESTED_LOOP_LIMIT = 1000
"""A nested-loop join is harmless when one side is this small; above it on both sides, it is the
quadratic plan these helpers look for."""


def postgres_plan(dsn: str, schema: str, sql_text: str) -> tuple[list[str], list[str]]:
    """(plan lines, nested loops over large inputs) of EXPLAIN ANALYZE on Postgres: a nested-loop
    join with many rows on both sides, or any node run once per row of a large input and reading
    many rows each time."""
    import psycopg

    with psycopg.connect(dsn) as connection:
        connection.execute(f"SET search_path = {schema}")
        connection.execute("SET jit = off")
        connection.execute("SET TimeZone = 'UTC'")
        (plan,) = connection.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql_text).fetchone()[0]
    lines: list[str] = []
    offenders: list[str] = []

    def rows_of(node: dict[str, Any]) -> float:
        return node.get("Actual Rows", 0) * node.get("Actual Loops", 1)

    def walk(node: dict[str, Any], depth: int) -> None:
        kind = node["Node Type"]
        # Init plans and CTE scans hang off a node too; a join's inputs are its outer and inner.
        children = node.get("Plans", [])
        sides = [c for c in children if c.get("Parent Relationship") in ("Outer", "Inner")]
        is_join = kind in ("Nested Loop", "Hash Join", "Merge Join")
        if is_join:
            removed = node.get("Rows Removed by Join Filter", 0)
            inputs = ", ".join(f"{rows_of(c):,.0f}" for c in sides)
            extra = f", removed by join filter {removed:,}" if removed else ""
            lines.append(f"{'  ' * depth}{kind} {node.get('Join Type', '')} (inputs {inputs} rows; out {rows_of(node):,.0f}{extra})")
        # Any node run once per row of a large outer input that reads many rows each time: a join
        # planned inside such a loop (Postgres once scanned sns_topics, 10,000 rows, once for each
        # of 87,501 EventBridge rules, under a nested loop whose inner side returned a row or two).
        loops = node.get("Actual Loops", 1)
        per_run = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        if loops > NESTED_LOOP_LIMIT and per_run > NESTED_LOOP_LIMIT / 10:
            what = node.get("Relation Name") or node.get("CTE Name") or ""
            offenders.append(f"{kind} {what}".rstrip() + f": run {loops:,} times, {per_run:,.0f} rows each")
        if kind == "Nested Loop" and len(sides) == 2:
            outer, inner = sides
            # Quadratic: many outer rows, and each loop reads many inner rows (a function scan of
            # one row's JSON array reads a handful per loop and is fine).
            per_loop = inner.get("Actual Rows", 0) + inner.get("Rows Removed by Filter", 0)
            if rows_of(outer) > NESTED_LOOP_LIMIT and per_loop > NESTED_LOOP_LIMIT / 10:
                offenders.append(f"Nested Loop: {rows_of(outer):,.0f} outer rows x {per_loop:,.0f} inner rows per loop")
        for child in children:
            walk(child, depth + (1 if is_join else 0))

    walk(plan["Plan"], 0)
    lines.append(f"execution {plan.get('Execution Time', 0) / 1000:.2f} s")
    return lines, offenders


def duckdb_plan(snapshot: Path, sql_text: str) -> tuple[list[str], list[str]]:
    """(join operators, nested-loop joins over large inputs) of DuckDB's EXPLAIN ANALYZE."""
    import duckdb

    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("PRAGMA enable_profiling = 'json'")
        rows = con.execute("EXPLAIN ANALYZE " + sql_text).fetchall()
    finally:
        con.close()
    tree = json.loads(rows[0][1])
    lines: list[str] = []
    offenders: list[str] = []

    def rows_of(node: dict[str, Any]) -> int:
        return int(node.get("operator_cardinality", node.get("intermediate_rows", 0)))

    def walk(node: dict[str, Any], depth: int) -> None:
        name = str(node.get("operator_type") or node.get("type") or node.get("name") or "")
        children = node.get("children", [])
        is_join = "JOIN" in name or "CROSS_PRODUCT" in name
        if is_join:
            inputs = ", ".join(f"{rows_of(c):,}" for c in children)
            lines.append(f"{'  ' * depth}{name} (inputs {inputs} rows; out {rows_of(node):,})")
            if any(k in name for k in ("NESTED_LOOP", "BLOCKWISE_NL", "CROSS_PRODUCT")) and len(children) == 2:
                a, b = (rows_of(c) for c in children)
                if a > NESTED_LOOP_LIMIT and b > NESTED_LOOP_LIMIT:
                    offenders.append(f"{name}: {a:,} x {b:,} rows")
        for child in children:
            walk(child, depth + (1 if is_join else 0))

    for top in tree.get("operator", [tree]) if isinstance(tree, dict) else tree:
        walk(top, 0)
    return lines, offenders
