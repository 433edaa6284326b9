"""``rootwatch remediate`` end to end on moto's server (real HTTP, real boto3): a snapshot taken with
``snapshot from-aws``, the plan, the apply, the re-read graded by the controls, the second run, and
a call moto's IAM enforcement refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.remediation import (
    ACCOUNT,
    REGION,
    capture,
    graded,
    log_records,
    remediate,
    reset_auth,
    session,
    unmonitored_account,
)

pytest.importorskip("boto3")
pytestmark = pytest.mark.moto

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:rootwatch-root-usage"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"
EMAIL = "security@example.com"


def _plan(capsys, *args: str) -> tuple[int, dict]:
    code = remediate(*args, "--output", "json")
    return code, json.loads(capsys.readouterr().out)


def test_plan_apply_verify_and_a_second_apply_plans_nothing(aws: str, tmp_path: Path, capsys) -> None:
    unmonitored_account(aws)
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    assert graded(before, "root_usage_monitored")[ACCOUNT][0] == "alarm"
    assert graded(before, "cloudtrail_enabled_all_regions")[ACCOUNT][0] == "alarm"
    capsys.readouterr()
    common = ("--snapshot", str(before), "--endpoint-url", aws, "--notify-email", EMAIL)

    code, planned = _plan(capsys, *common)
    assert code == 1, planned  # calls planned, nothing changed
    (account,) = planned["plan"]["accounts"]
    calls = [(c["action"], c["region"], c["parameters"], sorted(f["control"] for f in c["fixes"])) for c in account["calls"]]
    assert calls == [
        ("cloudtrail:UpdateTrail", REGION, {"Name": TRAIL, "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True},
         ["cloudtrail_enabled_all_regions", "root_usage_monitored"]),
        ("logs:PutMetricFilter", REGION, {
            "logGroupName": "cloudtrail",
            "filterName": "rootwatch-root-usage",
            "filterPattern": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
            "metricTransformations": [{"metricName": "RootUsageCount", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        }, ["root_usage_monitored"]),
        ("sns:CreateTopic", REGION, {"Name": "rootwatch-root-usage"}, ["root_usage_monitored"]),
        ("cloudwatch:PutMetricAlarm", REGION, {
            "AlarmName": "rootwatch-root-usage",
            "AlarmDescription": "Root user activity counted by the CIS filter on log group cloudtrail (created by rootwatch remediate)",
            "MetricName": "RootUsageCount", "Namespace": "CISBenchmark", "Statistic": "Sum", "Period": 300,
            "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching", "ActionsEnabled": True, "AlarmActions": [TOPIC],
        }, ["root_usage_monitored"]),
        ("sns:Subscribe", REGION, {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": EMAIL}, ["root_usage_monitored"]),
    ]  # fmt: skip
    assert [c["needs"] for c in account["calls"]] == [[], [], [], ["2", "3"], ["3"]]
    assert planned["applied"] is False
    filters = session().client("logs", endpoint_url=aws).describe_metric_filters()["metricFilters"]
    assert filters == [], "a plan changes nothing"

    log = tmp_path / "remediate.jsonl"
    saved = tmp_path / "after.duckdb"
    code, done = _plan(capsys, *common, "--apply", "--yes", "--log", str(log), "--save-capture", str(saved))
    assert code == 0, done["results"]
    assert [o["status"] for o in done["outcomes"]] == ["applied"] * 5
    assert {(r["control"], r["verdict"]) for r in done["results"]} == {("cloudtrail_enabled_all_regions", "fixed"), ("root_usage_monitored", "fixed")}
    # The saved re-read is a snapshot like from-aws writes, and grades ok.
    assert graded(saved, "root_usage_monitored")[ACCOUNT][0] == "ok"
    assert graded(saved, "cloudtrail_enabled_all_regions")[ACCOUNT][0] == "ok"

    records = log_records(log)
    assert [r["record"] for r in records] == ["run", "call", "call", "call", "call", "call", "end"]
    assert len({r["run"] for r in records}) == 1
    first = records[1]
    assert first["action"] == "cloudtrail:UpdateTrail" and first["outcome"] == "applied" and first["parameters"]["Name"] == TRAIL
    assert first["identity"]["Account"] == ACCOUNT and first["identity"]["Arn"].startswith("arn:aws:")
    assert records[-1]["results"] == [{"control": c, "account_id": ACCOUNT, "verdict": "fixed"} for c in ("cloudtrail_enabled_all_regions", "root_usage_monitored")]

    # The input snapshot still shows both failures; the fresh read says they pass: nothing to do.
    code, again = _plan(capsys, *common, "--apply", "--yes", "--log", str(log))
    assert code == 0
    assert again["plan"]["summary"]["calls"] == 0 and again["plan"]["summary"]["passing"] == 2
    assert len(log_records(log)) == len(records), "nothing applied, nothing logged"


def test_a_refused_call_leaves_the_others_applied_and_reported(aws: str, tmp_path: Path, capsys) -> None:
    """moto's IAM enforcement refuses sns:Subscribe to the remediating user; everything else is made."""
    unmonitored_account(aws)
    iam = session().client("iam", endpoint_url=aws)
    iam.create_user(UserName="remediator")
    iam.create_login_profile(UserName="remediator", Password="Correct-Horse-9!")  # moto's report needs one
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "sns:Subscribe", "Resource": "*"}]}
    iam.put_user_policy(UserName="remediator", PolicyName="all-but-subscribe", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="remediator")["AccessKey"]
    credentials = Path(str(tmp_path / "aws-credentials"))
    credentials.write_text(credentials.read_text() + f"[remediator]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    capsys.readouterr()

    reset_auth(aws, "0")  # from now on every request is checked against the caller's IAM policies
    log = tmp_path / "remediate.jsonl"
    code = remediate("--snapshot", str(before), "--endpoint-url", aws, "--profile", "remediator", "--notify-email", EMAIL, "--apply", "--yes", "--log", str(log))
    reset_auth(aws, "inf")
    out = capsys.readouterr().out
    assert code == 2, out
    assert "Applied 4 of 5 call(s): 1 failed, 0 skipped." in out
    assert "  5  failed   sns:Subscribe in 123456789012 us-east-1: AccessDenied: User: arn:aws:iam::123456789012:user/remediator is not authorized to perform: sns:Subscribe" in out
    assert "123456789012  cloudtrail_enabled_all_regions: fixed" in out
    assert "123456789012  root_usage_monitored: failed to apply\n      error: AccessDenied: " in out
    assert "SNS_SUBSCRIPTION_NOT_PRESENT: topic arn:aws:sns:us-east-1:123456789012:rootwatch-root-usage" in out

    # What was done is there, and logged with who did it.
    alarms = session().client("cloudwatch", endpoint_url=aws).describe_alarms()["MetricAlarms"]
    assert [(a["AlarmName"], a["AlarmActions"]) for a in alarms] == [("rootwatch-root-usage", [TOPIC])]
    calls = [r for r in log_records(log) if r["record"] == "call"]
    assert [(r["action"], r["outcome"]) for r in calls] == [
        ("cloudtrail:UpdateTrail", "applied"), ("logs:PutMetricFilter", "applied"), ("sns:CreateTopic", "applied"),
        ("cloudwatch:PutMetricAlarm", "applied"), ("sns:Subscribe", "failed"),
    ]  # fmt: skip
    assert calls[-1]["error"]["code"] == "AccessDenied"
    assert {r["identity"]["Arn"] for r in calls} == {f"arn:aws:iam::{ACCOUNT}:user/remediator"}

    # Re-run: only the refused link is planned again.
    code = remediate("--snapshot", str(before), "--endpoint-url", aws, "--profile", "remediator", "--notify-email", EMAIL, "--output", "json")
    again = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [c["action"] for c in again["plan"]["accounts"][0]["calls"]] == ["sns:Subscribe"]


def test_a_trail_without_log_group_stops_unless_asked_to_create_one(aws: str, tmp_path: Path, capsys) -> None:
    aws_session = session()
    aws_session.client("s3", endpoint_url=aws).create_bucket(Bucket="trail-logs-bucket")
    cloudtrail = aws_session.client("cloudtrail", endpoint_url=aws)
    cloudtrail.create_trail(Name="main", S3BucketName="trail-logs-bucket", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    capsys.readouterr()

    code, planned = _plan(capsys, "root_usage_monitored", "--snapshot", str(before), "--endpoint-url", aws, "--notify-email", EMAIL)
    assert code == 2
    (account,) = planned["plan"]["accounts"]
    assert account["calls"] == []
    (stop,) = account["remarks"]
    assert stop["kind"] == "stopped" and "delivers to no CloudWatch Logs group" in stop["message"] and "--create-log-group" in stop["hint"]

    code, planned = _plan(capsys, "root_usage_monitored", "--snapshot", str(before), "--endpoint-url", aws, "--notify-email", EMAIL, "--create-log-group")
    assert code == 1
    actions = [c["action"] for c in planned["plan"]["accounts"][0]["calls"]]
    assert actions == ["logs:CreateLogGroup", "iam:CreateRole", "iam:PutRolePolicy", "cloudtrail:UpdateTrail",
                       "logs:PutMetricFilter", "sns:CreateTopic", "cloudwatch:PutMetricAlarm", "sns:Subscribe"]  # fmt: skip
    attach = planned["plan"]["accounts"][0]["calls"][3]
    assert attach["parameters"] == {
        "Name": TRAIL,
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:rootwatch-cloudtrail:*",
        "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/rootwatch-cloudtrail-to-cloudwatch-logs",
    }
    assert attach["needs"] == ["1", "2", "3"]

    code = remediate("root_usage_monitored", "--snapshot", str(before), "--endpoint-url", aws, "--notify-email", EMAIL, "--create-log-group", "--apply", "--yes")
    assert code == 0, capsys.readouterr().out
    assert "root_usage_monitored: fixed" in capsys.readouterr().out


def test_an_account_without_trail_gets_one_only_with_a_bucket(aws: str, tmp_path: Path, capsys) -> None:
    session().client("s3", endpoint_url=aws).create_bucket(Bucket="org-trail-bucket")
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    capsys.readouterr()
    code, planned = _plan(capsys, "cloudtrail_enabled_all_regions", "--snapshot", str(before), "--endpoint-url", aws)
    assert code == 2 and "--trail-bucket" in planned["plan"]["accounts"][0]["remarks"][0]["hint"]

    code = remediate("cloudtrail_enabled_all_regions", "--snapshot", str(before), "--endpoint-url", aws, "--trail-bucket", "org-trail-bucket", "--apply", "--yes")
    out = capsys.readouterr().out
    assert code == 0, out
    for action in ("cloudtrail:CreateTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StartLogging"):
        assert f"+ {action}" in out
    assert "cloudtrail_enabled_all_regions: fixed" in out


def test_no_failing_rows_and_usage_errors(aws: str, tmp_path: Path, capsys) -> None:
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    capsys.readouterr()
    assert remediate("root_no_access_keys", "--snapshot", str(before), "--endpoint-url", aws) == 0
    assert "No failing row of root_no_access_keys in snapshot" in capsys.readouterr().out

    cases = [
        (("root_mfa_enabled",), "control 'root_mfa_enabled' has no remediation"),
        (("root_usage_monitord",), "unknown control 'root_usage_monitord'"),
        (("--account", "12345"), "--account '12345' is not a 12-digit AWS account id"),
        (("--yes",), "--yes confirms --apply"),
        (("--notify-email", "nobody"), "--notify-email 'nobody' is not an e-mail address"),
        (("--region", "US_EAST_1"), "--region 'US_EAST_1' is not an AWS region name"),
        (("--apply",), "--apply asks for confirmation on a terminal and there is none"),
    ]
    unmonitored_account(aws)
    capture(aws, before)
    for args, message in cases:
        capsys.readouterr()
        assert remediate(*args, "--snapshot", str(before), "--endpoint-url", aws) == 3, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert session().client("logs", endpoint_url=aws).describe_metric_filters()["metricFilters"] == []


def test_confirmation_on_a_terminal(aws: str, tmp_path: Path, capsys, monkeypatch) -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    unmonitored_account(aws)
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    common = ("cloudtrail_enabled_all_regions", "--snapshot", str(before), "--endpoint-url", aws, "--log", str(tmp_path / "log.jsonl"))
    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    capsys.readouterr()
    assert remediate(*common, "--apply") == 1
    err = capsys.readouterr().err
    assert "Make these 1 AWS call(s) in 1 account(s)? Only 'yes' is accepted:" in err and "apply cancelled; nothing was changed" in err
    assert session().client("cloudtrail", endpoint_url=aws).describe_trails()["trailList"][0]["IsMultiRegionTrail"] is False
    assert log_records(tmp_path / "log.jsonl") == []

    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    assert remediate(*common, "--apply") == 0
    assert session().client("cloudtrail", endpoint_url=aws).describe_trails()["trailList"][0]["IsMultiRegionTrail"] is True


@pytest.mark.postgres
def test_findings_read_from_a_live_endpoint(aws: str, tmp_path: Path, capsys, pg_dsn: str) -> None:
    """The failing rows come from PostgreSQL (a Steampipe-shaped schema) instead of a snapshot."""
    import duckdb
    import psycopg
    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows
    from rootwatch.schema.tables import ColumnType, load_tables

    unmonitored_account(aws)
    before = tmp_path / "before.duckdb"
    capture(aws, before)
    con = duckdb.connect(str(before), read_only=True)
    tables = load_tables()
    rows = {}
    for name, table in tables.items():
        found = con.execute(f'SELECT * FROM "{name}"')
        columns = [c[0] for c in found.description]
        json_columns = {c.name for c in table.columns if c.type is ColumnType.JSONB}
        rows[name] = [{k: (json.loads(v) if k in json_columns and isinstance(v, str) else v) for k, v in zip(columns, row)} for row in found.fetchall()]
    con.close()
    capsys.readouterr()
    with psycopg.connect(pg_dsn) as pg:
        schema = postgres_schema_with_rows(pg, rows)
        try:
            code, planned = _plan(capsys, "--database", pg_dsn, "--search-path", schema, "--endpoint-url", aws, "--notify-email", EMAIL)
        finally:
            drop_postgres_schema(pg, schema)
    assert code == 1
    assert planned["plan"]["source"].startswith("postgres")
    assert [c["action"] for c in planned["plan"]["accounts"][0]["calls"]] == [
        "cloudtrail:UpdateTrail", "logs:PutMetricFilter", "sns:CreateTopic", "cloudwatch:PutMetricAlarm", "sns:Subscribe",
    ]  # fmt: skip


def test_an_organization_member_through_an_assumed_role(aws: str, tmp_path: Path, capsys) -> None:
    """--role-name: the member is planned, changed and re-read through the role assumed from the
    management account's credentials; the management account itself is left alone."""
    organizations = session().client("organizations", endpoint_url=aws)
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]["AccountId"]
    base = session()
    assumed = base.client("sts", endpoint_url=aws).assume_role(RoleArn=f"arn:aws:iam::{member}:role/setup", RoleSessionName="setup")["Credentials"]
    member_session = session(aws_access_key_id=assumed["AccessKeyId"], aws_secret_access_key=assumed["SecretAccessKey"], aws_session_token=assumed["SessionToken"])
    member_session.client("s3", endpoint_url=aws).create_bucket(Bucket="member-trail-bucket")
    member_session.client("logs", endpoint_url=aws).create_log_group(logGroupName="cloudtrail")
    cloudtrail = member_session.client("cloudtrail", endpoint_url=aws)
    cloudtrail.create_trail(Name="main", S3BucketName="member-trail-bucket", IsMultiRegionTrail=False,
                            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{member}:log-group:cloudtrail:*",
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{member}:role/cloudtrail-logs")  # fmt: skip
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    before = tmp_path / "org.duckdb"
    capture(aws, before, "--organization", "--role-name", "OrganizationAccountAccessRole")
    capsys.readouterr()

    role = ("--role-name", "OrganizationAccountAccessRole")
    code, planned = _plan(capsys, "cloudtrail_enabled_all_regions", "--snapshot", str(before), "--endpoint-url", aws, *role, "--account", member)
    assert code == 1
    (account,) = planned["plan"]["accounts"]
    assert account["account_id"] == member
    assert [(c["action"], c["parameters"]["Name"]) for c in account["calls"]] == [("cloudtrail:UpdateTrail", f"arn:aws:cloudtrail:{REGION}:{member}:trail/main")]

    log = tmp_path / "log.jsonl"
    code = remediate("cloudtrail_enabled_all_regions", "--snapshot", str(before), "--endpoint-url", aws, *role, "--account", member, "--apply", "--yes", "--log", str(log))
    assert code == 0, capsys.readouterr().out
    (call,) = [r for r in log_records(log) if r["record"] == "call"]
    assert call["identity"]["Account"] == member and "OrganizationAccountAccessRole" in call["identity"]["Arn"]
    trails = member_session.client("cloudtrail", endpoint_url=aws).describe_trails()["trailList"]
    assert [t["IsMultiRegionTrail"] for t in trails] == [True]
    assert session().client("cloudtrail", endpoint_url=aws).describe_trails()["trailList"] == [], "the management account is untouched"
