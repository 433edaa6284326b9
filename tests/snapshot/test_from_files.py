"""``rootwatch snapshot from-files`` end to end on real files in temporary folders: what it writes,
exact messages and exit codes for bad input, nothing written on failure, --skip-bad-files."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from rootwatch.cli.main import main
from helpers.snapshots import query

ACCOUNT = "123456789012"
HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,"
    "access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,"
    "cert_2_last_rotated"
)
NO_KEYS = "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
ROOT = f"<root_account>,arn:aws:iam::{ACCOUNT}:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-19T08:12:33+00:00,not_supported,not_supported,true,{NO_KEYS}"
ALICE = f"alice,arn:aws:iam::{ACCOUNT}:user/alice,2022-01-10T09:00:00+00:00,true,no_information,2022-01-10T09:00:00+00:00,N/A,false,{NO_KEYS}"
REPORT = f"{HEADER}\n{ROOT}\n{ALICE}\n"
TRAIL = {"Name": "main", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main", "HomeRegion": "us-east-1",
         "IsMultiRegionTrail": True, "IsOrganizationTrail": False, "S3BucketName": "trail-bucket",
         "CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:ct:*"}
ROOT_LOGIN = {"eventTime": "2026-11-19T08:12:33Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
              "eventID": "e1", "userIdentity": {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}}
LOG_KEY = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/19/{ACCOUNT}_CloudTrail_us-east-1_20261119T0815Z_a1.json.gz"


def dump(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


@pytest.fixture()
def org(tmp_path: Path) -> Path:
    root = tmp_path / "capture"
    account = root / ACCOUNT
    dump(account / "get-credential-report.json", {"Content": base64.b64encode(REPORT.encode()).decode(),
                                                  "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T08:41:12+00:00"})
    dump(account / "get-account-summary.json", {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountPasswordPresent": 1, "AccountSigningCertificatesPresent": 0}})
    dump(account / "list-virtual-mfa-devices.json", {"VirtualMFADevices": []})
    dump(account / "describe-organization.json", {"Organization": {"Id": "o-a1b2c3d4e5", "MasterAccountId": "999999999999"}})
    (account / "README.md").write_text("notes are ignored\n")
    east = account / "us-east-1"
    dump(east / "describe-trails.json", {"trailList": [TRAIL]})
    dump(east / "get-trail-status" / "main.json", {"IsLogging": True, "StartLoggingTime": "2024-03-04T10:12:40.066000+00:00"})
    dump(east / "get-event-selectors" / "main.json", {"TrailARN": TRAIL["TrailARN"], "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]})
    dump(east / "describe-metric-filters.json", {"metricFilters": [{"filterName": "root", "logGroupName": "ct", "filterPattern": "{ $.userIdentity.type = \"Root\" }",
                                                                    "creationTime": 1709547600000, "metricTransformations": [{"metricName": "Root", "metricNamespace": "CIS", "metricValue": "1"}]}]})
    dump(east / "describe-alarms.json", {"MetricAlarms": [{"AlarmName": "root", "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:root",
                                                           "ActionsEnabled": True, "AlarmActions": [f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"]}]})
    dump(east / "list-subscriptions.json", {"Subscriptions": [{"SubscriptionArn": "PendingConfirmation", "TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"}]})
    dump(account / "eu-west-1" / "describe-alarms.json", {"MetricAlarms": []})
    # Captured and empty (a missing list would be recorded as not captured for the region).
    dump(account / "eu-west-1" / "describe-trails.json", {"trailList": []})
    dump(account / "eu-west-1" / "list-subscriptions.json", {"Subscriptions": []})
    for region in ("us-east-1", "eu-west-1"):  # captured, and empty: no EventBridge rule there
        dump(account / region / "list-rules.json", {"Rules": []})
    log = root / LOG_KEY
    log.parent.mkdir(parents=True)
    log.write_bytes(gzip.compress(json.dumps({"Records": [ROOT_LOGIN]}).encode()))
    return root


@pytest.fixture()
def run_cli(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(["snapshot", "from-files", *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        out, err = capsys.readouterr()
        return code, out, err

    return run


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_builds_every_table_from_the_layout(run_cli, org: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    code, stdout, stderr = run_cli(str(org), "-o", str(out))
    assert (code, stdout) == (0, "")
    assert stderr == f"rootwatch: wrote {out}: 1 account, 10 rows, 1 CloudTrail log file, captured at 2026-11-20 08:41:12 UTC\n"
    counts = dict(query(out, """
        select 'report', count(*) from aws_iam_credential_report union all
        select 'summary', count(*) from aws_iam_account_summary union all
        select 'trails', count(*) from aws_cloudtrail_trail union all
        select 'filters', count(*) from aws_cloudwatch_log_metric_filter union all
        select 'alarms', count(*) from aws_cloudwatch_alarm union all
        select 'subscriptions', count(*) from aws_sns_topic_subscription union all
        select 'events', count(*) from aws_cloudtrail_trail_event union all
        select 'accounts', count(*) from aws_account"""))
    assert counts == {"report": 2, "summary": 1, "trails": 2, "filters": 1, "alarms": 1, "subscriptions": 1, "events": 1, "accounts": 1}
    # The multi-region trail is in both regions of the account, with the home region's status.
    assert query(out, "select region, is_logging, event_selectors::varchar from aws_cloudtrail_trail order by region") == [
        ("eu-west-1", True, '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'),
        ("us-east-1", True, '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'),
    ]
    assert query(out, "select user_name, password_enabled, password_status, generated_time::varchar from aws_iam_credential_report order by 1") == [
        ("<root_account>", True, "used", "2026-11-20 08:41:12+00"), ("alice", True, "never_used", "2026-11-20 08:41:12+00")]
    assert query(out, "select organization_id, organization_master_account_id, partition, sp_connection_name from aws_account") == [
        ("o-a1b2c3d4e5", "999999999999", "aws", f"aws_{ACCOUNT}")]
    assert query(out, "select user_type, log_stream_name from aws_cloudtrail_trail_event") == [("Root", LOG_KEY)]
    assert query(out, "select source, source_detail, captured_at::varchar from rootwatch_snapshot") == [
        ("files", str(org), "2026-11-20 08:41:12+00")]
    assert query(out, "select account_id, regions::varchar, credential_report_generated_at::varchar, source from rootwatch_snapshot_accounts") == [
        (ACCOUNT, '["eu-west-1", "us-east-1"]', "2026-11-20 08:41:12+00", f"files: {ACCOUNT}")]
    assert query(out, "select count(*) from rootwatch_snapshot_issues") == [(0,)]
    assert leftovers(tmp_path) == []


def test_capture_time_from_option_then_capture_file(run_cli, org: Path, tmp_path: Path) -> None:
    dump(org / "capture.json", {"captured_at": "2026-11-21T07:00:00Z"})
    out = tmp_path / "snap.duckdb"
    assert run_cli(str(org), "-o", str(out))[0] == 0
    assert query(out, "select captured_at::varchar from rootwatch_snapshot") == [("2026-11-21 07:00:00+00",)]
    assert run_cli(str(org), "-o", str(out), "--force", "--captured-at", "2026-11-22")[0] == 0
    assert query(out, "select captured_at::varchar from rootwatch_snapshot") == [("2026-11-22 00:00:00+00",)]
    code, _, err = run_cli(str(org), "-o", str(out), "--force", "--captured-at", "yesterday")
    assert (code, err) == (3, "rootwatch: error: --captured-at 'yesterday' is not an ISO 8601 date or timestamp\n"
                              "  hint: for example --captured-at 2026-11-25T09:30:00Z\n")


def _truncate_log(org: Path) -> Path:
    log = org / LOG_KEY
    log.write_bytes(log.read_bytes()[:-10])
    return log


def _bad_summary(org: Path) -> Path:
    path = org / ACCOUNT / "get-account-summary.json"
    path.write_text('{\n  "SummaryMap": {\n    "AccountMFAEnabled": 1,\n  }\n}\n')
    return path


def _short_header(org: Path) -> Path:
    (org / ACCOUNT / "get-credential-report.json").unlink()
    path = org / ACCOUNT / "credential-report.csv"
    path.write_text(REPORT.replace(",mfa_active", ""))
    return path


def _unknown_sentinel(org: Path) -> Path:
    (org / ACCOUNT / "get-credential-report.json").unlink()
    path = org / ACCOUNT / "credential-report.csv"
    path.write_text(REPORT.replace("no_information", "never"))
    return path


def _unknown_name(org: Path) -> Path:
    return dump(org / ACCOUNT / "get-acount-summary.json", {})


def _regional_at_account_level(org: Path) -> Path:
    return dump(org / ACCOUNT / "describe-trails.json", {"trailList": []})


def _status_of_unknown_trail(org: Path) -> Path:
    return dump(org / ACCOUNT / "us-east-1" / "get-trail-status" / "mian.json", {"IsLogging": True})


def _bad_trail_list(org: Path) -> Path:
    # Its trail's per-trail files are then not reported as orphans as well.
    return dump(org / ACCOUNT / "us-east-1" / "describe-trails.json", {"trailList": {"Name": "main"}})


def _bad_value(org: Path) -> Path:
    return dump(org / ACCOUNT / "us-east-1" / "describe-alarms.json", {"MetricAlarms": [{"AlarmName": "a", "AlarmArn": "arn:x", "Period": "300"}]})


def _bad_trail_status(org: Path) -> Path:
    # The trail is listed in two regions: the bad status must be blamed on its own file, not on
    # both describe-trails.json files it joins (which --skip-bad-files would then drop).
    dump(org / ACCOUNT / "eu-west-1" / "describe-trails.json", {"trailList": [TRAIL]})
    return dump(org / ACCOUNT / "us-east-1" / "get-trail-status" / "main.json", {"IsLogging": "maybe"})


def _bad_event_selectors(org: Path) -> Path:
    return dump(org / ACCOUNT / "us-east-1" / "get-event-selectors" / "main.json",
                {"TrailARN": TRAIL["TrailARN"], "EventSelectors": {"ReadWriteType": "All"}})


def _json_report(text: str) -> dict[str, str]:
    return {"Content": base64.b64encode(text.encode()).decode(), "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T08:41:12+00:00"}


def _bad_json_report(org: Path) -> Path:
    return dump(org / ACCOUNT / "get-credential-report.json", _json_report(REPORT.replace("no_information", "never")))


REPORT_COLUMNS = ", ".join(HEADER.split(","))
BAD_INPUTS = {
    "truncated_gzip": (_truncate_log, None, "not a complete gzip file (incomplete or truncated stream); re-download it"),
    "invalid_json": (_bad_summary, 4, "invalid JSON at column 3: Expecting property name enclosed in double quotes"),
    "csv_missing_column": (_short_header, 1, f"the header lacks column mfa_active (an IAM credential report has these 22 columns: {REPORT_COLUMNS})"),
    "unknown_sentinel": (_unknown_sentinel, 3, "column password_last_used: unknown value 'never' (expected an ISO 8601 timestamp or N/A or no_information)"),
    "unknown_file_name": (_unknown_name, None, "unknown name in an account folder (expected get-credential-report.json, credential-report.csv, "
                          "get-account-summary.json, list-virtual-mfa-devices.json, list-organizations-features.json, list-account-aliases.json, "
                          "get-caller-identity.json, describe-organization.json, list-accounts.json, <region>/ or AWSLogs/)"),
    "regional_file_misplaced": (_regional_at_account_level, None, f"describe-trails.json is regional: put it in a region folder, e.g. {ACCOUNT}/us-east-1/describe-trails.json"),
    "per_trail_file_without_trail": (_status_of_unknown_trail, None, "no trail named mian with home region us-east-1 in this account's describe-trails.json files"),
    "bad_trail_list": (_bad_trail_list, None, "describe-trails: trailList must be a list"),
    "bad_value": (_bad_value, None, "MetricAlarms[0].Period: expected an integer, got '300'"),
    "bad_trail_status": (_bad_trail_status, None, "IsLogging: expected true or false, got 'maybe'"),
    "bad_event_selectors": (_bad_event_selectors, None, "EventSelectors: expected a list, got dict"),
    # The line is the decoded CSV's, not the JSON file's: said in words, not as path:line.
    "json_report_bad_value": (_bad_json_report, None, "report line 3: column password_last_used: unknown value 'never' "
                              "(expected an ISO 8601 timestamp or N/A or no_information)"),
}
HINT = "  hint: fix or remove the bad file, or pass --skip-bad-files to build without it (each is then recorded in the snapshot's metadata)\n"


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stops_with_file_and_line_and_writes_nothing(run_cli, org: Path, tmp_path: Path, case: str) -> None:
    spoil, line, message = BAD_INPUTS[case]
    bad = spoil(org)
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"the previous snapshot")
    code, stdout, stderr = run_cli(str(org), "-o", str(out), "--force")
    where = f"{bad}:{line}" if line else str(bad)
    assert (code, stdout, stderr) == (3, "", f"rootwatch: error: {where}: {message}\n{HINT}")
    assert out.read_bytes() == b"the previous snapshot"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_skip_bad_files_builds_the_rest_and_records_each(run_cli, org: Path, tmp_path: Path, case: str) -> None:
    spoil, line, message = BAD_INPUTS[case]
    bad = spoil(org)
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli(str(org), "-o", str(out), "--skip-bad-files")
    assert code == 0, stderr
    where = f"{bad}:{line}" if line else str(bad)
    assert stderr.splitlines()[1:] == [f"rootwatch: skipped {where}: {message}"]
    relative = bad.relative_to(org).as_posix() + (f":{line}" if line else "")
    parts = bad.relative_to(org).parts
    # A log file's account and region are its key's: AWSLogs/<account>/CloudTrail/<region>/...
    region_part = parts[3] if parts[0] == "AWSLogs" else parts[1]
    region = region_part if region_part in ("us-east-1", "eu-west-1") else None
    # A skipped account summary is also evidence not captured (the controls needing it then skip).
    # So is a skipped trail list, for its region.
    uncaptured = {
        "get-account-summary.json": [("not_captured", ACCOUNT, None, "aws_iam_account_summary",
                                      f"{ACCOUNT}/get-account-summary.json: skipped as a bad file")],
        "describe-trails.json": [("not_captured", ACCOUNT, region, "aws_cloudtrail_trail",
                                  f"{relative}: skipped as a bad file")],
    }
    # The line is in the source (path:line) only, not repeated in the message.
    assert query(out, "select kind, account_id, region, source, message from rootwatch_snapshot_issues order by kind desc") == [
        ("skipped_file", ACCOUNT, region, relative, message), *uncaptured.get(bad.name if (bad.name == "describe-trails.json") == bool(region) else "", [])]
    assert query(out, "select count(*) from aws_account") == [(1,)]


def test_every_bad_file_is_named_at_once(run_cli, org: Path, tmp_path: Path) -> None:
    summary, unknown = _bad_summary(org), _unknown_name(org)
    code, _, stderr = run_cli(str(org), "-o", str(tmp_path / "s.duckdb"))
    assert code == 3
    assert stderr.splitlines()[:3] == [
        "rootwatch: error: 2 bad input files:",
        f"  {unknown}: " + BAD_INPUTS["unknown_file_name"][2],
        f"  {summary}:4: " + BAD_INPUTS["invalid_json"][2],
    ]
    assert stderr.splitlines()[3].startswith("  hint: fix or remove the bad files, or pass --skip-bad-files to build without them")


def test_existing_output_needs_force(run_cli, org: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    out.write_text("keep me")
    code, _, stderr = run_cli(str(org), "-o", str(out))
    assert (code, stderr) == (3, f"rootwatch: error: {out} exists\n  hint: pass --force to replace it\n")
    assert out.read_text() == "keep me"


def test_usage_errors(run_cli, org: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "s.duckdb")
    assert run_cli("-o", out)[1:] == ("", "rootwatch: error: nothing to read: give DIR (a from-files folder) or --credential-report FILE\n")
    assert run_cli(str(org), "--credential-report", "r.csv", "-o", out)[2] == "rootwatch: error: give DIR or --credential-report, not both\n"
    code, _, err = run_cli(str(tmp_path / "missing"), "-o", out)
    assert (code, err.splitlines()[0]) == (3, f"rootwatch: error: {tmp_path / 'missing'} is not a directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(str(empty), "-o", out)
    assert (code, err.splitlines()[0]) == (3, f"rootwatch: error: {empty}: no account folders (named by 12-digit account id) and no AWSLogs/ folder")
    code, _, err = run_cli(str(org))
    assert code == 3 and "the following arguments are required: -o/--out" in err


def test_partition_from_caller_identity_and_org_trail_seen_from_member(run_cli, org: Path, tmp_path: Path) -> None:
    dump(org / ACCOUNT / "get-caller-identity.json", {"UserId": "AIDA", "Account": ACCOUNT, "Arn": f"arn:aws-us-gov:iam::{ACCOUNT}:user/auditor"})
    member = "210987654321"
    dump(org / member / "us-east-1" / "describe-trails.json", {"trailList": [{**TRAIL, "IsOrganizationTrail": True}]})
    out = tmp_path / "snap.duckdb"
    assert run_cli(str(org), "-o", str(out))[0] == 0
    assert query(out, "select account_id, partition from aws_account order by 1") == [(ACCOUNT, "aws-us-gov"), (member, "aws")]
    assert query(out, f"select region, is_logging, event_selectors from aws_cloudtrail_trail where account_id = '{member}'") == [
        ("us-east-1", None, None)]


def test_caller_identity_of_another_account_is_a_bad_file(run_cli, org: Path, tmp_path: Path) -> None:
    path = dump(org / ACCOUNT / "get-caller-identity.json", {"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/x"})
    code, _, err = run_cli(str(org), "-o", str(tmp_path / "s.duckdb"))
    assert (code, err.splitlines()[0]) == (3, f"rootwatch: error: {path}: Account '999999999999' is not the folder's account {ACCOUNT}")


# -- the auditor's case: one credential report --------------------------------------------------


def test_credential_report_csv_alone(run_cli, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text(REPORT)
    out = tmp_path / "snap.duckdb"
    code, _, err = run_cli("--credential-report", str(report), "--account-id", ACCOUNT, "-o", str(out), "--captured-at", "2026-11-20T09:00:00Z")
    assert (code, err) == (0, f"rootwatch: wrote {out}: 1 account, 3 rows, 0 CloudTrail log files, captured at 2026-11-20 09:00 UTC\n")
    assert query(out, "select user_name, generated_time::varchar, account_id from aws_iam_credential_report order by 1") == [
        ("<root_account>", "2026-11-20 09:00:00+00", ACCOUNT), ("alice", "2026-11-20 09:00:00+00", ACCOUNT)]
    assert query(out, "select account_id, arn from aws_account") == [(ACCOUNT, f"arn:aws:::{ACCOUNT}")]
    assert query(out, "select source, source_detail from rootwatch_snapshot") == [("files", str(report))]


def test_credential_report_json_alone_takes_the_account_from_the_report(run_cli, org: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    assert run_cli("--credential-report", str(org / ACCOUNT / "get-credential-report.json"), "-o", str(out))[0] == 0
    assert query(out, "select account_id, captured_at::varchar from rootwatch_snapshot_accounts") == [(ACCOUNT, "2026-11-20 08:41:12+00")]


def test_credential_report_csv_without_time_uses_file_time(run_cli, tmp_path: Path) -> None:
    import os

    report = tmp_path / "report.csv"
    report.write_text(REPORT)
    os.utime(report, (1795075953, 1795075953))  # 2026-11-19T08:12:33Z
    out = tmp_path / "snap.duckdb"
    assert run_cli("--credential-report", str(report), "-o", str(out))[0] == 0
    assert query(out, "select distinct generated_time::varchar from aws_iam_credential_report") == [("2026-11-19 08:12:33+00",)]
    assert query(out, "select captured_at::varchar from rootwatch_snapshot") == [("2026-11-19 08:12:33+00",)]


def test_credential_report_of_another_account(run_cli, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text(REPORT)
    code, _, err = run_cli("--credential-report", str(report), "--account-id", "999999999999", "-o", str(tmp_path / "s.duckdb"))
    assert (code, err) == (3, f"rootwatch: error: {report}: the root user is of account {ACCOUNT}, not --account-id 999999999999\n"
                              "  hint: check that this is the right report, or drop --account-id to take the report's account\n")
    users_only = tmp_path / "users.csv"
    users_only.write_text(f"{HEADER}\n{ALICE}\n")
    code, _, err = run_cli("--credential-report", str(users_only), "-o", str(tmp_path / "s.duckdb"))
    assert (code, err) == (3, f"rootwatch: error: {users_only} has no root user row to take the account from\n  hint: pass --account-id\n")


def test_bad_credential_report_alone(run_cli, tmp_path: Path) -> None:
    """No --skip-bad-files hint: skipping the only file would leave nothing to build."""
    report = tmp_path / "report.csv"
    report.write_text(REPORT.replace("no_information", "never"))
    out = tmp_path / "snap.duckdb"
    code, _, err = run_cli("--credential-report", str(report), "--account-id", ACCOUNT, "-o", str(out))
    assert (code, err) == (3, f"rootwatch: error: {report}:3: column password_last_used: unknown value 'never' "
                              "(expected an ISO 8601 timestamp or N/A or no_information)\n")
    assert not out.exists() and leftovers(tmp_path) == []
    as_json = tmp_path / "report.json"
    dump(as_json, _json_report(REPORT.replace("no_information", "never")))
    code, _, err = run_cli("--credential-report", str(as_json), "-o", str(out))
    assert (code, err) == (3, f"rootwatch: error: {as_json}: report line 3: column password_last_used: unknown value 'never' "
                              "(expected an ISO 8601 timestamp or N/A or no_information)\n")
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(("name", "content"), [
    ("gcr.txt", json.dumps(_json_report(REPORT))),                              # JSON under another name
    ("report", "\ufeff\n  " + json.dumps(_json_report(REPORT), indent=2)),     # BOM and blank lines first
    ("report.json", REPORT),                                                    # the decoded CSV named .json
])
def test_credential_report_is_told_json_or_csv_by_content(run_cli, tmp_path: Path, name: str, content: str) -> None:
    report = tmp_path / name
    report.write_text(content, encoding="utf-8")
    out = tmp_path / "snap.duckdb"
    code, _, err = run_cli("--credential-report", str(report), "-o", str(out), "--captured-at", "2026-11-21T00:00:00Z")
    assert code == 0, err
    assert query(out, "select account_id, count(*) from aws_iam_credential_report group by 1") == [(ACCOUNT, 2)]
    generated = "2026-11-21 00:00:00+00" if content.startswith("user,") else "2026-11-20 08:41:12+00"
    assert query(out, "select distinct generated_time::varchar from aws_iam_credential_report") == [(generated,)]


def test_credential_report_alone_grades_what_it_holds_and_skips_the_rest(run_cli, tmp_path: Path, capsys) -> None:
    """Tables a report alone cannot fill are recorded as not captured: the controls that need them
    skip the account instead of alarming on "no trail" or passing on "no virtual MFA device"."""
    import csv
    import io

    report = tmp_path / "report.csv"
    report.write_text(REPORT)
    out = tmp_path / "snap.duckdb"
    assert run_cli("--credential-report", str(report), "-o", str(out), "--captured-at", "2026-11-20T09:00:00Z")[0] == 0
    assert ("not_captured", ACCOUNT, "aws_iam_virtual_mfa_device") in query(
        out, "select kind, account_id, source from rootwatch_snapshot_issues")
    code = main(["benchmark", "run", "root", "--snapshot", str(out), "--output", "csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    graded = {row["control_id"].removeprefix("rootwatch.control."): row["status"] for row in rows}
    assert (code, graded) == (1, {
        "credential_report_fresh": "ok",
        "root_no_access_keys": "ok",
        "root_no_signing_certificates": "ok",
        "root_mfa_enabled": "ok",
        "root_mfa_enabled_or_no_password": "ok",
        "root_not_used_recently": "alarm",
        "root_hardware_mfa_enabled": "skip",
        "cloudtrail_enabled_all_regions": "skip",
        "root_usage_monitored": "skip",
        "root_activity_alerted": "skip",
        "organizations_centralized_root_access": "skip",
    })
    hardware = next(row for row in rows if row["control_id"].endswith(".root_hardware_mfa_enabled"))
    assert hardware["reason"] == (
        f"Not assessed: the snapshot did not capture aws_iam_virtual_mfa_device for account {ACCOUNT}, so "
        "root_hardware_mfa_enabled cannot grade it; rebuild the snapshot with that evidence "
        "(rootwatch snapshot from-aws, or from-files with the account's AWS CLI outputs).")


def test_credential_report_alone_without_mfa_alarms_on_hardware_mfa(run_cli, tmp_path: Path, capsys) -> None:
    """No MFA at all cannot be hardware MFA, with or without the virtual MFA device list: the alarm
    stands (alarms_stand_without), as the organisation snapshot grades it; the alias names the account."""
    import csv
    import io

    report = tmp_path / "report.csv"
    report.write_text(REPORT.replace("not_supported,true,", "not_supported,false,", 1))
    out = tmp_path / "snap.duckdb"
    code, _, err = run_cli(
        "--credential-report", str(report), "--account-alias", "prod-payments", "-o", str(out), "--captured-at", "2026-11-20T09:00:00Z"
    )
    assert code == 0, err
    main(["control", "run", "root_hardware_mfa_enabled", "--snapshot", str(out), "--output", "csv"])
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert (row["status"], row["account_name"]) == ("alarm", "prod-payments")
    assert row["reason"].startswith("Root user has no MFA at all")
    assert run_cli("examples", "--account-alias", "x", "-o", str(tmp_path / "x.duckdb"))[2] == (
        "rootwatch: error: --account-alias goes with --credential-report\n"
        "  hint: in DIR, put each account's list-account-aliases.json in its folder\n"
    )


def _more_logs(org: Path, count: int) -> list[Path]:
    """``count`` more root log files beside the fixture's, one record each."""
    paths = []
    for n in range(count):
        record = {**ROOT_LOGIN, "eventID": f"extra-{n}", "eventTime": f"2026-11-19T09:{n:02d}:00Z"}
        path = org / LOG_KEY.replace("_a1.json.gz", f"_x{n}.json.gz")
        path.write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
        paths.append(path)
    return paths


