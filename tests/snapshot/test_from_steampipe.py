"""``rootwatch snapshot from-steampipe`` against a real PostgreSQL whose schemas stand in for
Steampipe connections: copied row for row, graded like the same rows loaded directly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rootwatch.cli.main import main
from rootwatch.schema.tables import ColumnType, load_tables
from rootwatch.snapshot.metadata import read_snapshot_info
from helpers.snapshots import grade_root

pytestmark = pytest.mark.postgres

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
A, B = "111111111111", "222222222222"


def _account_rows(account: str, connection: str, *, keys: int, regions: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Steampipe-shaped rows of one account, a little of every table the mod reads."""
    ctx = {"connection_name": connection}
    scope = {"partition": "aws", "account_id": account, "sp_connection_name": connection, "sp_ctx": ctx, "_ctx": ctx}
    glob = {**scope, "region": "global"}
    home = regions[0]
    group = f"arn:aws:logs:{home}:{account}:log-group:cloudtrail-{account}:*"
    topic = f"arn:aws:sns:{home}:{account}:root-alerts"
    report = [
        {
            **glob,
            "user_name": "<root_account>",
            "user_arn": f"arn:aws:iam::{account}:root",
            "user_creation_time": "2019-03-01T00:00:00Z",
            "generated_time": "2026-11-25T10:00:00Z",
            "password_enabled": True,
            "password_status": "used",
            "password_last_used": "2026-11-01T08:00:00Z",
            "mfa_active": True,
            "access_key_1_active": keys > 0,
            "access_key_1_last_rotated": "2024-01-10T09:00:00Z" if keys else None,
            "access_key_1_last_used_date": "2026-11-20T08:00:00Z" if keys else None,
            "access_key_2_active": False,
            "cert_1_active": False,
            "cert_2_active": False,
        }
    ] + [
        {
            **glob,
            "user_name": f"dev{n}",
            "user_arn": f"arn:aws:iam::{account}:user/dev{n}",
            "generated_time": "2026-11-25T10:00:00Z",
            "password_enabled": n % 2 == 0,
            "password_status": "used" if n % 2 == 0 else "not_set",
            "mfa_active": n % 3 == 0,
            "access_key_1_active": True,
            "access_key_1_last_rotated": "2025-06-01T00:00:00+00:00",
            "access_key_2_active": False,
            "cert_1_active": False,
            "cert_2_active": False,
        }
        for n in range(4)
    ]
    trail = {
        **scope,
        "name": "org-trail",
        "arn": f"arn:aws:cloudtrail:{home}:{account}:trail/org-trail",
        "home_region": home,
        "is_multi_region_trail": True,
        "is_logging": True,
        "is_organization_trail": False,
        "log_group_arn": group,
        "event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
        "advanced_event_selectors": None,
        "latest_delivery_time": "2026-11-25T11:55:00Z",
        "tags_src": [],
    }
    return {
        "aws_account": [{**glob, "arn": f"arn:aws:::{account}", "account_aliases": [f"alias-{account}"], "title": account, "akas": [f"arn:aws:::{account}"]}],
        "aws_iam_credential_report": report,
        "aws_iam_account_summary": [
            {**glob, "account_access_keys_present": keys, "account_mfa_enabled": True, "account_password_present": True, "users": 4, "mfa_devices": 1}
        ],
        "aws_iam_virtual_mfa_device": [
            {**glob, "serial_number": f"arn:aws:iam::{account}:mfa/root", "enable_date": "2020-01-01T00:00:00Z", "assignment_status": "Assigned", "user": {"Arn": f"arn:aws:iam::{account}:root"}}
        ],
        # A multi-region trail appears once per region (shadow copies).
        "aws_cloudtrail_trail": [{**trail, "region": region} for region in regions],
        "aws_cloudwatch_log_metric_filter": [
            {
                **scope,
                "region": home,
                "name": "root-usage",
                "log_group_name": f"cloudtrail-{account}",
                "filter_pattern": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
                "metric_transformation_name": "RootUsage",
                "metric_transformation_namespace": "CISBenchmark",
                "metric_transformation_value": "1",
                "creation_time": "2024-01-01T00:00:00Z",
            }
        ],
        "aws_cloudwatch_alarm": [
            {
                **scope,
                "region": home,
                "name": "root-usage",
                "metric_name": "RootUsage",
                "namespace": "CISBenchmark",
                "actions_enabled": True,
                "alarm_actions": [topic],
                "threshold": 1.0,
                "period": 300,
                "evaluation_periods": 1,
                "state_value": "OK",
            }
        ],
        "aws_sns_topic_subscription": [
            {**scope, "region": home, "subscription_arn": f"{topic}:1f2e", "topic_arn": topic, "protocol": "email", "endpoint": "sec@example.com", "pending_confirmation": False}
        ],
        "aws_cloudtrail_trail_event": [
            {**scope, "region": home, "log_group_name": f"cloudtrail-{account}", "timestamp": "2026-11-24T09:00:00Z", "event_name": "ConsoleLogin", "user_type": "Root", "user_identity": {"type": "Root"}},
            {**scope, "region": home, "log_group_name": f"cloudtrail-{account}", "timestamp": "2025-01-01T09:00:00Z", "event_name": "Old", "user_type": "Root"},
        ],
    }


