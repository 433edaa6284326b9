"""The bundled example organisation (examples/org): it builds, holds the scenario the README's demo
shows, grades without control errors, and its root activity reads the same on both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rootwatch.cli.main import main
from rootwatch.schema.tables import ColumnType, load_tables
from helpers.snapshots import query

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "org"
MANAGEMENT, CLEAN, KEYS, NO_MFA, REMOVED = "111111111111", "222222222222", "333333333333", "444444444444", "555555555555"
STANDALONE = "666666666666"  # outside the organisation, watched by EventBridge rules of its own
AS_OF = "2026-11-20T09:00:00Z"


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rootwatch.snapshot.from_files import build_from_directory

    out = tmp_path_factory.mktemp("example") / "example.duckdb"
    build_from_directory(EXAMPLE, out)
    return out


def test_the_demo_command_builds_it(capsys, tmp_path: Path) -> None:
    out = tmp_path / "example.duckdb"
    out.write_text("an older build")
    code, stdout, stderr = run(capsys, "snapshot", "from-files", str(EXAMPLE), "-o", str(out), "--force")
    assert (code, stdout) == (0, "")
    assert stderr == f"rootwatch: wrote {out}: 6 accounts, 57 rows, 6 CloudTrail log files, captured at 2026-11-20 09:00 UTC\n"


def test_metadata(example: Path) -> None:
    assert query(example, "select captured_at::varchar, source from rootwatch_snapshot") == [("2026-11-20 09:00:00+00", "files")]
    assert query(example, "select account_id, regions::varchar from rootwatch_snapshot_accounts order by 1") == [
        (MANAGEMENT, '["eu-west-1", "us-east-1"]'), (CLEAN, '["us-east-1"]'), (KEYS, '["us-east-1"]'),
        (NO_MFA, '["us-east-1"]'), (REMOVED, '["us-east-1"]'), (STANDALONE, '["eu-west-1", "us-east-1"]')]
    assert query(example, "select count(*) from rootwatch_snapshot_issues") == [(0,)]


def test_every_table_the_mod_reads_is_filled(example: Path) -> None:
    empty = [name for name in load_tables() if query(example, f'select count(*) from "{name}"') == [(0,)]]
    assert empty == ["aws_cloudtrail_lookup_event"]  # LookupEvents is not part of the from-files layout


def test_accounts_and_organization(example: Path) -> None:
    assert query(example, "select account_id, title, organization_id, organization_master_account_id from aws_account order by 1") == [
        (MANAGEMENT, "example-management", "o-a1b2c3d4e5", MANAGEMENT), (CLEAN, "example-workloads", "o-a1b2c3d4e5", MANAGEMENT),
        (KEYS, "example-legacy", "o-a1b2c3d4e5", MANAGEMENT), (NO_MFA, "example-sandbox", "o-a1b2c3d4e5", MANAGEMENT),
        (REMOVED, "example-security", "o-a1b2c3d4e5", MANAGEMENT), (STANDALONE, "example-acquired", None, None)]
    assert query(example, "select account_id, enabled_features::varchar from rootwatch_organizations_features") == [
        (MANAGEMENT, '["RootCredentialsManagement","RootSessions"]')]
    assert query(example, "select count(*) from aws_organizations_account where account_id = '111111111111'") == [(5,)]


def test_root_credentials_scenario(example: Path) -> None:
    rows = query(example, """
        select r.account_id, r.password_enabled, r.password_status, r.mfa_active, r.access_key_1_active,
               s.account_access_keys_present, s.account_mfa_enabled, s.account_password_present
        from aws_iam_credential_report r join aws_iam_account_summary s using (account_id)
        where r.user_name = '<root_account>' order by 1""")
    assert rows == [
        (MANAGEMENT, True, "used", True, False, 0, True, True),
        (CLEAN, True, "used", True, False, 0, True, True),
        (KEYS, True, "used", True, True, 1, True, True),  # a root access key, used recently
        (NO_MFA, True, "used", False, False, 0, False, True),  # no root MFA
        (REMOVED, False, "not_set", False, False, 0, False, False),  # root credentials removed centrally
        (STANDALONE, True, "used", True, False, 0, True, True),
    ]
    # Only 333's root has a virtual MFA device; the other MFA-enabled roots use hardware.
    assert query(example, """select account_id, serial_number from aws_iam_virtual_mfa_device
                             where "user" ->> 'Arn' like '%:root' order by 1""") == [
        (KEYS, "arn:aws:iam::333333333333:mfa/root-account-mfa-device")]


def test_root_usage_chain_in_the_management_account(example: Path) -> None:
    assert query(example, """select account_id, region, is_logging, is_organization_trail from aws_cloudtrail_trail
                             order by account_id, region""") == [
        (MANAGEMENT, "eu-west-1", True, True), (MANAGEMENT, "us-east-1", True, True),
        (CLEAN, "us-east-1", None, True), (KEYS, "us-east-1", None, True), (NO_MFA, "us-east-1", None, True), (REMOVED, "us-east-1", None, True),
        (STANDALONE, "eu-west-1", True, False), (STANDALONE, "us-east-1", True, False)]
    assert query(example, "select log_group_name, metric_transformation_namespace, metric_transformation_name from aws_cloudwatch_log_metric_filter") == [
        ("aws-cloudtrail-logs-org", "CISBenchmark", "RootAccountUsageCount")]
    assert query(example, "select actions_enabled, alarm_actions::varchar from aws_cloudwatch_alarm") == [
        (True, '["arn:aws:sns:us-east-1:111111111111:root-activity-alerts"]')]
    assert query(example, "select pending_confirmation, endpoint from aws_sns_topic_subscription where account_id = '111111111111' order by 2") == [
        (True, "oncall@example.com"), (False, "security-team@example.com")]


def test_cloudtrail_root_activity_is_loaded(example: Path) -> None:
    assert query(example, """select account_id, region, event_name, user_type,
                                    user_identity ->> 'invokedBy', additional_event_data ->> 'MFAUsed'
                             from aws_cloudtrail_trail_event order by event_time""") == [
        (MANAGEMENT, "us-east-1", "AssumeRoot", "AssumedRole", None, None),
        (REMOVED, "us-east-1", "DeleteLoginProfile", "Root", None, None),
        (CLEAN, "us-east-1", "DescribeRegions", "Root", "trustedadvisor.amazonaws.com", None),
        (NO_MFA, "us-east-1", "ConsoleLogin", "Root", None, "No"),
        (NO_MFA, "us-east-1", "ConsoleLogin", "Root", None, "No"),
        (KEYS, "eu-west-1", "ListBuckets", "Root", None, None),
        (KEYS, "us-east-1", "ConsoleLogin", "Root", None, "Yes"),
    ]


def test_the_demo_benchmark_grades_without_errors(capsys, example: Path) -> None:
    code, out, err = run(capsys, "benchmark", "run", "root", "cis_v700", "--snapshot", str(example), "--mod-location", str(REPO), "--output", "json")
    assert code == 1, err  # alarms on purpose, and no control errors
    document = json.loads(out)
    statuses: dict[tuple[str, str], str] = {}

    def walk(group: dict[str, Any]) -> None:
        for control in group["controls"]:
            assert not control["run_error"], control["control_id"]
            for result in control["results"]:
                dimensions = {d["key"]: d["value"] for d in result["dimensions"]}
                statuses[(control["control_id"].rsplit(".", 1)[-1], dimensions.get("account_id"))] = result["status"]
        for child in group["groups"]:
            walk(child)

    for group in document["groups"]:
        walk(group)
    assert "error" not in statuses.values()
    assert statuses[("root_no_access_keys", KEYS)] == "alarm" and statuses[("root_no_access_keys", CLEAN)] == "ok"
    assert statuses[("root_mfa_enabled", NO_MFA)] == "alarm"
    assert statuses[("root_usage_monitored", MANAGEMENT)] == "ok"
    # Root activity alerted on: by the CIS chain everywhere in the organisation (and by the hub-and-spoke
    # EventBridge monitor too in 222 and 555); the standalone account's EventBridge rule in eu-west-1
    # targets a topic whose subscription is still pending.
    assert {a: statuses[("root_activity_alerted", a)] for a in (MANAGEMENT, CLEAN, KEYS, NO_MFA, REMOVED, STANDALONE)} == {
        MANAGEMENT: "ok", CLEAN: "ok", KEYS: "ok", NO_MFA: "ok", REMOVED: "ok", STANDALONE: "alarm"}


ACTIVITY = ["query", "run", "root_activity", "--mod-location", str(REPO), "--output", "json", "--as-of", AS_OF]


def test_root_activity_query(capsys, example: Path) -> None:
    code, out, err = run(capsys, *ACTIVITY, "--snapshot", str(example))
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["account_id"], r["event_name"], r["mfa_used"], r["credential"], r["outcome"]) for r in rows] == [
        (KEYS, "ConsoleLogin", "Yes", "password", "succeeded"),
        (KEYS, "ListBuckets", None, "root access key", "succeeded"),
        (NO_MFA, "ConsoleLogin", "No", "password", "succeeded"),
        (NO_MFA, "ConsoleLogin", "No", "password", "failed"),
        (REMOVED, "DeleteLoginProfile", None, "centralized root session", "succeeded"),
    ]  # newest first; the invokedBy call and the non-root AssumeRoot are left out


def _snapshot_rows(snapshot: Path) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        for name, table in load_tables().items():
            cursor = con.execute(f'select * from "{name}"')
            columns = [d[0] for d in cursor.description]
            rows = []
            for values in cursor.fetchall():
                row = dict(zip(columns, values, strict=True))
                for column in columns:
                    if table.column(column).type is ColumnType.JSONB and row[column] is not None:
                        row[column] = json.loads(row[column])
                rows.append(row)
            tables[name] = rows
    finally:
        con.close()
    return tables


def _on_both_engines(capsys, example: Path, pg_dsn: str, *args: str) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """``args`` run on the snapshot, then on a Postgres schema loaded with the snapshot's rows."""
    import psycopg

    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows

    on_duckdb = run(capsys, *args, "--snapshot", str(example))
    with psycopg.connect(pg_dsn) as con:
        schema = postgres_schema_with_rows(con, _snapshot_rows(example))
        try:
            on_postgres = run(capsys, *args, "--database", pg_dsn, "--search-path", schema)
        finally:
            drop_postgres_schema(con, schema)
    return on_duckdb, on_postgres


