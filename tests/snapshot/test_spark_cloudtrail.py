"""CloudTrail read where it lies, on Spark: the ``aws_cloudtrail_trail_event`` view holds exactly the
rows the DuckDB snapshot builder makes of the same files, with the snapshot table's columns and types."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from helpers.cloudtrail import gzip_records
from helpers.cloudtrail_records import records
from rootwatch.cloudtrail_layout import LogObject, list_log_files
from rootwatch.engines.spark_cloudtrail import VIEW, events_view, register_cloudtrail_view
from rootwatch.schema.tables import ColumnType, table_named
from rootwatch.snapshot.cloudtrail_logs import LogFile, load_log_files

TABLE = table_named(VIEW)
ORG = "o-a1b2c3d4e5"

pytestmark = pytest.mark.spark


@pytest.fixture
def session(spark) -> Any:
    """A session of the tests' one Spark (the ``spark`` fixture's), with views of its own: the
    trail view these tests register does not reach other tests."""
    new = spark.newSession()
    new.conf.set("spark.sql.session.timeZone", "UTC")
    return new


def write_log(root: Path, account: str, region: str, day: str, name: str, body: bytes, *, org: str | None = None) -> Path:
    folder = Path(root, "AWSLogs", *([org] if org else []), account, "CloudTrail", region, *day.split("-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{account}_CloudTrail_{region}_{day.replace('-', '')}T0815Z_{name}"
    path.write_bytes(body)
    return path


@pytest.fixture(scope="module")
def trail(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trail")
    write_log(root, "123456789012", "us-east-1", "2026-11-19", "a.json.gz", gzip_records(records("123456789012")))
    write_log(root, "210987654321", "us-gov-west-1", "2026-11-20", "b.json.gz", gzip_records(records("210987654321")), org=ORG)
    # Not gzip, pretty-printed, and "Root" spelled with an escape: still read, still root.
    escaped = json.dumps({"Records": records("345678901234")[4:6]}, indent=2).replace('"type": "Root"', '"type": "\\u0052oot"')
    write_log(root, "345678901234", "eu-west-1", "2026-11-21", "c.json", escaped.encode())
    # Not a log file, though in a day folder (and mentioning Root): never read.
    write_log(root, "123456789012", "us-east-1", "2026-11-19", "notes.txt", b"Root was here, not JSON")
    # No root activity at all, and outside the window.
    write_log(root, "123456789012", "us-east-1", "2026-11-21", "d.json.gz", gzip_records(records()[6:]))
    write_log(root, "123456789012", "us-east-1", "2026-08-01", "e.json.gz", gzip_records(records()))
    return root


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