def _rows(*parts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        for table, rows in part.items():
            merged.setdefault(table, []).extend(rows)
    return merged


ROWS_A = _account_rows(A, "aws_prod", keys=1, regions=("us-east-1", "eu-west-1", "ap-south-1"))
ROWS_B = _account_rows(B, "aws_dev", keys=0, regions=("eu-west-1", "us-east-1"))


@pytest.fixture()
def schemas(pg_dsn: str) -> Iterator[tuple[Any, list[str]]]:
    """A connection and a list to which a test appends the schemas it creates (dropped after)."""
    import psycopg

    from rootwatch.cases import drop_postgres_schema

    created: list[str] = []
    with psycopg.connect(pg_dsn) as connection:
        try:
            yield connection, created
        finally:
            connection.rollback()
            for schema in created:
                drop_postgres_schema(connection, schema)


def _schema(schemas: tuple[Any, list[str]], rows: dict[str, list[dict[str, Any]]]) -> str:
    from rootwatch.cases import postgres_schema_with_rows

    connection, created = schemas
    schema = postgres_schema_with_rows(connection, rows)
    created.append(schema)
    return schema


def _drop_column(schemas: tuple[Any, list[str]], schema: str, table: str, column: str) -> None:
    """Take ``column`` out of a schema's table, as an older plugin (or Steampipe itself) lacks it."""
    connection, _ = schemas
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}".{table} DROP COLUMN {column}')
    connection.commit()


def _run(*args: str) -> int:
    return main(["snapshot", *args, "--no-progress"])


def _normal(table: str, row: tuple, names: tuple[str, ...]) -> tuple:
    """A row with JSON parsed, so jsonb's and DuckDB's spellings of the same value compare equal."""
    types = {c.name: c.type for c in load_tables()[table].columns}
    return tuple(
        json.loads(v) if types[n] is ColumnType.JSONB and isinstance(v, str) else v for n, v in zip(names, row)
    )


def _pg_rows(connection: Any, schema: str, table: str) -> list[tuple]:
    names = load_tables()[table].column_names
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{schema}"."{table}"')
        return sorted((_normal(table, r, names) for r in cursor.fetchall()), key=repr)


def _duck_rows(path: Path, table: str) -> list[tuple]:
    names = load_tables()[table].column_names
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{table}"').fetchall()
    finally:
        con.close()
    return sorted((_normal(table, r, names) for r in rows), key=repr)