def test_logs_load_in_worker_processes_and_a_bad_file_is_named_or_skipped(run_cli, org: Path, tmp_path: Path, monkeypatch) -> None:
    """Worker processes read the files and the records go in a batch per file; a bad file still
    stops the build (with every bad file named, whichever batch holds it) or, skipping, leaves out
    only itself."""
    from rootwatch.snapshot import cloudtrail_logs

    monkeypatch.setattr(cloudtrail_logs, "PARALLEL_MIN_BYTES", 0)  # two workers however small the logs
    monkeypatch.setattr(cloudtrail_logs, "BATCH_BYTES", 1)  # a batch per file
    extra = _more_logs(org, 4)
    out = tmp_path / "snap.duckdb"
    assert run_cli(str(org), "-o", str(out))[0] == 0
    assert query(out, "select count(*) from aws_cloudtrail_trail_event") == [(5,)]

    truncated = sorted(extra)[-1]
    truncated.write_bytes(truncated.read_bytes()[:20])
    stray = sorted(extra)[0]
    stray.write_bytes(gzip.compress(b'{"Records": [}'))
    code, _, stderr = run_cli(str(org), "-o", str(out), "--force")
    assert code == 3 and stderr.startswith("rootwatch: error: 2 bad input files:\n")
    assert query(out, "select count(*) from aws_cloudtrail_trail_event") == [(5,)]  # the old file stands

    code, _, stderr = run_cli(str(org), "-o", str(out), "--force", "--skip-bad-files")
    assert code == 0, stderr
    assert query(out, "select count(*) from aws_cloudtrail_trail_event") == [(3,)]
    assert sorted(p for (p,) in query(out, "select source from rootwatch_snapshot_issues where kind = 'skipped_file'")) == sorted(
        p.relative_to(org).as_posix() + suffix for p, suffix in ((truncated, ""), (stray, ":1")))


