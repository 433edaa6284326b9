"""Snapshots built in, and read from, a test's own directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CAPTURED_AT = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)


def write_snapshot(path: Path, rows: Mapping[str, Sequence[Mapping[str, Any]]], *, captured_at: datetime = CAPTURED_AT) -> Path:
    """A snapshot holding ``rows`` per table, every account of ``aws_account`` captured in us-east-1."""
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    with SnapshotWriter(path, source="test", captured_at=captured_at) as writer:
        for table, table_rows in rows.items():
            writer.add_rows(table, list(table_rows))
        for row in rows.get("aws_account", ()):
            writer.add_account(AccountInfo(row["account_id"], ("us-east-1",)))
    return path


def keys_snapshot(path: Path, keys_by_account: Mapping[str, int]) -> Path:
    """A snapshot of accounts with ``keys_by_account[account]`` root access keys each (no
    credential report, so an alarm's reason says which report is missing)."""
    return write_snapshot(
        path,
        {
            "aws_account": [{"account_id": a, "partition": "aws", "region": "global"} for a in keys_by_account],
            "aws_iam_account_summary": [
                {"account_id": a, "partition": "aws", "region": "global", "account_access_keys_present": keys}
                for a, keys in keys_by_account.items()
            ],
        },
    )


def query(snapshot: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` on a snapshot opened read-only."""
    import duckdb

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
    options = api.RunOptions(variables=api.resolve_variables(mod), as_of=as_of, max_parallel=1)
    result = api.run_benchmarks(mod, engine, ["root"], options)
    graded = []
    for _, run in result.control_runs():
        assert run.error is None, f"{run.node.id}: {run.error}"
        graded.extend((run.node.id, r.resource, r.status.value, r.reason, r.dimensions) for r in run.rows)
    return sorted(graded, key=repr)


def snapshot_rows(snapshot: Path) -> tuple[dict[str, list[dict[str, Any]]], datetime]:
    """Every table's rows of a snapshot as dictionaries (JSON parsed), ready for
    ``rootwatch.cases.postgres_schema_with_rows``, and its capture time."""
    import json

    import duckdb

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