@pytest.mark.postgres
def test_root_activity_reads_the_same_on_postgres(capsys, example: Path, pg_dsn: str) -> None:
    (code_duck, on_duckdb, err), (code_pg, on_postgres, err_pg) = _on_both_engines(capsys, example, pg_dsn, *ACTIVITY)
    assert (code_duck, code_pg) == (0, 0), err + err_pg
    assert json.loads(on_postgres) == json.loads(on_duckdb)
    assert len(json.loads(on_duckdb)) == 5


def test_events_load_as_the_python_transform_reads_them(example: Path) -> None:
    from rootwatch.snapshot.cloudtrail_logs import find_log_files, log_file_rows

    files, problems = find_log_files(EXAMPLE / MANAGEMENT / "AWSLogs")
    assert problems == [] and len(files) == 6
    loaded = {row["event_id"]: row for row in _snapshot_rows(example)["aws_cloudtrail_trail_event"]}
    expected = {row["event_id"]: row for f in files for row in log_file_rows(f)}
    assert sorted(loaded) == sorted(expected)
    for event_id, want in expected.items():
        got = loaded[event_id]
        differing = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        assert not differing, f"event {event_id}: {differing}"


def _graded(document: dict) -> list[tuple]:
    """(group path, control, resource, status, reason, dimensions) of every result in a JSON export."""
    found: list[tuple] = []

    def walk(group: dict, path: str) -> None:
        for control in group["controls"]:
            found.extend(
                (path, control["control_id"], r["resource"], r["status"], r["reason"], json.dumps(r["dimensions"]))
                for r in control["results"]
            )
            if control["run_error"]:
                found.append((path, control["control_id"], control["run_error"]))
        for child in group["groups"]:
            walk(child, f"{path}/{child['group_id']}")

    walk(document, "")
    return sorted(found)