def test_one_connection_copied_row_for_row_and_graded_alike(schemas, pg_dsn: str, tmp_path: Path) -> None:
    from rootwatch.cases import duckdb_with_rows
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.engines.postgres_engine import PostgresEngine

    given = _rows(ROWS_A, ROWS_B)
    schema = _schema(schemas, given)
    out = tmp_path / "copy.duckdb"
    before = datetime.now(timezone.utc)
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "--events-days", "30", "-o", str(out)) == 0
    after = datetime.now(timezone.utc)
    connection, _ = schemas
    for table in load_tables():
        if table in ("aws_cloudtrail_trail_event",):
            continue
        assert _duck_rows(out, table) == _pg_rows(connection, schema, table), table
    # --events-days 30: only the recent event of each account's trail log group.
    assert [r[load_tables()["aws_cloudtrail_trail_event"].column_names.index("event_name")] for r in _duck_rows(out, "aws_cloudtrail_trail_event")] == [
        "ConsoleLogin",
        "ConsoleLogin",
    ]

    con = duckdb.connect(str(out), read_only=True)
    info = read_snapshot_info(con)
    con.close()
    assert info is not None and before <= info.captured_at <= after
    assert info.source == "steampipe" and schema in (info.source_detail or "")
    by_id = {a.account_id: a for a in info.accounts}
    assert set(by_id) == {A, B}
    assert by_id[A].regions == ("ap-south-1", "eu-west-1", "us-east-1")
    assert by_id[A].credential_report_generated_at == datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    assert by_id[A].source == "steampipe aws_prod" and by_id[B].source == "steampipe aws_dev"
    assert info.issues == ()

    snapshot = DuckDBEngine.open(out)
    direct = DuckDBEngine.from_connection(duckdb_with_rows(given))
    live = PostgresEngine.open(pg_dsn, search_path=schema)
    try:
        graded = grade_root(snapshot, AS_OF)
        keys = {(control, resource): status for control, resource, status, _, _ in graded}
        assert keys[("root_no_access_keys", f"arn:aws:iam::{A}:root")] == "alarm"
        assert keys[("root_no_access_keys", f"arn:aws:iam::{B}:root")] == "ok"
        assert graded == grade_root(direct, AS_OF) == grade_root(live, AS_OF)
    finally:
        for engine in (snapshot, direct, live):
            engine.close()


def test_several_connections_and_an_aggregator(schemas, pg_dsn: str, tmp_path: Path) -> None:
    schema_a = _schema(schemas, ROWS_A)
    schema_b = _schema(schemas, ROWS_B)
    connection, created = schemas
    # An aggregator is one more schema whose tables union its members'.
    aggregator = f"agg_{schema_a[-8:]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{aggregator}"')
        for table in load_tables():
            cursor.execute(
                f'CREATE VIEW "{aggregator}"."{table}" AS SELECT * FROM "{schema_a}"."{table}" UNION ALL SELECT * FROM "{schema_b}"."{table}"'
            )
    connection.commit()
    created.insert(0, aggregator)
    both = tmp_path / "both.duckdb"
    via_aggregator = tmp_path / "agg.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema_a, "--connection", schema_b, "-o", str(both)) == 0
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", aggregator, "-o", str(via_aggregator)) == 0
    for table in load_tables():
        assert _duck_rows(both, table) == _duck_rows(via_aggregator, table), table
    assert len(_duck_rows(both, "aws_iam_credential_report")) == 10
    con = duckdb.connect(str(via_aggregator), read_only=True)
    info = read_snapshot_info(con)
    con.close()
    assert info is not None and [a.account_id for a in info.accounts] == [A, B]
    # Event tables are skipped (and said so) without --events-days.
    assert {i.source.split(".")[-1] for i in info.issues if i.kind == "skipped_table"} == {
        "aws_cloudtrail_trail_event",
        "aws_cloudtrail_lookup_event",
    }


