"""CloudTrail log files: the DuckDB bulk load and the Python transform give the same rows, and a bad
file is found and named whichever way it is bad."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from helpers.cloudtrail import gzip_records
from rootwatch.schema.tables import ColumnType, table_named
from rootwatch.snapshot.cloudtrail_load import ROW_GROUP_ROWS
from rootwatch.snapshot.cloudtrail_logs import (
    LARGE_LOAD_BYTES,
    EventSelection,
    SnapshotStorage,
    find_bad_log_files,
    find_log_files,
    load_log_files,
    log_file_rows,
    snapshot_storage,
)
from rootwatch.snapshot.writer import BLOCK_SIZE, LARGE_BLOCK_SIZE, SnapshotWriter

ACCOUNT = "123456789012"
TABLE = table_named("aws_cloudtrail_trail_event")


def root_identity(**extra: Any) -> dict[str, Any]:
    return {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT, **extra}


RECORDS: list[dict[str, Any]] = [
    {"eventVersion": "1.11", "eventTime": "2026-11-19T08:12:33Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
     "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.24", "userAgent": "Mozilla/5.0 (Écran)", "userIdentity": root_identity(),
     "requestParameters": None, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Yes"},
     "eventID": "e01", "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True, "recipientAccountId": ACCOUNT,
     "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3"}},
    {"eventTime": "2026-11-18T22:41:07.250Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "awsRegion": "eu-west-1",
     "userIdentity": root_identity(accessKeyId="AKIAEXAMPLEROOTKEY01"), "readOnly": True, "eventID": "e02",
     "errorCode": 403, "errorMessage": "Access Denied", "resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]},
    {"eventTime": "2026-11-18T10:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeRegions",
     "userIdentity": root_identity(invokedBy="trustedadvisor.amazonaws.com"), "eventID": "e03", "readOnly": "true"},
    {"eventTime": "2026-10-02T13:00:01Z", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoot", "eventID": "e04",
     "userIdentity": {"type": "AssumedRole", "arn": "", "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/OrgAdmin"}}},
     "requestParameters": {"targetPrincipal": "555555555555"}},
    {"eventTime": "2026-10-02T13:00:02Z", "eventSource": "example.amazonaws.com", "eventName": "AssumeRoot", "eventID": "e05",
     "userIdentity": {"type": "AssumedRole"}},
    {"eventTime": "2026-10-02T13:00:03Z", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "eventID": "e06",
     "userIdentity": {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::123456789012:user/alice"}},
    {"eventTime": "2026-10-02T13:00:04Z", "eventID": "e07", "userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
     "eventType": "AwsServiceEvent", "serviceEventDetails": {"x": 1}},
]


def write(path: Path, records: list[dict[str, Any]], *, gz: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip_records(records))
    else:
        path.write_text(json.dumps({"Records": records}, indent=2))
    return path


def log_path(root: Path, account: str, region: str, name: str, *, org: str | None = None, suffix: str = ".json.gz") -> Path:
    parts = [root, "AWSLogs", *([org] if org else []), account, "CloudTrail", region, "2026", "11", "19"]
    return Path(*parts) / f"{account}_CloudTrail_{region}_20261119T0815Z_{name}{suffix}"


@pytest.fixture()
def logs(tmp_path: Path) -> Path:
    write(log_path(tmp_path, ACCOUNT, "us-east-1", "a"), RECORDS[:3])
    write(log_path(tmp_path, ACCOUNT, "eu-west-1", "b", org="o-a1b2c3d4e5"), RECORDS[3:])
    write(log_path(tmp_path, "210987654321", "us-gov-west-1", "c", suffix=".json"), RECORDS[:2], gz=False)
    return tmp_path


def table_rows(snapshot: Path) -> list[dict[str, Any]]:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        names = TABLE.column_names
        fetched = con.execute(
            "SELECT " + ", ".join(f'CAST("{n}" AS VARCHAR)' if TABLE.column(n).type is ColumnType.JSONB else f'"{n}"' for n in names)
            + " FROM aws_cloudtrail_trail_event ORDER BY account_id, event_id"
        ).fetchall()
    finally:
        con.close()
    rows = []
    for values in fetched:
        row = dict(zip(names, values, strict=True))
        for name in names:
            if TABLE.column(name).type is ColumnType.JSONB and row[name] is not None:
                row[name] = json.loads(row[name])
        rows.append(row)
    return rows


@pytest.mark.parametrize("selection", list(EventSelection))
def test_bulk_load_matches_the_python_transform(logs: Path, tmp_path: Path, selection: EventSelection) -> None:
    files, problems = find_log_files(logs / "AWSLogs")
    assert problems == [] and len(files) == 3
    with SnapshotWriter(tmp_path / "bulk.duckdb", source="test") as writer:
        bulk_count = load_log_files(writer.connection, files, selection).rows
    with SnapshotWriter(tmp_path / "python.duckdb", source="test") as writer:
        python_count = writer.add_rows("aws_cloudtrail_trail_event", [r for f in files for r in log_file_rows(f, selection)])
    assert bulk_count == python_count == (9 if selection is EventSelection.ALL else 6)
    bulk, reference = table_rows(tmp_path / "bulk.duckdb"), table_rows(tmp_path / "python.duckdb")
    for got, want in zip(bulk, reference, strict=True):
        differing = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
        assert not differing, f"event {want['event_id']}: {differing}"


def test_root_selection_and_row_values(logs: Path, tmp_path: Path) -> None:
    files, _ = find_log_files(logs / "AWSLogs")
    with SnapshotWriter(tmp_path / "bulk.duckdb", source="test") as writer:
        assert load_log_files(writer.connection, files).problems == []
    rows = {(r["account_id"], r["event_id"]): r for r in table_rows(tmp_path / "bulk.duckdb")}
    assert sorted(rows) == [("123456789012", e) for e in ("e01", "e02", "e03", "e04")] + [("210987654321", "e01"), ("210987654321", "e02")]
    key_call = rows[(ACCOUNT, "e02")]
    assert (key_call["access_key_id"], key_call["error_code"], key_call["read_only"]) == ("AKIAEXAMPLEROOTKEY01", "403", True)
    assert key_call["timestamp_ms"] == 1795041667250 and key_call["region"] == "us-east-1"
    assume_root = rows[(ACCOUNT, "e04")]
    assert assume_root["user_identifier"] == "arn:aws:iam::123456789012:role/OrgAdmin" and assume_root["region"] == "eu-west-1"
    gov = rows[("210987654321", "e01")]
    assert (gov["partition"], gov["region"], gov["sp_connection_name"]) == ("aws-us-gov", "us-gov-west-1", "aws_210987654321")
    assert gov["log_stream_name"].startswith("AWSLogs/210987654321/CloudTrail/us-gov-west-1/2026/11/19/")
    assert rows[(ACCOUNT, "e01")]["user_agent"] == "Mozilla/5.0 (Écran)"


def test_layout_skips_digests_and_names_strays(tmp_path: Path) -> None:
    write(log_path(tmp_path, ACCOUNT, "us-east-1", "a"), RECORDS[:1])
    digest = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "us-east-1" / "2026" / "11" / "19" / "d.json.gz"
    write(digest, [])
    stray = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "notes.txt"
    stray.write_text("x")
    files, problems = find_log_files(tmp_path / "AWSLogs")
    assert [f.account_id for f in files] == [ACCOUNT]
    assert [(p.path, p.line) for p in problems] == [(stray, None)]
    assert "not a CloudTrail log file in the S3 layout" in problems[0].message


def bad_files(tmp_path: Path) -> dict[str, Path]:
    good = write(log_path(tmp_path, ACCOUNT, "us-east-1", "good"), RECORDS[:2])
    truncated = log_path(tmp_path, ACCOUNT, "us-east-1", "truncated")
    truncated.write_bytes(good.read_bytes()[:-12])
    invalid = log_path(tmp_path, ACCOUNT, "us-east-1", "invalid")
    invalid.write_bytes(gzip.compress(b'{\n  "Records": [\n    {"eventTime": "2026-11-19T08:12:33Z" "eventName": "x"}\n  ]\n}\n'))
    shapeless = log_path(tmp_path, ACCOUNT, "us-east-1", "shapeless")
    shapeless.write_bytes(gzip.compress(b'{"records": []}'))
    timeless = write(log_path(tmp_path, ACCOUNT, "us-east-1", "timeless"), [RECORDS[5], {"eventName": "x", "userIdentity": {"type": "Root"}}])
    return {"good": good, "truncated": truncated, "invalid": invalid, "shapeless": shapeless, "timeless": timeless}


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("truncated", None, "not a complete gzip file (incomplete or truncated stream); re-download it"),
        ("invalid", 3, "invalid JSON at column 42: Expecting ',' delimiter"),
        ("shapeless", None, 'not a CloudTrail log file: no "Records" list'),
        ("timeless", None, "Records[1]: CloudTrail record without eventTime"),
    ],
)
def test_a_bad_file_fails_the_bulk_load_and_is_named(tmp_path: Path, name: str, line: int | None, message: str) -> None:
    paths = bad_files(tmp_path)
    files, _ = find_log_files(tmp_path / "AWSLogs")
    chosen = [f for f in files if f.path in (paths["good"], paths[name])]
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, chosen)
        # The failed load left nothing behind, and named the bad file alone.
        assert result.rows == 0
        assert writer.connection.execute("SELECT count(*) FROM aws_cloudtrail_trail_event").fetchone() == (0,)
        assert [(p.path, p.line, p.message) for p in result.problems] == [(paths[name], line, message)]
        skipping = load_log_files(writer.connection, chosen, skip_bad_files=True)
        assert (skipping.rows, [p.path for p in skipping.problems]) == (2, [paths[name]])
    (problem,) = find_bad_log_files(chosen)
    assert (problem.path, problem.line, problem.message) == (paths[name], line, message)


def test_concatenated_documents_are_read_and_an_empty_file_is_bad(tmp_path: Path) -> None:
    both = log_path(tmp_path, ACCOUNT, "us-east-1", "both")
    both.parent.mkdir(parents=True)
    both.write_bytes(gzip.compress((json.dumps({"Records": RECORDS[:1]}) + "\n" + json.dumps({"Records": RECORDS[1:2]})).encode()))
    empty = log_path(tmp_path, ACCOUNT, "us-east-1", "empty")
    empty.write_bytes(gzip.compress(b"  \n"))
    nothing = log_path(tmp_path, ACCOUNT, "us-east-1", "nothing")
    nothing.write_bytes(gzip.compress(b""))
    files, _ = find_log_files(tmp_path / "AWSLogs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, files, skip_bad_files=True)
    assert result.rows == 2
    assert sorted((p.path.name, p.message) for p in result.problems) == sorted(
        (path.name, 'empty file (a CloudTrail log file is {"Records": [...]})') for path in (empty, nothing))
    assert sorted(r["event_id"] for r in log_file_rows(files[0])) == ["e01", "e02"]


def test_a_large_load_of_every_record_gets_large_blocks(logs: Path, tmp_path: Path) -> None:
    """Every record of many megabytes of logs: the snapshot takes DuckDB's large blocks (small ones
    made the load spill a temporary file per block), and loads the same rows into them. Every
    record of any size of logs gets the load's row groups."""
    files, _ = find_log_files(logs / "AWSLogs")
    assert snapshot_storage(files, EventSelection.ALL) == SnapshotStorage(BLOCK_SIZE, ROW_GROUP_ROWS)
    assert snapshot_storage(files, EventSelection.ROOT) == SnapshotStorage(BLOCK_SIZE, None)
    big = log_path(tmp_path / "big", ACCOUNT, "us-east-1", "big")
    big.parent.mkdir(parents=True)
    with big.open("wb") as handle:  # sparse: only its size is looked at
        handle.truncate(LARGE_LOAD_BYTES)
    large = [*files, *find_log_files(tmp_path / "big" / "AWSLogs")[0]]
    assert snapshot_storage(large, EventSelection.ALL) == SnapshotStorage(LARGE_BLOCK_SIZE, ROW_GROUP_ROWS)
    assert snapshot_storage(large, EventSelection.ROOT) == SnapshotStorage(BLOCK_SIZE, None)
    for block_size in (BLOCK_SIZE, LARGE_BLOCK_SIZE):
        out = tmp_path / f"blocks-{block_size}.duckdb"
        with SnapshotWriter(out, source="test", block_size=block_size) as writer:
            assert load_log_files(writer.connection, files, EventSelection.ALL).rows == 9
        con = duckdb.connect(str(out), read_only=True)
        try:
            assert con.execute("SELECT block_size FROM pragma_database_size()").fetchone() == (block_size,)
        finally:
            con.close()
    assert table_rows(tmp_path / f"blocks-{BLOCK_SIZE}.duckdb") == table_rows(tmp_path / f"blocks-{LARGE_BLOCK_SIZE}.duckdb")
