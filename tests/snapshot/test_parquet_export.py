"""``rootwatch snapshot export DIR --format parquet``: every table round-trips through Parquet (read
back with DuckDB's read_parquet), large tables are split by account, and the folder appears
complete or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from helpers.mods import CLI_ROWS
from helpers.snapshots import CAPTURED_AT, write_snapshot
from rootwatch.errors import InputError, UsageError
from rootwatch.snapshot.parquet_export import MANIFEST, export_parquet, read_manifest

EVENTS = [
    {
        "account_id": account, "partition": "aws", "region": region, "event_id": f"e{n}", "event_name": "ConsoleLogin",
        "event_time": f"2026-11-{10 + n}T08:00:00Z", "timestamp_ms": 1_700_000_000_000 + n, "read_only": n % 2 == 0,
        "user_type": "Root", "user_identity": {"type": "Root", "arn": f"arn:aws:iam::{account}:root"},
        "response_elements": {"ConsoleLogin": "Success"} if n % 3 else None,
        "cloudtrail_event": {"eventID": f"e{n}", "nested": {"list": [1, 2.5, "x"]}},
    }
    for n, (account, region) in enumerate(
        [("111111111111", "us-east-1"), ("111111111111", "eu-west-1"), ("012345678901", "us-east-1"), ("222222222222", "us-east-1")]
    )
]
"""Events in three accounts, one with a leading zero that a reader guessing types would lose."""


@pytest.fixture()
def snapshot(tmp_path: Path) -> Path:
    return write_snapshot(tmp_path / "org.duckdb", {**CLI_ROWS, "aws_cloudtrail_trail_event": EVENTS})


def snapshot_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        return {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        con.close()


def parquet_rows(folder: Path, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of one exported table, as DuckDB's read_parquet gives them (folder names ignored:
    the files hold every column)."""
    con = duckdb.connect()
    try:
        select = ", ".join(f'"{c}"' for c in columns)
        return sorted(
            con.execute(f"SELECT {select} FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = false)").fetchall(),
            key=repr,
        )
    finally:
        con.close()


def column_names(path: Path, table: str) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]).fetchall()]
    finally:
        con.close()