@pytest.mark.postgres
def test_every_benchmark_grades_the_same_on_postgres(capsys, example: Path, pg_dsn: str) -> None:
    """The whole example organisation, every benchmark of the mod, through the command line on
    both engines: the same graded rows, down to the reasons."""
    benchmarks = ["root", *sorted(b for b in _benchmark_ids() if b.startswith("cis_"))]
    common = ("benchmark", "run", *benchmarks, "--output", "json", "--as-of", AS_OF, "--no-progress")
    (code_duck, on_duckdb, err), (code_pg, on_postgres, err_pg) = _on_both_engines(capsys, example, pg_dsn, *common)
    assert (code_duck, code_pg) == (1, 1), err + err_pg
    duck, pg = _graded(json.loads(on_duckdb)), _graded(json.loads(on_postgres))
    assert len(duck) > 600
    assert pg == duck


def _benchmark_ids() -> list[str]:
    from rootwatch.mod.loader import load_mod

    return list(load_mod(REPO).benchmarks)


def test_accounts_are_named_for_people(example: Path) -> None:
    """Organizations names (the management account's ListAccounts) are looked up once per run."""
    from rootwatch.accounts import account_names, display_account
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.open(example)
    try:
        names = account_names(engine, engine.default_as_of())
    finally:
        engine.close()
    assert names == {
        MANAGEMENT: "example-management", CLEAN: "example-workloads", KEYS: "example-legacy",
        NO_MFA: "example-sandbox", REMOVED: "example-security", STANDALONE: "example-acquired",
    }
    assert display_account(KEYS, names) == "333333333333 (example-legacy)"
    assert display_account("999999999999", names) == "999999999999"
