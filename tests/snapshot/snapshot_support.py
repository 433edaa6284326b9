"""Helpers the snapshot tests share: reading a snapshot, and grading every control on an engine."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[2]


def query(snapshot: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` on a snapshot opened read-only."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def grade_root(engine: Any, as_of: datetime | None = None) -> list[tuple]:
    """Every control of the repository's mod (its ``root`` benchmark) graded on ``engine``, as sorted
    (control, resource, status, reason, dimensions) tuples; a control that cannot run fails the test."""
    from rootwatch import api

    mod = api.load_mod(REPO)
    result = api.run_benchmarks(mod, engine, ["root"], api.RunOptions(variables=api.resolve_variables(mod), as_of=as_of, max_parallel=1))
    graded = []
    for _, run in result.control_runs():
        assert run.error is None, f"{run.node.id}: {run.error}"
        graded.extend((run.node.id, r.resource, r.status.value, r.reason, r.dimensions) for r in run.rows)
    return sorted(graded, key=repr)


def snapshot_rows(snapshot: Path) -> tuple[dict[str, list[dict[str, Any]]], datetime]:
    """Every table's rows of a snapshot as dictionaries (JSON parsed), ready for
    ``rootwatch.cases.postgres_schema_with_rows``, and its capture time."""
    import json

    from rootwatch.schema.tables import ColumnType, load_tables

    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        present = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        rows: dict[str, list[dict[str, Any]]] = {}
        for name, table in load_tables().items():
            if name not in present:
                continue
            have = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [name]).fetchall()}
            names = [c for c in table.column_names if c in have]
            jsons = {c for c in names if table.column(c).type is ColumnType.JSONB}
            cursor = con.execute("SELECT " + ", ".join(f'"{c}"' for c in names) + f' FROM "{name}"')
            rows[name] = [
                {c: json.loads(v) if c in jsons and isinstance(v, str) else v for c, v in zip(names, record)}
                for record in cursor.fetchall()
            ]
        (captured,) = con.execute("SELECT captured_at FROM rootwatch_snapshot").fetchone()
        return rows, captured
    finally:
        con.close()
