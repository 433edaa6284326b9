"""The spark engine through the command line: the same graded rows and query rows as DuckDB on the
same snapshot, from a DuckDB file (exported to Parquet on the fly) and from a Parquet export, on
embedded Spark and on a Spark Connect server on loopback; its usage errors; cancelling a query."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from helpers.snapshots import write_snapshot
from helpers.spark import connect_server, require_spark, spark_cli_options

pytestmark = pytest.mark.spark

AS_OF = ("--as-of", "2026-11-25T12:00:00Z")


def _results(document: dict) -> list[tuple]:
    found = []

    def walk(group: dict) -> None:
        for control in group["controls"]:
            for r in control["results"]:
                found.append((control["control_id"], r["resource"], r["status"], r["reason"], json.dumps(r["dimensions"])))
            if control["run_error"]:
                found.append((control["control_id"], control["run_error"]))
        for child in group["groups"]:
            walk(child)

    walk(document)
    return sorted(found)


def _benchmark(run_cli, cli_mod: Path, *source: str) -> tuple[int, dict, str]:
    code, out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--output", "json", *AS_OF, *source)
    return code, json.loads(out) if out.strip() else {}, err


def test_duckdb_file_and_parquet_export_grade_as_duckdb(
    run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path, monkeypatch, spark
) -> None:
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code_duck, duck, _ = _benchmark(run_cli, cli_mod, "--snapshot", str(cli_snapshot))
    code_file, from_file, err = _benchmark(run_cli, cli_mod, "--snapshot", str(cli_snapshot), *spark_cli_options())
    assert code_file == code_duck == 1, err
    assert _results(from_file) == _results(duck)
    assert from_file["rootwatch"]["engine"] == "spark"

    export = tmp_path / "export"
    code, _, err = run_cli("snapshot", "export", str(export), "--format", "parquet", "--snapshot", str(cli_snapshot))
    assert code == 0, err
    code_dir, from_dir, err = _benchmark(run_cli, cli_mod, "--snapshot", str(export), *spark_cli_options())
    assert code_dir == 1, err
    assert _results(from_dir) == _results(duck)
    # The DuckDB file's export on the fly is gone; the user's export is untouched.
    assert not list(scratch.iterdir())
    assert (export / "rootwatch-export.json").is_file()


EVENT = {"partition": "aws", "account_id": "111111111111", "user_type": "Root", "event_source": "signin.amazonaws.com",
         "source_ip_address": "192.0.2.10", "event_type": "AwsConsoleSignIn", "read_only": False}
EVENT_ROWS = {
    "aws_account": [{"account_id": "111111111111", "partition": "aws", "region": "global"}],
    "aws_cloudtrail_trail_event": [
        {**EVENT, "event_id": "e1", "region": "us-east-1", "event_time": "2026-11-20T08:00:00Z", "event_name": "ConsoleLogin",
         "additional_event_data": {"MFAUsed": "Yes"}, "response_elements": {"ConsoleLogin": "Success"},
         "user_identity": {"type": "Root"}},
        {**EVENT, "event_id": "e2", "region": "eu-west-1", "event_time": "2026-11-21T09:30:00.123456Z",
         "event_source": "iam.amazonaws.com", "event_name": "CreateAccessKey", "access_key_id": "ASIAEXAMPLE",
         "event_type": "AwsApiCall", "error_code": "AccessDenied", "error_message": "no",
         "user_identity": {"type": "Root", "sessionContext": {"assumedRoot": "true"}}},
        {**EVENT, "event_id": "e3", "region": "us-east-1", "event_time": "2026-11-22T10:00:00Z",
         "event_source": "s3.amazonaws.com", "event_name": "ListBuckets", "event_type": "AwsApiCall",
         "user_identity": {"type": "Root", "invokedBy": "cloudtrail.amazonaws.com"}},
    ],
}


def test_root_activity_lists_the_same_events(run_cli, tmp_path: Path, repo: Path, spark) -> None:
    snapshot = write_snapshot(tmp_path / "events.duckdb", EVENT_ROWS)
    common = ("query", "run", "root_activity", "--mod-location", str(repo), "--output", "json", *AS_OF, "--snapshot", str(snapshot))
    code_duck, out_duck, err = run_cli(*common)
    assert code_duck == 0, err
    code_spark, out_spark, err = run_cli(*common, *spark_cli_options())
    assert code_spark == 0, err
    rows = json.loads(out_spark)
    assert rows == json.loads(out_duck)
    assert [r["event_id"] for r in rows] == ["e2", "e1"]  # newest first; e3 was invoked by a service
    assert rows[0]["credential"] == "centralized root session" and rows[0]["outcome"] == "failed"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--spark", "yarn"), "--spark 'yarn' is neither local"),
        (("--spark", "local[2]", "--spark-conf", "novalue"), "--spark-conf 'novalue' is not KEY=VALUE"),
        (("--cloudtrail", "s3://bucket/AWSLogs/"), "--cloudtrail needs --spark"),
        (("--spark", "local[2]", "--database", "postgres://x@127.0.0.1/db"), "--spark reads a snapshot"),
        (("--spark", "local[2]", "--cloudtrail-days", "0", "--snapshot", "x.duckdb"), "--cloudtrail-days must be"),
    ],
)
def test_usage_errors_exit_3(run_cli, cli_mod: Path, options: tuple[str, ...], message: str) -> None:
    code, out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), *options)
    assert code == 3
    assert message in err and "Traceback" not in err
    assert out == ""


def test_folder_that_is_no_export_exits_3(run_cli, cli_mod: Path, tmp_path: Path, spark) -> None:
    code, _, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(tmp_path), *spark_cli_options())
    assert code == 3
    assert "not a rootwatch Parquet export" in err


def test_cancel_stops_a_running_query(spark) -> None:
    from rootwatch.engines.base import QueryFailed
    from rootwatch.engines.spark_engine import SparkEngine

    engine = SparkEngine(spark, "Spark (test)")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            engine.execute("SELECT count(*) FROM range(0, 1000000000000, 1, 2) WHERE id * 7 % 13 = 5")
        except QueryFailed as exc:
            failure.append(exc)

    worker = threading.Thread(target=run)
    began = time.monotonic()
    worker.start()
    time.sleep(3)
    engine.close()  # what Ctrl-C leads to: every job of the engine cancelled
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert failure, "the query was not cancelled"
    assert time.monotonic() - began < 120


def test_query_timeout_names_the_option(spark) -> None:
    from rootwatch.engines.base import QueryFailed
    from rootwatch.engines.spark_engine import SparkEngine

    engine = SparkEngine(spark, "Spark (test)", query_timeout=2)
    try:
        with pytest.raises(QueryFailed, match="timed out after 2 s"):
            engine.execute("SELECT count(*) FROM range(0, 1000000000000, 1, 2) WHERE id * 7 % 13 = 5")
    finally:
        engine.close()


def test_spark_connect_server_grades_as_duckdb(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path) -> None:
    """End to end through a Spark Connect server from the PySpark distribution, on loopback. It
    runs in a process of its own; this test process keeps its embedded session for the others, so
    the command runs in a child process."""
    import subprocess
    import sys

    require_spark()
    code_duck, duck, _ = _benchmark(run_cli, cli_mod, "--snapshot", str(cli_snapshot))
    export = tmp_path / "export"
    assert run_cli("snapshot", "export", str(export), "--format", "parquet", "--snapshot", str(cli_snapshot))[0] == 0
    scratch = tmp_path / "connect"
    scratch.mkdir()
    with connect_server(scratch) as url:
        command = [sys.executable, "-m", "rootwatch", "benchmark", "run", "demo", "--mod-location", str(cli_mod),
                   "--output", "json", *AS_OF, "--snapshot", str(export), "--spark", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == code_duck == 1, done.stderr
    document = json.loads(done.stdout)
    assert _results(document) == _results(duck)
    assert document["rootwatch"]["engine"] == "spark"


def test_cloudtrail_read_where_it_lies(run_cli, tmp_path: Path, repo: Path, spark) -> None:
    """--cloudtrail: root_activity reads the log files of the window (by the key layout's day), not
    the snapshot's events."""
    import gzip

    from helpers.cloudtrail_records import ACCOUNT, records

    day = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "11" / "19"
    day.mkdir(parents=True)
    name = f"{ACCOUNT}_CloudTrail_us-east-1_20261119T0815Z_abc.json.gz"
    (day / name).write_bytes(gzip.compress(json.dumps({"Records": records()}).encode()))
    snapshot = write_snapshot(tmp_path / "org.duckdb", {"aws_account": [{"account_id": ACCOUNT, "partition": "aws", "region": "global"}]})
    common = ("query", "run", "root_activity", "--mod-location", str(repo), "--output", "json", *AS_OF,
              "--snapshot", str(snapshot), *spark_cli_options(), "--cloudtrail", str(tmp_path / "AWSLogs"))
    code, out, err = run_cli(*common, "--cloudtrail-days", "30")
    assert code == 0, err
    ids = [row["event_id"] for row in json.loads(out)]
    assert ids == [f"{ACCOUNT}-e01", f"{ACCOUNT}-e02", f"{ACCOUNT}-e04", f"{ACCOUNT}-e05"]
    code, out, err = run_cli(*common, "--cloudtrail-days", "3")  # 2026-11-23 to 25: the file's day is not read
    assert code == 0, err
    assert json.loads(out) == []