def test_default_search_path(schemas, pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    schema = _schema(schemas, ROWS_A)
    params = psycopg.conninfo.conninfo_to_dict(pg_dsn)
    params["options"] = f"-c search_path={schema}"
    monkeypatch.setenv("ROOTWATCH_DATABASE", psycopg.conninfo.make_conninfo(**params))
    out = tmp_path / "sp.duckdb"
    assert main(["snapshot", "from-steampipe", "--database", "-o", str(out), "--no-progress"]) == 0
    connection, _ = schemas
    for table in ("aws_iam_credential_report", "aws_cloudtrail_trail"):
        assert _duck_rows(out, table) == _pg_rows(connection, schema, table)
    con = duckdb.connect(str(out), read_only=True)
    assert schema in con.execute("SELECT source_detail FROM rootwatch_snapshot").fetchone()[0]
    con.close()


def test_failing_and_missing_tables_are_recorded(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    schema = _schema(schemas, ROWS_A)
    connection, _ = schemas
    with connection.cursor() as cursor:
        # A query that fails on the server, as Steampipe's does when the credential report is missing.
        cursor.execute(f'ALTER TABLE "{schema}".aws_iam_credential_report RENAME TO report_data')
        cursor.execute(
            f'CREATE VIEW "{schema}".aws_iam_credential_report AS SELECT * FROM "{schema}".report_data '
            "WHERE 1 / (CASE WHEN user_name = 'dev3' THEN 0 ELSE 1 END) = 1"
        )
        cursor.execute(f'DROP TABLE "{schema}".aws_cloudwatch_alarm')
        cursor.execute(f'DROP TABLE "{schema}".rootwatch_organizations_features')  # Steampipe never has it
    connection.commit()
    out = tmp_path / "partial.duckdb"
    code = _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out))
    err = capsys.readouterr().err
    assert code == 2, "written, with a recorded error"
    assert "division by zero" in err
    con = duckdb.connect(str(out), read_only=True)
    info = read_snapshot_info(con)
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in ("aws_iam_credential_report", "aws_account", "aws_cloudwatch_alarm")}
    con.close()
    assert counts == {"aws_iam_credential_report": 0, "aws_account": 1, "aws_cloudwatch_alarm": 0}
    kinds = {(i.kind, i.source) for i in info.issues}
    assert ("error", f"{schema}.aws_iam_credential_report") in kinds
    assert ("missing_table", f"{schema}.aws_cloudwatch_alarm") in kinds
    assert ("missing_table", f"{schema}.rootwatch_organizations_features") in kinds
    # The failed and the missing Steampipe table are not captured for the connection's account;
    # the rootwatch-only table is not (its control grades its absence itself).
    assert info.uncaptured_tables() == {A: frozenset({"aws_iam_credential_report", "aws_cloudwatch_alarm"})}


def test_missing_column_is_an_error_unless_allowed(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    schema = _schema(schemas, ROWS_A)
    _drop_column(schemas, schema, "aws_sns_topic_subscription", "pending_confirmation")
    out = tmp_path / "cols.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert f"{schema}.aws_sns_topic_subscription" in err and "'pending_confirmation'" in err and "--allow-missing-columns" in err
    assert not out.exists() and not list(tmp_path.glob(".*"))
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "--allow-missing-columns", "-o", str(out)) == 0
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*), count(pending_confirmation) FROM aws_sns_topic_subscription").fetchone() == (1, 0)
    assert con.execute("SELECT kind FROM rootwatch_snapshot_issues WHERE message LIKE '%pending_confirmation%'").fetchall() == [("missing_column",)]
    con.close()


