"""CloudTrail read where it lies, on Spark: the ``aws_cloudtrail_trail_event`` view holds exactly the
rows the DuckDB snapshot builder makes of the same files, with the snapshot table's columns and types,
from a local folder and from S3 (moto's server), where PySpark without an S3 filesystem has its
Python workers fetch the objects."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from helpers.cloudtrail import gzip_records, moto_environment, upload_folder, write_sample_trail
from helpers.cloudtrail import write_log_file as write_log
from helpers.cloudtrail_records import records
from helpers.remediation import reset_auth
from rootwatch.cloudtrail_layout import LogObject
from rootwatch.engines.spark_cloudtrail import events_view, register_cloudtrail_view
from rootwatch.schema.tables import TRAIL_EVENT_TABLE as VIEW
from rootwatch.errors import InputError
from rootwatch.schema.tables import ColumnType, table_named
from rootwatch.snapshot.cloudtrail_logs import LogFile, load_log_files

TABLE = table_named(VIEW)
pytestmark = pytest.mark.spark


@pytest.fixture
def session(spark) -> Any:
    """A session of the tests' one Spark (the ``spark`` fixture's), with views of its own: the
    trail view these tests register does not reach other tests."""
    new = spark.newSession()
    new.conf.set("spark.sql.session.timeZone", "UTC")
    return new


@pytest.fixture(scope="module")
def trail(tmp_path_factory) -> Path:
    return write_sample_trail(tmp_path_factory.mktemp("trail"))


def duckdb_rows(files: list[LogObject]) -> list[dict[str, Any]]:
    """The snapshot builder's rows of ``files``: the reference."""
    con = duckdb.connect()
    con.execute(TABLE.ddl("duckdb"))
    loaded = load_log_files(con, [LogFile(Path(f.url), f.key, f.account_id, f.region, f.organization_id) for f in files])
    assert loaded.problems == []
    cursor = con.execute(f"SELECT * FROM {VIEW}")
    names = [d[0] for d in cursor.description]
    return sorted((normalized(dict(zip(names, row))) for row in cursor.fetchall()), key=lambda r: (r["account_id"], r["event_id"]))


def spark_rows(session: Any) -> list[dict[str, Any]]:
    # Timestamps as epoch microseconds: PySpark would hand back naive local times.
    select = ", ".join(
        f"unix_micros(`{c.name}`) AS `{c.name}`" if c.type is ColumnType.TIMESTAMPTZ else f"`{c.name}`" for c in TABLE.columns
    )
    rows = [row.asDict() for row in session.sql(f"SELECT {select} FROM {VIEW}").collect()]
    for row in rows:
        for column in TABLE.columns:
            if column.type is ColumnType.TIMESTAMPTZ and row[column.name] is not None:
                row[column.name] = datetime.fromtimestamp(row[column.name] / 1e6, timezone.utc)
    return sorted((normalized(row) for row in rows), key=lambda r: (r["account_id"], r["event_id"]))


