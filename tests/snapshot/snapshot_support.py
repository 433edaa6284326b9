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