def test_every_table_round_trips(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    summary = export_parquet(snapshot, out, partition_min_rows=2)
    expected = snapshot_tables(snapshot)
    assert sorted(t.name for t in summary.tables) == sorted(expected)
    assert {"rootwatch_snapshot", "rootwatch_snapshot_accounts", "aws_cloudtrail_trail_event"} <= set(expected)
    for name, rows in expected.items():
        assert parquet_rows(out / name, column_names(snapshot, name)) == rows, name
    assert summary.table("aws_iam_credential_report").rows == 1
    assert summary.total_rows == sum(len(rows) for rows in expected.values())


def test_large_tables_are_split_by_account_and_keep_the_column_as_text(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    export_parquet(snapshot, out, partition_min_rows=3)
    events = out / "aws_cloudtrail_trail_event"
    assert sorted(p.name for p in events.iterdir()) == [
        "account_id=012345678901", "account_id=111111111111", "account_id=222222222222"]
    # Below the threshold: one file, however many accounts.
    assert [p.name for p in (out / "aws_account").iterdir()] == ["data.parquet"]
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{events}/**/*.parquet', hive_partitioning = false)").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["account_id"] == "VARCHAR"
    assert types["event_time"] == "TIMESTAMP WITH TIME ZONE"
    assert con.execute(
        f"SELECT account_id FROM read_parquet('{events}/account_id=012345678901/*.parquet', hive_partitioning = false)"
    ).fetchall() == [("012345678901",)]


def test_manifest_says_what_was_exported(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    export_parquet(snapshot, out, partition_min_rows=3)
    manifest = read_manifest(out)
    assert manifest["snapshot"] == "org.duckdb"
    assert manifest["snapshot_info"]["captured_at"] == CAPTURED_AT.isoformat()
    assert [a["account_id"] for a in manifest["snapshot_info"]["accounts"]] == ["111111111111", "222222222222"]
    events = manifest["tables"]["aws_cloudtrail_trail_event"]
    assert events["rows"] == 4 and events["partitioned_by"] == ["account_id"]
    assert {"name": "user_identity", "type": "JSON"} in events["columns"]
    assert manifest["tables"]["aws_account"]["partitioned_by"] == []


def test_cli_writes_the_folder_and_says_so(run_cli, snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    code, stdout, stderr = run_cli("snapshot", "export", str(out), "--format", "parquet", "--snapshot", str(snapshot))
    assert code == 0, stderr
    assert stdout == ""
    tables = len(snapshot_tables(snapshot))
    assert stderr.startswith(f"rootwatch: wrote {out}: {tables} tables, ")
    assert (out / MANIFEST).is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_folder_needs_force_and_is_replaced_whole(run_cli, snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    assert run_cli("snapshot", "export", str(out), "--snapshot", str(snapshot))[0] == 0
    stale = out / "aws_stale_table"
    stale.mkdir()
    code, _, stderr = run_cli("snapshot", "export", str(out), "--snapshot", str(snapshot))
    assert code == 3
    assert f"{out} exists" in stderr and "--force" in stderr and "Traceback" not in stderr
    assert stale.is_dir()  # untouched
    code, _, stderr = run_cli("snapshot", "export", str(out), "--snapshot", str(snapshot), "--force")
    assert code == 0, stderr
    assert not stale.exists()  # the earlier export was replaced, not merged into
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "org.duckdb"]


def test_force_never_replaces_a_folder_that_is_not_an_export(run_cli, snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    code, _, stderr = run_cli("snapshot", "export", str(out), "--snapshot", str(snapshot), "--force")
    assert code == 3
    assert "neither empty nor a rootwatch export" in stderr
    assert (out / "thesis.txt").read_text() == "precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("snapshot", "export", str(empty), "--snapshot", str(snapshot), "--force")[0] == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.duckdb", "does not exist"),
        (lambda d: _write(d / "notes.duckdb", b"not a database"), "is not a rootwatch snapshot"),
        (lambda d: _write(d / "app.duckdb", b"SQLite format 3\x00" + bytes(4080)), "is not a rootwatch snapshot (it is a SQLite database)"),
        (lambda d: _plain_duckdb(d / "plain.duckdb"), "without rootwatch snapshot metadata"),
    ],
)
def test_a_bad_snapshot_is_exit_3_and_writes_nothing(run_cli, tmp_path: Path, make, message: str) -> None:
    source = make(tmp_path)
    out = tmp_path / "export"
    code, _, stderr = run_cli("snapshot", "export", str(out), "--snapshot", str(source))
    assert code == 3
    assert message in stderr and str(source) in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_usage_errors(run_cli, snapshot: Path, tmp_path: Path, monkeypatch) -> None:
    code, _, stderr = run_cli("snapshot", "export", str(tmp_path / "x"))
    assert code == 3 and "--snapshot" in stderr
    code, _, stderr = run_cli("snapshot", "export", str(tmp_path / "no" / "such" / "x"), "--snapshot", str(snapshot))
    assert code == 3 and "does not exist" in stderr
    code, _, stderr = run_cli("snapshot", "export", str(tmp_path / "x"), "--format", "csv", "--snapshot", str(snapshot))
    assert code == 3 and "--format" in stderr
    monkeypatch.setenv("ROOTWATCH_SNAPSHOT", str(snapshot))
    with pytest.raises(UsageError):
        export_parquet(snapshot, snapshot)  # a file is in the way


def test_read_manifest_rejects_a_folder_that_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a rootwatch Parquet export"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "rootwatch-parquet-export", "version": 99}))
    with pytest.raises(InputError, match="version 99"):
        read_manifest(tmp_path)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _plain_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    return path