def normalized(row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns parsed (the engines spell the same JSON differently), instants in UTC."""
    out = dict(row)
    for column in TABLE.columns:
        value = out[column.name]
        if column.type is ColumnType.JSONB and isinstance(value, str):
            out[column.name] = json.loads(value)
        elif isinstance(value, datetime):
            out[column.name] = value.astimezone(timezone.utc)
    return out


def test_the_view_has_the_snapshot_tables_columns_and_types(session: Any) -> None:
    schema = events_view(session, []).schema
    expected = {ColumnType.TEXT: "string", ColumnType.JSONB: "string", ColumnType.BOOLEAN: "boolean",
                ColumnType.TIMESTAMPTZ: "timestamp", ColumnType.BIGINT: "bigint"}
    assert [(f.name, f.dataType.simpleString()) for f in schema.fields] == [(c.name, expected[c.type]) for c in TABLE.columns]


def test_rows_equal_the_snapshot_builders_rows(trail: Path, session: Any) -> None:
    files = register_cloudtrail_view(session, str(trail), since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert len(files) == 4
    expected = duckdb_rows(files)
    assert len(expected) == 6 + 6 + 2  # six kept of a full file, two of the hand-written one
    assert spark_rows(session) == expected
    by_id = {r["event_id"]: r for r in expected}
    assert by_id["345678901234-e05"]["user_type"] == "Root"  # the escaped spelling was found
    assert by_id["210987654321-e01"]["partition"] == "aws-us-gov"
    assert by_id["123456789012-e02"]["error_code"] == "403"


def test_a_window_and_filters_narrow_the_view(trail: Path, session: Any) -> None:
    register_cloudtrail_view(session, str(trail), since=date(2026, 11, 19), until=date(2026, 11, 19))
    assert {r["account_id"] for r in spark_rows(session)} == {"123456789012"}
    register_cloudtrail_view(session, str(trail), since=date(2026, 8, 1), until=date(2026, 11, 30),
                             accounts=["123456789012"], regions=["us-east-1"])
    assert len(spark_rows(session)) == 6 + 6  # the August file is in the window now
    register_cloudtrail_view(session, str(trail), since=date(2025, 1, 1), until=date(2025, 1, 31))
    assert spark_rows(session) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (gzip_records(records())[:300], None),  # cut short: the decompressor's error
        (gzip_records([{"userIdentity": {"type": "Root"}}]), "a record without eventTime in "),
        (gzip.compress(b'{"Root": "not a log"}'), 'not a CloudTrail log file (no "Records" list): '),
    ],
    ids=["truncated", "no-event-time", "no-records"],
)
def test_a_bad_file_fails_the_read(tmp_path: Path, body: bytes, message: str | None, session: Any) -> None:
    write_log(tmp_path, "123456789012", "us-east-1", "2026-11-19", "bad.json.gz", body)
    register_cloudtrail_view(session, str(tmp_path), since=date(2026, 11, 19), until=date(2026, 11, 19))
    with pytest.raises(Exception) as failure:  # noqa: PT011 - Spark's own exception classes
        session.sql(f"SELECT count(*) FROM {VIEW}").collect()  # reads no column: the checks run all the same
    if message is not None:
        assert message + f"file:{tmp_path}" in str(failure.value)
        assert "bad.json.gz" in str(failure.value)


# -- the same files in S3 (moto's server on loopback) ---------------------------------------------

BUCKET = "org-trail"
SECRET = "moto-secret-never-printed"


@pytest.fixture()
def s3_trail(trail: Path, moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``trail`` synced to ``s3://org-trail/logs/``; the environment's credential chain reaches moto only."""
    boto3 = pytest.importorskip("boto3")
    import urllib.request

    reset_auth(moto_url, "inf")
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    moto_environment(monkeypatch, moto_url, tmp_path, secret=SECRET)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    upload_folder(client, BUCKET, trail, "logs/")
    yield f"s3://{BUCKET}/logs/"
    reset_auth(moto_url, "inf")


@pytest.mark.moto
@pytest.mark.parametrize(("reader", "scheme"), [("auto", "s3"), ("boto3", "s3"), ("auto", "s3a")])
def test_s3_rows_equal_the_local_folders_rows(trail: Path, s3_trail: str, reader: str, scheme: str, session: Any) -> None:
    """PySpark from PyPI opens no s3:// path (and has no class behind s3a://): ``auto`` finds that out
    and fetches with boto3, as ``boto3`` does outright; either way the view holds the local read's
    rows (and the builder's)."""
    s3_trail = s3_trail.replace("s3://", f"{scheme}://")
    window = {"since": date(2026, 11, 1), "until": date(2026, 11, 30)}
    local_files = register_cloudtrail_view(session, str(trail), **window)
    expected = spark_rows(session)
    assert expected == duckdb_rows(local_files)
    files = register_cloudtrail_view(session, s3_trail, reader=reader, **window)
    assert [f.key for f in files] == [f.key for f in local_files]
    assert files[0].url.startswith(f"{scheme}://{BUCKET}/logs/AWSLogs/")
    assert spark_rows(session) == expected
    register_cloudtrail_view(session, s3_trail, reader=reader, since=date(2026, 11, 20), until=date(2026, 11, 20))
    assert {r["account_id"] for r in spark_rows(session)} == {"210987654321"}


@pytest.mark.moto
def test_reader_spark_needs_an_s3_filesystem(s3_trail: str, session: Any) -> None:
    with pytest.raises(InputError, match=r"Spark cannot open s3:// paths \(no S3 filesystem"):
        register_cloudtrail_view(session, s3_trail, reader="spark", since=date(2026, 11, 1), until=date(2026, 11, 30))


@pytest.mark.moto
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (gzip_records(records())[:300], "not a complete gzip file"),
        (gzip_records([{"userIdentity": {"type": "Root"}}]), "a record without eventTime in "),
        (gzip.compress(b'{"Root": "not a log"}'), 'not a CloudTrail log file (no "Records" list): '),
    ],
    ids=["truncated", "no-event-time", "no-records"],
)
def test_a_bad_object_fails_the_read(s3_trail: str, tmp_path: Path, body: bytes, message: str, session: Any) -> None:
    import boto3

    path = write_log(tmp_path, "123456789012", "us-east-1", "2026-11-22", "bad.json.gz", body)
    key = "logs/" + path.relative_to(tmp_path).as_posix()
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)
    register_cloudtrail_view(session, s3_trail, reader="boto3", since=date(2026, 11, 22), until=date(2026, 11, 22))
    with pytest.raises(Exception) as failure:  # noqa: PT011 - Spark's own exception classes
        session.sql(f"SELECT count(*) FROM {VIEW}").collect()
    assert message in str(failure.value)
    assert f"s3://{BUCKET}/{key}" in str(failure.value)
    assert SECRET not in str(failure.value)


@pytest.mark.moto
def test_a_bucket_listed_but_not_readable_is_an_input_error(s3_trail: str, moto_url: str, monkeypatch: pytest.MonkeyPatch, session: Any) -> None:
    """Credentials that may list the bucket but not get its objects: an InputError before any query,
    never a view of no root activity."""
    import boto3

    iam = boto3.client("iam")
    iam.create_user(UserName="lister")
    iam.put_user_policy(UserName="lister", PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        # s3:List*: moto names the listing s3:ListObjectsV2 where AWS says s3:ListBucket
        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName="lister")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    reset_auth(moto_url, "0")  # from now on moto checks every request against the caller's policies
    with pytest.raises(InputError, match=r"cannot read s3://org-trail/logs/AWSLogs/.*: AccessDenied") as failure:
        register_cloudtrail_view(session, s3_trail, since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert key["SecretAccessKey"] not in str(failure.value)
    assert "s3:GetObject" in (failure.value.hint or "")