def test_bad_endpoint_or_connection_exits_3_without_the_password(pg_dsn: str, tmp_path: Path, capsys) -> None:
    import psycopg

    out = tmp_path / "x.duckdb"
    params = psycopg.conninfo.conninfo_to_dict(pg_dsn)
    params.update(password="s3cret-pw", port="1")
    bad = psycopg.conninfo.make_conninfo(**params)
    assert _run("from-steampipe", "--database", bad, "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert "cannot connect to postgres://" in err and "s3cret-pw" not in err and ":***@" in err
    params = psycopg.conninfo.conninfo_to_dict(pg_dsn)
    params["password"] = "s3cret-pw"  # trust authentication ignores it
    assert _run("from-steampipe", "--database", psycopg.conninfo.make_conninfo(**params), "--connection", "aws_nope", "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert "--connection 'aws_nope'" in err and "s3cret-pw" not in err
    assert not out.exists()


def _fail_on_read(schemas: tuple[Any, list[str]], schema: str, table: str) -> None:
    """Make every query of ``schema.table`` fail on the server (a view dividing by zero), as a
    Steampipe table does when the AWS call behind it fails."""
    connection, _ = schemas
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}"."{table}" RENAME TO "{table}_data"')
        cursor.execute(f'CREATE VIEW "{schema}"."{table}" AS SELECT * FROM "{schema}"."{table}_data" WHERE 1 / 0 = 1')
    connection.commit()


def _info(path: Path) -> Any:
    con = duckdb.connect(str(path), read_only=True)
    try:
        info = read_snapshot_info(con)
    finally:
        con.close()
    assert info is not None
    return info


def _graded(path: Path, control: str) -> dict[str, tuple[str, str]]:
    """``control``'s (status, reason) per root user resource, graded on the snapshot."""
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.open(path)
    try:
        return {resource: (status, reason) for name, resource, status, reason, _ in grade_root(engine, AS_OF) if name == control}
    finally:
        engine.close()


def _root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def test_failed_table_is_not_captured_for_that_sources_accounts(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    """The audit's false pass: a failed virtual MFA device listing copied as an empty table read
    as "no virtual device", so root_hardware_mfa_enabled passed. Now the account of the failing
    connection grades ``skip``; the other connection's account is graded on its own rows."""
    schema_a = _schema(schemas, ROWS_A)
    schema_b = _schema(schemas, ROWS_B)
    _fail_on_read(schemas, schema_a, "aws_iam_virtual_mfa_device")
    out = tmp_path / "mfa.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema_a, "--connection", schema_b, "-o", str(out)) == 2
    assert "division by zero" in capsys.readouterr().err
    info = _info(out)
    # The per-source error stays for 'snapshot info'; the account-level issue drives the grading.
    assert ("error", None, f"{schema_a}.aws_iam_virtual_mfa_device") in {(i.kind, i.account_id, i.source) for i in info.issues}
    (issue,) = [i for i in info.issues if i.kind == "not_captured"]
    assert (issue.account_id, issue.source) == (A, "aws_iam_virtual_mfa_device")
    assert "division by zero" in issue.message
    assert info.uncaptured_tables() == {A: frozenset({"aws_iam_virtual_mfa_device"})}

    graded = _graded(out, "root_hardware_mfa_enabled")
    assert graded[_root(A)][0] == "skip"
    assert graded[_root(A)][1].startswith(f"Not assessed: the snapshot did not capture aws_iam_virtual_mfa_device for account {A}")
    assert graded[_root(B)][0] == "alarm"  # its root's virtual device was copied
    # Controls that do not read the failed table grade the account as usual.
    assert _graded(out, "root_mfa_enabled")[_root(A)][0] == "ok"


def test_failed_table_on_the_only_source_skips_the_control_on_the_cli(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    """The audit's repro end to end: from-steampipe exits 2, then 'control run' on the snapshot
    says skip for both accounts of the connection, not OK "no virtual MFA device"."""
    schema = _schema(schemas, _rows(ROWS_A, ROWS_B))
    _fail_on_read(schemas, schema, "aws_iam_virtual_mfa_device")
    out = tmp_path / "agg.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out)) == 2
    capsys.readouterr()
    assert main(["control", "run", "root_hardware_mfa_enabled", "--snapshot", str(out), "--output", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["account_id"], r["status"]) for r in rows} == {(A, "skip"), (B, "skip")}
    assert all("did not capture aws_iam_virtual_mfa_device" in r["reason"] for r in rows)


def test_missing_table_is_not_captured_but_rootwatch_only_tables_are_not(schemas, pg_dsn: str, tmp_path: Path) -> None:
    schema = _schema(schemas, ROWS_A)
    connection, _ = schemas
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{schema}".aws_iam_virtual_mfa_device')  # an old plugin, a partial copy
        cursor.execute(f'DROP TABLE "{schema}".rootwatch_organizations_features')  # Steampipe never has it
    connection.commit()
    out = tmp_path / "missing.duckdb"
    # Nothing failed: a missing table is recorded, not an error.
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out)) == 0
    info = _info(out)
    assert {(i.kind, i.source) for i in info.issues} == {
        ("missing_table", f"{schema}.aws_iam_virtual_mfa_device"),
        ("missing_table", f"{schema}.rootwatch_organizations_features"),
        ("skipped_table", f"{schema}.aws_cloudtrail_trail_event"),
        ("skipped_table", f"{schema}.aws_cloudtrail_lookup_event"),
        ("not_captured", "aws_iam_virtual_mfa_device"),
    }
    assert info.uncaptured_tables() == {A: frozenset({"aws_iam_virtual_mfa_device"})}
    assert _graded(out, "root_hardware_mfa_enabled")[_root(A)][0] == "skip"
    # The organizations control grades a missing features table itself, as on the live endpoint.
    reason = _graded(out, "organizations_centralized_root_access")[_root(A)][1]
    assert not reason.startswith("Not assessed")


def test_table_copied_from_another_source_is_captured(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    """Two connections to one account: the table that failed on one was copied whole from the
    other, so the snapshot holds the account's rows and the control grades them."""
    broken = _schema(schemas, ROWS_A)
    fine = _schema(schemas, ROWS_A)
    _fail_on_read(schemas, broken, "aws_iam_virtual_mfa_device")
    out = tmp_path / "twice.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", broken, "--connection", fine, "-o", str(out)) == 2
    capsys.readouterr()
    info = _info(out)
    assert [i.kind for i in info.issues if i.account_id] == [] and info.uncaptured_tables() == {}
    assert _graded(out, "root_hardware_mfa_enabled")[_root(A)][0] == "alarm"


def test_failed_account_table_of_one_source_of_several(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    """aws_account failing on one connection: the others are copied (exit 2); the failing
    connection's accounts are recorded as not captured, and no control grades them."""
    schema_a = _schema(schemas, ROWS_A)
    schema_b = _schema(schemas, ROWS_B)
    _fail_on_read(schemas, schema_a, "aws_account")
    out = tmp_path / "one-bad.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema_a, "--connection", schema_b, "-o", str(out)) == 2
    assert f"{schema_a}.aws_account" in capsys.readouterr().err
    info = _info(out)
    assert info.uncaptured_tables() == {A: frozenset({"aws_account"})}
    assert {resource for _, resource, _, _, _ in _graded_all(out)} == {_root(B)}


def _graded_all(path: Path) -> list[tuple]:
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.open(path)
    try:
        return grade_root(engine, AS_OF)
    finally:
        engine.close()


def test_no_account_read_at_all_exits_3_writing_nothing(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    schema = _schema(schemas, _rows(ROWS_A, ROWS_B))
    _fail_on_read(schemas, schema, "aws_account")
    out = tmp_path / "none.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert "no account could be read" in err and "division by zero" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_endpoint_without_the_mods_tables_exits_3_writing_nothing(
    schemas, pg_dsn: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default search path of a plain Postgres (``public``) has none of the tables: that used
    to write a snapshot of 0 accounts that graded "0 results" with exit 0."""
    import psycopg

    steampipe = _schema(schemas, ROWS_A)  # a schema that does hold them, suggested in the hint
    connection, created = schemas
    empty = f"plain_{steampipe[-8:]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{empty}"')
        cursor.execute(f'CREATE TABLE "{empty}".customers (id int)')
    connection.commit()
    created.append(empty)
    out = tmp_path / "plain.duckdb"

    params = psycopg.conninfo.conninfo_to_dict(pg_dsn)
    params["options"] = f"-c search_path={empty}"
    assert _run("from-steampipe", "--database", psycopg.conninfo.make_conninfo(**params), "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert f"search path '{empty}'" in err and "none of the mod's tables" in err and "Traceback" not in err
    assert "--connection" in err and steampipe in err
    assert not out.exists() and not list(tmp_path.glob(".*"))

    assert _run("from-steampipe", "--database", pg_dsn, "--connection", empty, "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert f"connection '{empty}'" in err and "none of the mod's tables" in err
    assert not out.exists()


def test_source_without_accounts_exits_3_writing_nothing(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    no_table = _schema(schemas, ROWS_A)
    empty_table = _schema(schemas, {})  # every table, no row: an aggregator matching no connection
    connection, _ = schemas
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{no_table}".aws_account')
    connection.commit()
    out = tmp_path / "x.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", no_table, "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert f"connection '{no_table}'" in err and "has no aws_account table" in err
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", no_table, "--connection", empty_table, "-o", str(out)) == 3
    capsys.readouterr()
    # With a good connection beside it, an empty one is still bad input rather than an account short.
    good = _schema(schemas, ROWS_B)
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", good, "--connection", empty_table, "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert f"connection '{empty_table}'" in err and "aws_account table is empty" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_rootwatch_only_column_is_left_null_and_graded_as_not_captured(schemas, pg_dsn: str, tmp_path: Path) -> None:
    """Steampipe's metric filter table has no dimensions column: the copy leaves it NULL without a
    word, and the snapshot grades as the live endpoint does, saying the dimensions were not seen."""
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.engines.postgres_engine import PostgresEngine
    from rootwatch.execution import missing_optional_columns

    schema = _schema(schemas, ROWS_A)
    _drop_column(schemas, schema, "aws_cloudwatch_log_metric_filter", "metric_transformation_dimensions")
    out = tmp_path / "no-dims.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out)) == 0
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*), count(metric_transformation_dimensions) FROM aws_cloudwatch_log_metric_filter").fetchone() == (1, 0)
    assert con.execute("SELECT count(*) FROM rootwatch_snapshot_issues WHERE kind = 'missing_column'").fetchone() == (0,)
    con.close()

    snapshot = DuckDBEngine.open(out)
    live = PostgresEngine.open(pg_dsn, search_path=schema)
    try:
        assert missing_optional_columns(live) == {("aws_cloudwatch_log_metric_filter", "metric_transformation_dimensions")}
        assert missing_optional_columns(snapshot) == frozenset()
        graded = [row for row in grade_root(snapshot, AS_OF) if row[0] == "root_usage_monitored"]
        assert graded == [row for row in grade_root(live, AS_OF) if row[0] == "root_usage_monitored"]
        ((_, _, status, reason, _),) = graded
        assert status == "ok" and "The dimensions of filter root-usage were not captured" in reason, reason
    finally:
        snapshot.close()
        live.close()


def test_awkward_values_arrive_exactly_with_their_types(schemas, pg_dsn: str, tmp_path: Path) -> None:
    """Rows travel as CSV (COPY ... TO STDOUT): separators, quotes, newlines, an empty string next to
    NULL, non-ASCII text, JSON strings holding quotes, timestamps with other offsets and fractions,
    doubles needing every digit and large integers must all come back as the same typed values."""
    rows = json.loads(json.dumps(ROWS_A))
    report = rows["aws_iam_credential_report"][1]
    report.update(user_name='dev,"quoted"\nnext line', password_status="", password_last_used="2026-11-01T08:00:00.123456+05:30")
    rows["aws_iam_credential_report"][2]["password_status"] = None
    alarm = rows["aws_cloudwatch_alarm"][0]
    alarm.update(name="ålarm ☃ \\N", threshold=0.1 + 0.2, period=2**62, alarm_actions=['a "quoted", \\ action\nx'])
    schema = _schema(schemas, rows)
    out = tmp_path / "awkward.duckdb"
    assert _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out)) == 0
    connection, _ = schemas
    for table in ("aws_iam_credential_report", "aws_cloudwatch_alarm"):
        assert _duck_rows(out, table) == _pg_rows(connection, schema, table), table
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("SELECT threshold, period, alarm_actions->>'$[0]' FROM aws_cloudwatch_alarm WHERE name LIKE 'ålarm%'").fetchone() == (
            0.1 + 0.2,
            2**62,
            'a "quoted", \\ action\nx',
        )
        statuses = con.execute("SELECT user_name, password_status FROM aws_iam_credential_report WHERE user_name <> '<root_account>' ORDER BY user_name").fetchall()
        assert statuses[0] == ('dev,"quoted"\nnext line', "") and statuses[1][1] is None
        assert con.execute("SELECT password_last_used FROM aws_iam_credential_report WHERE user_name LIKE 'dev,%'").fetchone() == (
            datetime(2026, 11, 1, 2, 30, 0, 123456, tzinfo=timezone.utc),
        )
    finally:
        con.close()


def test_connection_lost_mid_copy_writes_nothing(schemas, pg_dsn: str, tmp_path: Path, capsys) -> None:
    """Losing the connection while a table is copied stops the run naming the table, leaving no
    file behind (nor a temporary one), and no thread of the copy running."""
    import threading

    schema = _schema(schemas, _rows(ROWS_A, ROWS_B))
    connection, _ = schemas
    table = "aws_cloudtrail_trail"
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}"."{table}" RENAME TO "{table}_data"')
        # The server ends the very backend that reads the view, as a restarted Steampipe service does.
        cursor.execute(
            f'CREATE VIEW "{schema}"."{table}" AS SELECT * FROM "{schema}"."{table}_data" WHERE pg_terminate_backend(pg_backend_pid())'
        )
    connection.commit()
    out = tmp_path / "lost.duckdb"
    threads = threading.active_count()
    code = _run("from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out))
    err = capsys.readouterr().err
    assert code == 3, err
    assert f"lost the connection while copying {schema}.{table}" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".*"))
    assert threading.active_count() == threads, "the copying threads are gone"

