"""A load of every CloudTrail record stores the records lean and makes aws_cloudtrail_trail_event a
view (snapshot format version 2): readers see the columns, types and values the table held, and
every reader of a snapshot (engine, merge, Parquet export) finds the rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers.cloudtrail import gzip_records
from helpers.snapshots import query
from rootwatch.engines.duckdb_engine import DuckDBEngine
from rootwatch.schema.tables import table_named
from rootwatch.snapshot.cloudtrail_logs import EventSelection, find_log_files, load_log_files
from rootwatch.snapshot.cloudtrail_view import RECORD_FILES_TABLE, RECORDS_TABLE, RECORDS_VIEW_FORMAT_VERSION
from rootwatch.snapshot.metadata import PLAIN_FORMAT_VERSION
from rootwatch.snapshot.parquet_export import export_parquet
from rootwatch.snapshot.writer import SnapshotWriter

ACCOUNT = "123456789012"
TABLE = table_named("aws_cloudtrail_trail_event")
SENTINEL = "sentinel-row"

# Records whose values DuckDB writes otherwise than they are spelt: escapes, numbers in other
# notations, white space, JSON nulls, a number or an object where text is expected, keys missing.
ODD_RECORDS: list[dict[str, Any]] = [
    {"eventVersion": "1.11", "eventTime": "2026-11-19T08:12:33Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
     "userIdentity": {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}, "eventID": "e01",
     "userAgent": "Mozilla/5.0 (Écran) \u2028 \"quoted\" back\\slash /slash/", "readOnly": False,
     "requestParameters": {"f": 1.50, "g": 1e5, "h": -0.0, "i": 12345678901234567890123, "j": 3e-7, "k": [1, {"x": None}]},
     "responseElements": None, "additionalEventData": {"MFAUsed": "Yes", "z": "\u00e9\u001f\n"}, "tlsDetails": {}},
    {"eventTime": "2026-11-18T22:41:07.250Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "eventID": "e02",
     "errorCode": 403, "errorMessage": {"nested": True}, "sharedEventID": None, "readOnly": "true", "resources": [],
     "userIdentity": {"type": "AssumedRole", "arn": "", "sessionContext": {"sessionIssuer": {"arn": "", "principalId": "AROA1"}}}},
    {"eventTime": "2026-10-02T13:00:04Z", "eventID": "e03", "userIdentity": "not an object", "eventType": "AwsServiceEvent",
     "eventName": "List\u00e9\"Buckets\\", "eventSource": 7,
     "vpcEndpointId": "vpce-1", "recipientAccountId": 123456789012},
]


def _write_logs(root: Path) -> list[Any]:
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail"
    gz = folder / "us-east-1" / "2026" / "11" / "19" / f"{ACCOUNT}_CloudTrail_us-east-1_20261119T0815Z_a.json.gz"
    gz.parent.mkdir(parents=True)
    gz.write_bytes(gzip_records(ODD_RECORDS))
    # Pretty-printed: white space between every token.
    plain = folder / "eu-west-1" / "2026" / "11" / "19" / f"{ACCOUNT}_CloudTrail_eu-west-1_20261119T0815Z_b.json"
    plain.parent.mkdir(parents=True)
    plain.write_text(json.dumps({"Records": ODD_RECORDS}, indent=2, ensure_ascii=True))
    files, problems = find_log_files(root / "AWSLogs")
    assert problems == [] and len(files) == 2
    return files


def _as_text(path: Path) -> list[tuple[Any, ...]]:
    select = ", ".join(f'CAST("{name}" AS VARCHAR)' for name in TABLE.column_names)
    return sorted(query(path, f"SELECT {select} FROM aws_cloudtrail_trail_event WHERE log_stream_name IS DISTINCT FROM '{SENTINEL}'"),
                  key=repr)


def _columns(path: Path) -> list[tuple[str, str]]:
    return query(path, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'aws_cloudtrail_trail_event' "
                       "ORDER BY column_index")


def test_the_view_shows_every_value_the_table_held(tmp_path: Path) -> None:
    files = _write_logs(tmp_path / "logs")
    with SnapshotWriter(tmp_path / "view.duckdb", source="test") as writer:
        loaded = load_log_files(writer.connection, files, EventSelection.ALL)
    assert loaded.records_view and loaded.rows == 6 and loaded.problems == []
    # An event table that already holds a row cannot become the view: the load fills the table as before.
    with SnapshotWriter(tmp_path / "table.duckdb", source="test") as writer:
        writer.connection.execute("INSERT INTO aws_cloudtrail_trail_event (log_stream_name) VALUES (?)", [SENTINEL])
        kept = load_log_files(writer.connection, files, EventSelection.ALL)
    assert not kept.records_view and kept.rows == 6
    view, table = _as_text(tmp_path / "view.duckdb"), _as_text(tmp_path / "table.duckdb")
    assert view == table and len(view) == 6
    assert _columns(tmp_path / "view.duckdb") == _columns(tmp_path / "table.duckdb")
    assert [name for name, _ in _columns(tmp_path / "view.duckdb")] == list(TABLE.column_names)
    con = duckdb.connect(str(tmp_path / "view.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall() == [("aws_cloudtrail_trail_event",)]
        assert con.execute(f"SELECT count(*) FROM {RECORDS_TABLE}").fetchone() == (6,)
        # Each log file's columns are stored once, not on each of its records.
        assert con.execute(f"SELECT count(*), count(DISTINCT log_stream_name) FROM {RECORD_FILES_TABLE}").fetchone() == (2, 2)
    finally:
        con.close()


@pytest.mark.parametrize("arrow_json_type", [True, False])
def test_each_record_is_stored_as_its_log_file_spells_it(tmp_path: Path, monkeypatch, arrow_json_type: bool) -> None:
    """``cloudtrail_event`` holds the record's own text (escapes, numbers and white space as the file
    has them), whether pyarrow has Arrow's JSON type (DuckDB then takes the text as JSON unchecked)
    or not (DuckDB casts it); the other columns are read from it as before."""
    import pyarrow as pa

    if not arrow_json_type:
        monkeypatch.delattr(pa, "json_", raising=False)
    files = _write_logs(tmp_path / "logs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        assert load_log_files(writer.connection, files, EventSelection.ALL).rows == 6
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        stored = dict(con.execute("SELECT log_stream_name || event_id, CAST(cloudtrail_event AS VARCHAR) FROM aws_cloudtrail_trail_event").fetchall())
    finally:
        con.close()
    gz, plain = (next(f for f in files if f.path.name.endswith(suffix)) for suffix in (".gz", ".json"))
    compact = [json.dumps(r, separators=(",", ":")) for r in ODD_RECORDS]
    indented = [json.dumps(r, indent=2, ensure_ascii=True) for r in ODD_RECORDS]
    for record, text, spelt in zip(ODD_RECORDS, compact, indented, strict=True):
        assert stored[gz.key + record["eventID"]] == text
        # The pretty-printed file's records, indented one level deeper inside "Records".
        assert stored[plain.key + record["eventID"]] == spelt.replace("\n", "\n    ")


@pytest.mark.parametrize("change", [{"readOnly": "maybe"}, {"eventTime": None}, {"eventTime": "yesterday"}])
def test_a_bad_record_still_fails_the_load_and_names_the_file(tmp_path: Path, change: dict[str, Any]) -> None:
    files = _write_logs(tmp_path / "logs")
    bad = next(f.path for f in files if f.path.name.endswith(".gz"))
    bad.write_bytes(gzip_records([{**ODD_RECORDS[0], **change}, ODD_RECORDS[1]]))
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, files, EventSelection.ALL, skip_bad_files=True)
        assert [p.path for p in result.problems] == [bad] and result.rows == 3
        assert writer.connection.execute("SELECT count(*) FROM aws_cloudtrail_trail_event").fetchone() == (3,)


@pytest.fixture()
def snapshots(run_cli, tmp_path: Path) -> dict[str, Path]:
    _write_logs(tmp_path / "logs")
    made = {}
    for events in ("all", "root"):
        made[events] = tmp_path / f"{events}.duckdb"
        code, _, err = run_cli("snapshot", "from-files", str(tmp_path / "logs"), "-o", str(made[events]), "--cloudtrail-events", events)
        assert code == 0, err
    return made


def _format_version(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT format_version FROM rootwatch_snapshot").fetchone()[0]
    finally:
        con.close()


def test_only_the_view_makes_format_version_2(snapshots: dict[str, Path]) -> None:
    assert _format_version(snapshots["all"]) == RECORDS_VIEW_FORMAT_VERSION == 2
    assert _format_version(snapshots["root"]) == PLAIN_FORMAT_VERSION == 1


def test_engine_merge_and_parquet_export_read_the_view(run_cli, snapshots: dict[str, Path], tmp_path: Path) -> None:
    engine = DuckDBEngine.open(snapshots["all"])
    try:
        rows = engine.execute("SELECT event_id, user_identifier, CAST(request_parameters ->> 'f' AS VARCHAR) "
                              "FROM aws_cloudtrail_trail_event WHERE user_type = 'Root' ORDER BY event_id").rows
    finally:
        engine.close()
    assert rows == [("e01", f"arn:aws:iam::{ACCOUNT}:root", "1.5")] * 2

    merged = tmp_path / "merged.duckdb"
    code, _, err = run_cli("snapshot", "merge", str(snapshots["all"]), "-o", str(merged))
    assert code == 0, err
    assert _as_text(merged) == _as_text(snapshots["all"])
    assert _format_version(merged) == PLAIN_FORMAT_VERSION  # the merge writes a table

    summary = export_parquet(snapshots["all"], tmp_path / "export")
    exported = {table.name: table.rows for table in summary.tables}
    assert exported["aws_cloudtrail_trail_event"] == 6 and RECORDS_TABLE not in exported and RECORD_FILES_TABLE not in exported


def test_worker_processes_send_the_same_records(tmp_path: Path, monkeypatch) -> None:
    """The records' text comes from each worker through shared memory, the message saying where it
    lies: the rows are those one process reads."""
    from rootwatch.snapshot import cloudtrail_logs

    files = _write_logs(tmp_path / "logs")
    with SnapshotWriter(tmp_path / "one.duckdb", source="test") as writer:
        assert load_log_files(writer.connection, files, EventSelection.ALL, threads=1).rows == 6
    monkeypatch.setattr(cloudtrail_logs, "PARALLEL_MIN_BYTES", 0)  # two workers however small the logs
    with SnapshotWriter(tmp_path / "two.duckdb", source="test") as writer:
        assert load_log_files(writer.connection, files, EventSelection.ALL, threads=2).rows == 6
    assert _as_text(tmp_path / "two.duckdb") == _as_text(tmp_path / "one.duckdb")
