"""The snapshot writer and the DuckDB bulk loading path it uses: typed values, errors, atomicity."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from rootwatch.errors import UsageError
from rootwatch.schema.tables import load_tables
from rootwatch.schema.values import RowValueError
from rootwatch.snapshot import loading
from rootwatch.snapshot.metadata import AccountInfo, SnapshotIssue, read_snapshot_info
from rootwatch.snapshot.writer import SnapshotWriter

CAPTURED = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def _memory_table(name: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(load_tables()[name].ddl("duckdb"))
    return con


def test_values_arrive_typed() -> None:
    con = _memory_table("aws_cloudwatch_alarm")
    rows = [
        {
            "account_id": "111111111111",
            "name": "root-usage",
            "threshold": 1,  # an integer for a double column
            "period": 300,
            "actions_enabled": True,
            "alarm_actions": ["arn:aws:sns:us-east-1:111111111111:alerts"],
            "dimensions": {"nested": [1, {"b": None}]},
            "state_updated_timestamp": "2026-01-01T10:00:00+02:00",
        },
        {"account_id": "222222222222", "name": "naive", "state_updated_timestamp": "2026-01-01T10:00:00", "alarm_actions": []},
    ]
    assert loading.insert_duckdb(con, load_tables()["aws_cloudwatch_alarm"], rows) == 2
    got = con.execute(
        "SELECT name, threshold, period, actions_enabled, CAST(alarm_actions AS VARCHAR), CAST(dimensions AS VARCHAR), "
        "state_updated_timestamp, typeof(dimensions), ok_actions FROM aws_cloudwatch_alarm ORDER BY name"
    ).fetchall()
    assert got == [
        ("naive", None, None, None, "[]", None, datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc), "JSON", None),
        (
            "root-usage",
            1.0,
            300,
            True,
            '["arn:aws:sns:us-east-1:111111111111:alerts"]',
            '{"nested":[1,{"b":null}]}',
            datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc),
            "JSON",
            None,
        ),
    ]


def test_bad_rows_name_table_and_column() -> None:
    con = _memory_table("aws_cloudwatch_alarm")
    table = load_tables()["aws_cloudwatch_alarm"]
    with pytest.raises(RowValueError) as unknown:
        loading.insert_duckdb(con, table, [{"nam": "x"}])
    assert str(unknown.value) == "table aws_cloudwatch_alarm has no column 'nam'"
    with pytest.raises(RowValueError) as wrong:
        loading.insert_duckdb(con, table, [{"period": "five"}])
    assert str(wrong.value) == "aws_cloudwatch_alarm.period: expected an integer, got 'five'"


def test_many_rows_cross_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "BATCH_ROWS", 7)
    con = _memory_table("aws_iam_credential_report")
    rows = [{"account_id": f"{n:012d}", "user_name": f"user{n}", "mfa_active": n % 2 == 0} for n in range(50)]
    assert loading.insert_duckdb(con, load_tables()["aws_iam_credential_report"], iter(rows)) == 50
    assert con.execute("SELECT count(*), count(DISTINCT user_name), sum(CAST(mfa_active AS INT)) FROM aws_iam_credential_report").fetchall() == [
        (50, 50, 25)
    ]


def test_typed_rows_fill_the_named_columns_only() -> None:
    con = _memory_table("aws_sns_topic_subscription")
    table = load_tables()["aws_sns_topic_subscription"]
    count = loading.insert_duckdb_typed(
        con, table, ["account_id", "pending_confirmation", "filter_policy"], [("111111111111", False, '{"a": [1]}')]
    )
    assert count == 1
    assert con.execute(
        "SELECT account_id, pending_confirmation, filter_policy->>'$.a[0]', topic_arn FROM aws_sns_topic_subscription"
    ).fetchall() == [("111111111111", False, "1", None)]
    with pytest.raises(RowValueError, match="has no column 'bogus'"):
        loading.insert_duckdb_typed(con, table, ["bogus"], [("x",)])


def test_writer_publishes_rows_and_metadata(tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    earlier = CAPTURED - timedelta(hours=1)
    with SnapshotWriter(out, source="test", captured_at=CAPTURED, source_detail="unit") as writer:
        writer.add_rows("aws_account", [{"account_id": "111111111111"}, {"account_id": "222222222222"}])
        writer.add_account(AccountInfo("111111111111", ("us-east-1",)))
        writer.add_account(AccountInfo("111111111111", ("eu-west-1",), CAPTURED, "api"))
        writer.add_account(AccountInfo("222222222222", captured_at=earlier))
        writer.add_issue(SnapshotIssue("error", "AccessDenied: no", "222222222222", "eu-west-1", "cloudtrail"))
        assert not out.exists(), "the file appears only when the block ends"
    summary = writer.summary()
    assert summary.row_counts == {"aws_account": 2} and summary.total_rows == 2
    assert [i.message for i in summary.errors] == ["AccessDenied: no"]
    con = duckdb.connect(str(out), read_only=True)
    info = read_snapshot_info(con)
    assert info is not None
    assert (info.captured_at, info.source, info.source_detail) == (CAPTURED, "test", "unit")
    assert info.accounts == (
        AccountInfo("111111111111", ("eu-west-1", "us-east-1"), CAPTURED, "api", CAPTURED),
        AccountInfo("222222222222", (), None, None, earlier),
    )
    assert info.issues == (SnapshotIssue("error", "AccessDenied: no", "222222222222", "eu-west-1", "cloudtrail"),)
    assert info.as_dict()["accounts"][1]["captured_at"] == earlier.isoformat()
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file left behind"


def test_metadata_reads_in_utc_whatever_the_session_zone(tmp_path: Path) -> None:
    """The same snapshot reads with the same instants and offsets on a machine set to another zone."""
    out = tmp_path / "snap.duckdb"
    with SnapshotWriter(out, source="test", captured_at=CAPTURED) as writer:
        writer.add_account(AccountInfo("111111111111", ("us-east-1",), CAPTURED, "api", CAPTURED))
    con = duckdb.connect(str(out), read_only=True)
    con.execute("SET TimeZone = 'America/New_York'")
    info = read_snapshot_info(con)
    assert info is not None and info.captured_at == CAPTURED
    assert info.captured_at.utcoffset() == timedelta(0) and info.created_at.utcoffset() == timedelta(0)
    (account,) = info.accounts
    assert (account.credential_report_generated_at, account.captured_at) == (CAPTURED, CAPTURED)
    assert account.captured_at is not None and account.captured_at.isoformat().endswith("+00:00")


def test_failed_build_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"previous")
    with pytest.raises(RuntimeError):
        with SnapshotWriter(out, source="test") as writer:
            writer.add_rows("aws_account", [{"account_id": "111111111111"}])
            raise RuntimeError("interrupted")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.duckdb"]


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"previous")
    with pytest.raises(UsageError, match="exists"):
        SnapshotWriter(out, source="test", overwrite=False)


def test_transaction_discards_a_failed_part(tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    with SnapshotWriter(out, source="test", captured_at=CAPTURED) as writer:
        writer.add_rows("aws_account", [{"account_id": "111111111111"}])
        with pytest.raises(RowValueError):
            with writer.transaction():
                writer.add_rows("aws_account", [{"account_id": "222222222222"}])
                writer.add_rows("aws_iam_account_summary", [{"account_id": "222222222222", "users": "many"}])
        with writer.transaction():
            writer.add_rows("aws_account", [{"account_id": "333333333333"}])
    assert writer.summary().row_counts == {"aws_account": 2}
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT account_id FROM aws_account ORDER BY 1").fetchall() == [("111111111111",), ("333333333333",)]


def test_json_text_stays_compact(tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    with SnapshotWriter(out, source="test") as writer:
        writer.add_rows("aws_account", [{"account_id": "1", "account_aliases": ["a", "b"]}])
    con = duckdb.connect(str(out), read_only=True)
    (text,) = con.execute("SELECT CAST(account_aliases AS VARCHAR) FROM aws_account").fetchone()
    assert json.loads(text) == ["a", "b"] and text == '["a","b"]'


def test_a_killed_builds_temporary_files_are_swept_by_the_next_build(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from rootwatch.snapshot.writer import sweep_stale_temps

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)  # a pid whose process has ended (SIGKILL leaves files like these)
    output = tmp_path / "org.duckdb"
    stale = [tmp_path / f".org.duckdb.{dead}.140.tmp", tmp_path / f".org.duckdb.{dead}.140.tmp.wal"]
    live = tmp_path / f".org.duckdb.{os.getpid()}.7.tmp"  # a build still running
    other = tmp_path / f".other.duckdb.{dead}.1.tmp"  # another snapshot's
    for path in [*stale, live, other]:
        path.write_bytes(b"x")
    assert sorted(sweep_stale_temps(output)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


@pytest.mark.parametrize("version", [0, 99])
def test_every_reader_refuses_a_format_version_it_does_not_know(tmp_path: Path, version: int, capsys) -> None:  # noqa: ANN001
    """Reading, exporting and merging share one check (metadata.format_refusal): a version newer
    than this rootwatch's, or one below the first (which no rootwatch wrote), is refused by all
    three with the file named and a hint, never read as a snapshot with fewer rows."""
    from rootwatch.cli.main import main
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.errors import ConnectionFailed, InputError
    from rootwatch.snapshot.parquet_export import export_parquet

    snapshot = tmp_path / "odd.duckdb"
    with SnapshotWriter(snapshot, source="test", captured_at=CAPTURED) as writer:
        writer.add_rows("aws_account", [{"account_id": "111111111111"}])
    con = duckdb.connect(str(snapshot))
    con.execute("UPDATE rootwatch_snapshot SET format_version = ?", [version])
    con.close()
    expected = f"has format version {version}"
    with pytest.raises(ConnectionFailed, match=expected) as read:
        DuckDBEngine.open(snapshot)
    with pytest.raises(InputError, match=expected) as export:
        export_parquet(snapshot, tmp_path / "export")
    for refused in (read.value, export.value):
        assert str(snapshot) in str(refused) and refused.hint
    assert ("newer rootwatch" in str(read.value)) == (version > 1)
    assert not (tmp_path / "export").exists()
    good = tmp_path / "good.duckdb"
    with SnapshotWriter(good, source="test", captured_at=CAPTURED) as writer:
        writer.add_rows("aws_account", [{"account_id": "222222222222"}])
    assert main(["snapshot", "merge", str(good), str(snapshot), "-o", str(tmp_path / "m.duckdb"), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert f"{snapshot}: snapshot {expected}" in err and "Traceback" not in err
    assert not (tmp_path / "m.duckdb").exists()