def test_missing_evidence_files_are_recorded_as_not_captured(run_cli, org: Path, tmp_path: Path, capsys) -> None:
    """No list-virtual-mfa-devices.json is not "no virtual device": hardware MFA skips the account."""
    (org / ACCOUNT / "list-virtual-mfa-devices.json").unlink()
    out = tmp_path / "snap.duckdb"
    assert run_cli(str(org), "-o", str(out))[0] == 0
    assert query(out, "select kind, account_id, source, message from rootwatch_snapshot_issues") == [
        ("not_captured", ACCOUNT, "aws_iam_virtual_mfa_device", f"{ACCOUNT}/list-virtual-mfa-devices.json: no such file")]
    import csv
    import io

    main(["control", "run", "root_hardware_mfa_enabled", "root_mfa_enabled", "--snapshot", str(out), "--output", "csv"])
    rows = {row["control_id"].rsplit(".", 1)[1]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["root_hardware_mfa_enabled"]["status"] == "skip"
    assert rows["root_hardware_mfa_enabled"]["reason"].startswith("Not assessed: the snapshot did not capture aws_iam_virtual_mfa_device")
    assert rows["root_mfa_enabled"]["status"] == "ok"


# -- per-trail files, AWS CLI v1 timestamps, every bad file at once, metadata -----------------------


@pytest.mark.parametrize(("spoil", "missing"), [
    (_bad_trail_status, "has no captured logging status (aws cloudtrail get-trail-status --name main)"),
    (_bad_event_selectors, "has no captured event selectors (aws cloudtrail get-event-selectors --trail-name main)"),
])
def test_a_skipped_per_trail_file_leaves_its_trail_undecided_not_missing(run_cli, org: Path, tmp_path: Path, capsys,
                                                                          spoil, missing: str) -> None:
    """Skipping a bad status or selectors file keeps the trail (listed by good describe-trails.json
    files): its status or selectors are NULL, read as not captured, so CloudTrail is error
    (cannot decide), not an alarm on "No CloudTrail trail"."""
    import csv
    import io

    dump(org / ACCOUNT / "eu-west-1" / "describe-trails.json", {"trailList": [TRAIL]})
    bad = spoil(org)
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli(str(org), "-o", str(out), "--skip-bad-files")
    assert code == 0, stderr
    assert query(out, "select source from rootwatch_snapshot_issues") == [(bad.relative_to(org).as_posix(),)]
    status_lost = bad.parent.name == "get-trail-status"
    assert query(out, "select region, is_logging, event_selectors is null from aws_cloudtrail_trail order by 1") == [
        ("eu-west-1", None if status_lost else True, not status_lost),
        ("us-east-1", None if status_lost else True, not status_lost)]
    main(["control", "run", "cloudtrail_enabled_all_regions", "--snapshot", str(out), "--output", "csv"])
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["status"] == "error"
    assert row["reason"] == (f"Trail main (home region us-east-1) {missing}; cannot tell whether account {ACCOUNT} "
                             "records all management events in all regions.")


def test_epoch_seconds_of_aws_cli_v1(run_cli, org: Path, tmp_path: Path) -> None:
    """AWS CLI v1 prints the timestamps of JSON-protocol services (CloudTrail, Organizations) as epoch seconds."""
    dump(org / ACCOUNT / "us-east-1" / "get-trail-status" / "main.json",
         {"IsLogging": True, "LatestDeliveryTime": 1763625300.123, "StartLoggingTime": 1709547160})
    dump(org / ACCOUNT / "list-accounts.json", {"Accounts": [{"Id": ACCOUNT, "Name": "prod", "Status": "ACTIVE",
                                                              "JoinedTimestamp": 1546300800}]})
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli(str(org), "-o", str(out))
    assert code == 0, stderr
    assert query(out, "select distinct latest_delivery_time::varchar, start_logging_time::varchar from aws_cloudtrail_trail") == [
        ("2025-11-20 07:55:00.123+00", "2024-03-04 10:12:40+00")]
    assert query(out, "select joined_timestamp::varchar from aws_organizations_account") == [("2019-01-01 00:00:00+00",)]


def test_bad_logs_are_named_with_the_other_bad_files(run_cli, org: Path, tmp_path: Path, monkeypatch) -> None:
    """A bad JSON file stops the build before the logs load, yet the bad log is named with it; the
    logs are checked by the loader's own reader, and the slow Python reference reads no file (it
    runs only for a batch DuckDB rejects)."""
    from rootwatch.snapshot import cloudtrail_logs

    _more_logs(org, 2)
    truncated = _truncate_log(org)
    summary, alarms = _bad_summary(org), _bad_value(org)
    checked: list[list[Path]] = []
    real = cloudtrail_logs.find_bad_log_files

    def spy(files: Any, selection: Any) -> Any:
        files = list(files)
        checked.append([f.path for f in files])
        return real(files, selection)

    monkeypatch.setattr(cloudtrail_logs, "find_bad_log_files", spy)
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli(str(org), "-o", str(out))
    assert code == 3 and not out.exists() and leftovers(tmp_path) == []
    assert stderr.splitlines()[:4] == [
        "rootwatch: error: 3 bad input files:",
        f"  {summary}:4: " + BAD_INPUTS["invalid_json"][2],
        f"  {alarms}: " + BAD_INPUTS["bad_value"][2],
        f"  {truncated}: " + BAD_INPUTS["truncated_gzip"][2],
    ]
    assert checked == []


def test_metadata_of_a_build_from_a_relative_folder_with_a_skipped_log(run_cli, org: Path, tmp_path: Path, monkeypatch) -> None:
    """source_detail is absolute (it is read later, elsewhere); a skipped log file has the account
    and region of its key and is not counted as loaded."""
    truncated = _truncate_log(org)
    monkeypatch.chdir(org.parent)
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli(org.name, "-o", str(out), "--skip-bad-files")
    assert code == 0, stderr
    assert stderr.splitlines()[0] == (f"rootwatch: wrote {out}: 1 account, 9 rows, 0 CloudTrail log files, "
                                      "captured at 2026-11-20 08:41:12 UTC")
    assert query(out, "select source_detail from rootwatch_snapshot") == [(str(org.resolve()),)]
    assert query(out, "select account_id, region, source from rootwatch_snapshot_issues") == [
        (ACCOUNT, "us-east-1", truncated.relative_to(org).as_posix())]
    report = org / ACCOUNT / "get-credential-report.json"
    code, _, stderr = run_cli("--credential-report", report.relative_to(org.parent).as_posix(), "-o", str(out), "--force")
    assert code == 0, stderr
    assert query(out, "select source_detail from rootwatch_snapshot") == [(str(report.resolve()),)]


@pytest.mark.parametrize(("path", "scope"), [
    (f"{ACCOUNT}/get-account-summary.json", (ACCOUNT, None)),
    (f"{ACCOUNT}/us-east-1/get-trail-status/main.json", (ACCOUNT, "us-east-1")),
    (f"{ACCOUNT}/eu-west-1/describe-alarms.json", (ACCOUNT, "eu-west-1")),
    (f"{ACCOUNT}/notes", (ACCOUNT, None)),
    ("capture.json", (None, None)),
    (f"AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2026/11/19/x.json.gz", (ACCOUNT, "eu-west-1")),
    ("AWSLogs/o-a1b2c3d4e5/210987654321/CloudTrail/us-east-1/2026/11/19/x.json.gz", ("210987654321", "us-east-1")),
    # A logging account's bucket synced into its folder: the key's account, as the rows get.
    (f"{ACCOUNT}/AWSLogs/210987654321/CloudTrail/ap-south-1/2026/11/19/x.json.gz", ("210987654321", "ap-south-1")),
    (f"AWSLogs/{ACCOUNT}/CloudTrail/stray.json", (ACCOUNT, None)),
])
def test_skipped_file_scope_from_its_path(path: str, scope: tuple[str | None, str | None]) -> None:
    from rootwatch.errors import Problem
    from rootwatch.snapshot.from_files import _issue

    root = Path("/capture")
    issue = _issue(Problem(root / path, 7, "bad"), root)
    assert (issue.account_id, issue.region) == scope
    assert (issue.source, issue.message) == (f"{path}:7", "bad")
