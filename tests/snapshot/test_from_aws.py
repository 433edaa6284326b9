"""``rootwatch snapshot from-aws`` end to end against moto's server on 127.0.0.1 (real HTTP, real
boto3, fake credentials): resources created in moto, the CLI run, the snapshot opened and graded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from rootwatch.cli.main import main
from rootwatch.engines.duckdb_engine import DuckDBEngine
from rootwatch.snapshot.metadata import read_snapshot_info
from helpers.snapshots import grade_root

boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.moto

MANAGEMENT = "123456789012"  # moto's default account
ROOT_PATTERN = '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }'


@pytest.fixture()
def aws(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto and an AWS environment of fake credentials that reaches only it."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text(
        "[default]\nregion = us-east-1\n"
        "[profile broken]\nregion = us-east-1\ncredential_process = /bin/false\n"
        "[profile prod]\nregion = us-east-1\n"
        "[profile badregion]\nregion = US_EAST_1\n"  # botocore refuses this spelling when a client is made
    )
    credentials.write_text(
        "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[badregion]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # failing calls in the failure tests retry once
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_url


def _session(url: str, account: str | None = None) -> Any:
    """A boto3 session in moto's default account, or (assuming a role) in ``account``."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    if account is None:
        return session
    creds = session.client("sts", endpoint_url=url).assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")["Credentials"]
    return boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name="us-east-1")


def _monitored_account(
    url: str, session: Any, account: str, *, confirmed: bool = True, filter_dimensions: dict[str, str] | None = None
) -> None:
    """Users, a multi-region trail to a log group, the CIS root filter (publishing
    ``filter_dimensions``), an alarm on its metric without dimensions, a topic and subscription."""
    iam = session.client("iam", endpoint_url=url)
    for user in ("alice", "bob"):
        iam.create_user(UserName=user)
        iam.create_login_profile(UserName=user, Password="Correct-Horse-9!")
    iam.create_access_key(UserName="alice")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")
    session.client("s3", endpoint_url=url).create_bucket(Bucket=f"trail-{account}")
    logs = session.client("logs", endpoint_url=url)
    logs.create_log_group(logGroupName="cloudtrail")
    cloudtrail = session.client("cloudtrail", endpoint_url=url)
    cloudtrail.create_trail(
        Name="main",
        S3BucketName=f"trail-{account}",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{account}:log-group:cloudtrail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/cloudtrail-logs",
    )
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    logs.put_metric_filter(
        logGroupName="cloudtrail",
        filterName="root-usage",
        filterPattern=ROOT_PATTERN,
        metricTransformations=[
            {"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1", **({"dimensions": filter_dimensions} if filter_dimensions else {})}
        ],
    )
    sns = session.client("sns", endpoint_url=url)
    topic = sns.create_topic(Name="root-alerts")["TopicArn"]
    if confirmed:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")
    session.client("cloudwatch", endpoint_url=url).put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )


def _cli(*args: str) -> int:
    return main(["snapshot", "from-aws", *args, "--no-progress", "--report-poll", "0.05"])


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def test_one_account_end_to_end(aws: str, tmp_path: Path, capsys) -> None:
    _monitored_account(aws, _session(aws), MANAGEMENT)
    out = tmp_path / "acct.duckdb"
    code = _cli("--endpoint-url", aws, "--region", "us-east-1", "--region", "eu-west-1", "-o", str(out))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == "" and captured.err.startswith(f"rootwatch: wrote {out}: 1 account, ")

    con = _open(out)
    info = read_snapshot_info(con)
    assert info is not None and info.source == "aws" and aws in (info.source_detail or "")
    assert [(a.account_id, a.regions) for a in info.accounts] == [(MANAGEMENT, ("eu-west-1", "us-east-1"))]
    assert info.accounts[0].credential_report_generated_at is not None
    assert info.issues == ()
    users = con.execute("SELECT user_name, password_enabled, access_key_1_active FROM aws_iam_credential_report ORDER BY 1").fetchall()
    assert users == [("alice", True, True), ("bob", True, False)]
    trails = con.execute(
        "SELECT region, name, home_region, is_multi_region_trail, is_logging, log_group_arn, "
        "event_selectors->>'$[0].ReadWriteType' FROM aws_cloudtrail_trail ORDER BY region"
    ).fetchall()
    group = f"arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:cloudtrail:*"
    assert trails == [
        ("eu-west-1", "main", "us-east-1", True, True, group, "All"),  # the shadow copy
        ("us-east-1", "main", "us-east-1", True, True, group, "All"),
    ]
    assert con.execute("SELECT region, log_group_name, filter_pattern, metric_transformation_name FROM aws_cloudwatch_log_metric_filter").fetchall() == [
        ("us-east-1", "cloudtrail", ROOT_PATTERN, "RootUsage")
    ]
    topic = f"arn:aws:sns:us-east-1:{MANAGEMENT}:root-alerts"
    assert con.execute("SELECT name, namespace, actions_enabled, alarm_actions->>'$[0]' FROM aws_cloudwatch_alarm").fetchall() == [
        ("root-usage", "CISBenchmark", True, topic)
    ]
    assert con.execute("SELECT topic_arn, protocol, endpoint, pending_confirmation FROM aws_sns_topic_subscription").fetchall() == [
        (topic, "email", "security@example.com", False)
    ]
    assert con.execute("SELECT count(*) FROM aws_iam_virtual_mfa_device").fetchone() == (1,)
    assert con.execute("SELECT account_id, users FROM aws_iam_account_summary").fetchall() == [(MANAGEMENT, 2)]
    assert con.execute("SELECT account_id, organization_id FROM aws_account").fetchall() == [(MANAGEMENT, None)]
    con.close()

    graded = _graded(out)
    root = f"arn:aws:iam::{MANAGEMENT}:root"
    # The whole CIS chain read from moto: trail -> log group -> filter -> alarm -> confirmed subscription.
    assert graded[("root_usage_monitored", root)][0] == "ok", graded[("root_usage_monitored", root)]
    assert graded[("cloudtrail_enabled_all_regions", root)][0] == "ok", graded[("cloudtrail_enabled_all_regions", root)]
    assert graded[("root_no_access_keys", root)][0] == "ok"


def test_filter_dimensions_are_read_and_an_alarm_without_them_misses_the_metric(aws: str, tmp_path: Path) -> None:
    """DescribeMetricFilters' dimensions reach the snapshot; the alarm, which names none, watches
    another metric than the one the filter publishes, so root usage is not monitored."""
    _monitored_account(aws, _session(aws), MANAGEMENT, filter_dimensions={"Account": "$.recipientAccountId"})
    out = tmp_path / "dims.duckdb"
    assert _cli("--endpoint-url", aws, "--region", "us-east-1", "-o", str(out)) == 0
    con = _open(out)
    assert con.execute("SELECT metric_transformation_dimensions FROM aws_cloudwatch_log_metric_filter").fetchall() == [('["Account"]',)]
    con.close()
    graded = _graded(out)
    status, reason = graded[("root_usage_monitored", f"arn:aws:iam::{MANAGEMENT}:root")]
    assert status == "alarm" and reason.startswith("CLOUDWATCH_ALARMS_NOT_PRESENT: no alarm in us-east-1 on metric CISBenchmark/RootUsage (dimensions Account)"), reason


def test_every_enabled_region_by_default(aws: str, tmp_path: Path) -> None:
    _monitored_account(aws, _session(aws), MANAGEMENT)
    out = tmp_path / "all-regions.duckdb"
    assert _cli("-o", str(out), "--endpoint-url", aws) == 0
    expected = sorted(r["RegionName"] for r in _session(aws).client("ec2", endpoint_url=aws).describe_regions()["Regions"])
    con = _open(out)
    info = read_snapshot_info(con)
    trail_regions = [r for (r,) in con.execute("SELECT region FROM aws_cloudtrail_trail ORDER BY region").fetchall()]
    con.close()
    assert len(expected) > 10 and list(info.accounts[0].regions) == expected
    assert trail_regions == expected, "a multi-region trail shows in every region read"


def test_failed_account_and_region_are_recorded_and_the_rest_kept(aws: str, tmp_path: Path, monkeypatch, capsys) -> None:
    _monitored_account(aws, _session(aws), MANAGEMENT)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)  # boto3's own variable instead of --endpoint-url
    out = tmp_path / "partial.duckdb"
    # 'broken' cannot get credentials; moto has no region 'xx-fake-1' and answers 500 there.
    code = _cli("--profile", "prod", "--profile", "broken", "--region", "us-east-1", "--region", "xx-fake-1", "-o", str(out))
    err = capsys.readouterr().err
    assert code == 2, err
    con = _open(out)
    info = read_snapshot_info(con)
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("aws_iam_credential_report", "aws_cloudtrail_trail", "aws_cloudwatch_alarm")}
    con.close()
    assert [a.account_id for a in info.accounts] == [MANAGEMENT]
    assert rows == {"aws_iam_credential_report": 2, "aws_cloudtrail_trail": 1, "aws_cloudwatch_alarm": 1}
    errors = [i for i in info.issues if i.kind == "error"]
    assert any(
        i.source == "aws profile broken: sts:GetCallerIdentity" and i.account_id is None and "CredentialRetrievalError" in i.message
        for i in errors
    ), errors
    regional = {i.source for i in errors if i.region == "xx-fake-1" and i.account_id == MANAGEMENT}
    assert {"cloudtrail:DescribeTrails", "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms"} <= regional
    assert all("\n" not in i.message and len(i.message) <= 400 for i in errors), "one line, bounded"
    assert "rootwatch: warning:" in err


def test_organization_through_an_assumed_role(aws: str, tmp_path: Path) -> None:
    management = _session(aws)
    organizations = management.client("organizations", endpoint_url=aws)
    organization_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    members = []
    for name in ("dev", "prod"):
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members.append(status["AccountId"])
    _monitored_account(aws, _session(aws, members[1]), members[1], confirmed=False)
    dev_iam = _session(aws, members[0]).client("iam", endpoint_url=aws)
    dev_iam.create_user(UserName="dev-only")
    dev_iam.create_login_profile(UserName="dev-only", Password="Correct-Horse-9!")

    out = tmp_path / "org.duckdb"
    code = _cli("--endpoint-url", aws, "--organization", "--role-name", "OrganizationAccountAccessRole", "--region", "us-east-1", "-o", str(out))
    con = _open(out)
    info = read_snapshot_info(con)
    assert sorted(a.account_id for a in info.accounts) == sorted([MANAGEMENT, *members]), info.issues
    assert organization_id in (info.source_detail or "")
    by_id = {a.account_id: a for a in info.accounts}
    assert by_id[members[0]].source == f"aws role arn:aws:iam::{members[0]}:role/OrganizationAccountAccessRole"
    # Each account's rows came from its own moto backend.
    assert con.execute("SELECT account_id, user_name FROM aws_iam_credential_report ORDER BY 1, 2").fetchall() == sorted(
        [(members[0], "dev-only"), (members[1], "alice"), (members[1], "bob")]
    )
    assert con.execute("SELECT account_id FROM aws_cloudtrail_trail").fetchall() == [(members[1],)]
    assert con.execute("SELECT DISTINCT pending_confirmation FROM aws_sns_topic_subscription").fetchall() == []
    assert con.execute("SELECT count(*), count(DISTINCT organization_id) FROM aws_account").fetchone() == (3, 1)
    listed = con.execute("SELECT account_id, id FROM aws_organizations_account ORDER BY id").fetchall()
    assert listed == sorted([(MANAGEMENT, MANAGEMENT), *((MANAGEMENT, m) for m in members)], key=lambda r: r[1])
    con.close()
    # Only a call moto lacks may fail (IAM ListOrganizationsFeatures); it is recorded, not fatal.
    unexpected = [i for i in info.issues if i.source != "iam:ListOrganizationsFeatures"]
    assert unexpected == [] and code in (0, 2)


def test_a_role_that_cannot_be_assumed_is_recorded(aws: str, tmp_path: Path) -> None:
    _monitored_account(aws, _session(aws), MANAGEMENT)
    out = tmp_path / "roles.duckdb"
    # botocore refuses an ExternalId shorter than 2 characters before sending AssumeRole; the
    # caller's own account needs no role and is still read.
    code = _cli("--endpoint-url", aws, "--role-name", "Audit", "--account-id", "210987654321", "--account-id", MANAGEMENT,
                "--external-id", "x", "--region", "us-east-1", "-o", str(out))  # fmt: skip
    assert code == 2
    con = _open(out)
    info = read_snapshot_info(con)
    assert con.execute("SELECT DISTINCT account_id FROM aws_iam_credential_report").fetchall() == [(MANAGEMENT,)]
    con.close()
    assert [a.account_id for a in info.accounts] == [MANAGEMENT]
    (failed,) = [i for i in info.issues if i.kind == "error"]
    assert failed.account_id == "210987654321"
    assert failed.source == "aws role arn:aws:iam::210987654321:role/Audit: sts:AssumeRole"
    assert failed.message.startswith("ParamValidationError: ")


def test_bad_options_exit_3(aws: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "x.duckdb"
    cases = [
        (("--account-id", "111111111111"), "need --role-name"),
        (("--role-name", "Audit"), "--role-name needs --account-id"),
        (("--role-name", "Audit", "--account-id", "12345"), "not a 12-digit AWS account id"),
        (("--profile", "nope"), "--profile 'nope': no such AWS profile"),
        (("--max-parallel", "0"), "--max-parallel must be at least 1"),
    ]
    for args, message in cases:
        assert _cli("--endpoint-url", aws, *args, "-o", str(out)) == 3, args
        assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_region_and_endpoint_are_usage_errors(aws: str, tmp_path: Path, monkeypatch, capsys) -> None:
    """Refused by botocore only when a client is made (in a worker, once a crash: exit 4); exit 3 up front."""
    out = tmp_path / "x.duckdb"
    cases = [
        (("--endpoint-url", aws, "--region", "bad region"), "--region 'bad region' is not an AWS region name"),
        (("--endpoint-url", aws, "--region", "US_EAST_1"), "--region 'US_EAST_1' is not an AWS region name"),
        (("--endpoint-url", "notaurl"), "--endpoint-url 'notaurl' is not an http:// or https:// URL with a host"),
        (("--endpoint-url", "ftp://127.0.0.1"), "--endpoint-url 'ftp://127.0.0.1' is not an http"),
        (("--endpoint-url", "http://"), "--endpoint-url 'http://' is not an http"),
        (("--endpoint-url", "http://127.0.0.1:port"), "--endpoint-url 'http://127.0.0.1:port' is not an http"),
    ]
    for args, message in cases:
        assert _cli(*args, "-o", str(out)) == 3, args
        err = capsys.readouterr().err
        assert message in err and "internal error" not in err, err
    monkeypatch.setenv("AWS_ENDPOINT_URL", "notaurl")
    assert _cli("--region", "us-east-1", "-o", str(out)) == 3
    assert "$AWS_ENDPOINT_URL 'notaurl' is not an http" in capsys.readouterr().err
    assert not out.exists()


def test_credential_problems_of_the_base_or_default_chain_exit_3(aws: str, tmp_path: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "x.duckdb"
    # The organization is listed with the base credentials: a credential_process that fails is exit 3.
    assert _cli("--endpoint-url", aws, "--organization", "--role-name", "R", "--profile", "broken", "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert "the base credentials (profile broken) do not work: CredentialRetrievalError" in err and "internal error" not in err, err
    # No --profile: an unknown $AWS_PROFILE is named as such, not as "--profile None".
    monkeypatch.setenv("AWS_PROFILE", "nope")
    assert _cli("--endpoint-url", aws, "--region", "us-east-1", "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert "$AWS_PROFILE 'nope': no such AWS profile" in err and "None" not in err, err
    assert _cli("--endpoint-url", aws, "--role-name", "R", "--account-id", MANAGEMENT, "-o", str(out)) == 3
    assert "$AWS_PROFILE 'nope'" in capsys.readouterr().err
    assert not out.exists()


def test_an_account_whose_region_botocore_refuses_is_recorded(aws: str, tmp_path: Path, monkeypatch) -> None:
    """A profile's own region (not checked up front) fails its account only; the rest is read."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # it would override the profile's region
    out = tmp_path / "partial.duckdb"
    assert _cli("--endpoint-url", aws, "--profile", "badregion", "--profile", "prod", "--region", "us-east-1", "-o", str(out)) == 2
    con = _open(out)
    info = read_snapshot_info(con)
    con.close()
    assert [a.account_id for a in info.accounts] == [MANAGEMENT]
    (failed,) = [i for i in info.issues if i.source == "aws profile badregion: sts:GetCallerIdentity"]
    assert failed.kind == "error" and failed.message.startswith("InvalidRegionError: ") and "US_EAST_1" in failed.message


def _graded(snapshot: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(control, resource) -> (status, reason) of every control of the root benchmark on ``snapshot``."""
    engine = DuckDBEngine.open(snapshot)
    try:
        return {(control, resource): (status, reason) for control, resource, status, reason, _ in grade_root(engine)}
    finally:
        engine.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: connections are refused


def test_no_account_read_writes_nothing(aws: str, tmp_path: Path, monkeypatch, capsys) -> None:
    """An empty snapshot would grade "0 results" (exit 0): when no account is read, exit 3 instead."""
    out = tmp_path / "none.duckdb"
    code = _cli("--endpoint-url", f"http://127.0.0.1:{_closed_port()}", "--region", "us-east-1", "-o", str(out))
    err = capsys.readouterr().err
    assert code == 3, err
    assert "no account could be read (1 account tried); nothing was written" in err
    assert "aws default credentials: sts:GetCallerIdentity: EndpointConnectionError" in err
    assert not out.exists()

    # Every account failing, each for its own reason; a previous snapshot is kept as it was.
    out.write_bytes(b"previous")
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # it would override the badregion profile's region
    code = _cli("--endpoint-url", aws, "--profile", "broken", "--profile", "badregion", "--force", "-o", str(out))
    err = capsys.readouterr().err
    assert code == 3, err
    assert "(2 accounts tried)" in err
    assert "aws profile broken: sts:GetCallerIdentity: CredentialRetrievalError" in err
    assert "aws profile badregion: sts:GetCallerIdentity: " in err
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


MEMBERS = ("210987654321", "310987654321", "410987654321")
REGIONAL_CALLS = {"DescribeTrails", "DescribeMetricFilters", "DescribeAlarms", "ListSubscriptions", "ListEventBuses", "ListRules"}


def _record_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(account id, operation) of every call the capture's readers make, in the order they were sent."""
    from rootwatch.snapshot import from_aws_account

    calls: list[tuple[str, str]] = []
    made = from_aws_account.client

    def recording(session: Any, service: str, region: str, settings: Any) -> Any:
        found = made(session, service, region, settings)
        # Read when the call is made: the capture's clients are shared, and sign as the account
        # bound to the calling thread.
        credentials = session.get_credentials()

        def note(model: Any, **_: Any) -> None:
            calls.append((credentials.access_key, model.name))

        found.meta.events.register("before-call", note)
        return found

    monkeypatch.setattr(from_aws_account, "client", recording)
    return calls


def _all_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted; without the trail times moto's GetTrailStatus sets to "now"."""
    con = _open(path)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_name NOT LIKE 'rootwatch_snapshot%'").fetchall()]
        return {n: sorted(con.execute(f'SELECT COLUMNS(lambda c: NOT starts_with(c, \'latest_\')) FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def test_credential_reports_are_requested_first_and_fetched_last(aws: str, tmp_path: Path, monkeypatch) -> None:
    """Every account's report is asked for before any region is read and fetched after all of them,
    so AWS builds it meanwhile: moto answers the first GenerateCredentialReport with STARTED (a
    fetch right away would have to wait), yet the capture asks for no wait at all."""
    from rootwatch.snapshot.from_aws_account import AccountReader

    for account in MEMBERS:
        _monitored_account(aws, _session(aws, account), account)
    waits: list[float] = []
    monkeypatch.setattr(AccountReader, "_sleep", lambda self, seconds: waits.append(seconds))
    calls = _record_calls(monkeypatch)
    out = tmp_path / "three.duckdb"
    accounts = [arg for account in MEMBERS for arg in ("--account-id", account)]
    # One worker: the order of the steps is then the schedule's own, not a race between threads.
    code = _cli("--endpoint-url", aws, "--role-name", "Audit", *accounts, "--region", "us-east-1", "--region", "eu-west-1", "--max-parallel", "1", "-o", str(out))
    assert code == 0
    operations = [operation for _, operation in calls]
    regional = [i for i, operation in enumerate(operations) if operation in REGIONAL_CALLS]
    generated = [i for i, operation in enumerate(operations) if operation == "GenerateCredentialReport"]
    fetched = [i for i, operation in enumerate(operations) if operation == "GetCredentialReport"]
    assert len({key for key, operation in calls if operation == "GenerateCredentialReport"}) == 3, "one per account"
    assert len(generated) == len(fetched) == 3, operations
    assert max(generated) < min(regional) and max(regional) < min(fetched), operations
    assert waits == [], "the reports were built while the regions were read"
    assert len(_all_rows(out)["aws_iam_credential_report"]) == 3 * 2  # alice and bob of each account
    # A fresh account's first request is answered STARTED: fetched at once, it would need a wait.
    iam = _session(aws, "510987654321").client("iam", endpoint_url=aws)
    assert iam.generate_credential_report()["State"] == "STARTED"


def test_parallel_steps_write_the_same_rows_as_one_worker(aws: str, tmp_path: Path) -> None:
    """Regions of several accounts read at once by many workers give the rows one worker gives, and
    a failing region is still an error issue of each account (exit 2)."""
    for account in MEMBERS:
        _monitored_account(aws, _session(aws, account), account)
    accounts = [arg for account in MEMBERS for arg in ("--account-id", account)]
    regions = ("--region", "us-east-1", "--region", "eu-west-1", "--region", "ap-south-1", "--region", "xx-fake-1")
    serial, parallel = tmp_path / "serial.duckdb", tmp_path / "parallel.duckdb"
    assert _cli("--endpoint-url", aws, "--role-name", "Audit", *accounts, *regions, "--max-parallel", "1", "-o", str(serial)) == 2
    assert _cli("--endpoint-url", aws, "--role-name", "Audit", *accounts, *regions, "--max-parallel", "8", "-o", str(parallel)) == 2
    assert _all_rows(serial) == _all_rows(parallel)
    for path in (serial, parallel):
        con = _open(path)
        info = read_snapshot_info(con)
        con.close()
        assert sorted(a.account_id for a in info.accounts) == sorted(MEMBERS)
        failed = {(i.account_id, i.source) for i in info.issues if i.kind == "error" and i.region == "xx-fake-1"}
        assert {(a, "cloudtrail:DescribeTrails") for a in MEMBERS} <= failed


def _handler_key(handler: Any) -> tuple[Any, ...]:
    """A handler named across sessions: boto3 makes its lazy handlers anew for every session."""
    if hasattr(handler, "__self__"):
        return (type(handler.__self__).__qualname__, handler.__func__.__qualname__)
    if hasattr(handler, "__qualname__"):
        cells = tuple(c.cell_contents for c in handler.__closure__ or () if isinstance(c.cell_contents, str))
        return (handler.__module__, handler.__qualname__, cells)
    return (type(handler).__qualname__,)


def test_the_shared_clients_sessions_keep_every_handler_their_events_reach(aws: str, tmp_path: Path, monkeypatch) -> None:
    """Every event a capture's clients emit (success and error paths: moto has no organization)
    finds in the capture's sessions, which leave out other services' built-in handlers, the
    handlers a default boto3 session has for it, in the same order."""
    import botocore.hooks

    from rootwatch.snapshot.from_aws_clients import botocore_session
    from rootwatch.snapshot.from_aws_models import CAPTURE_OPERATIONS

    _monitored_account(aws, _session(aws, MEMBERS[0]), MEMBERS[0])
    emitted: set[str] = set()
    original = botocore.hooks.HierarchicalEmitter._emit

    def recording(self: Any, event_name: str, kwargs: Any, stop_on_response: bool = False) -> Any:
        emitted.add(event_name)
        return original(self, event_name, kwargs, stop_on_response)

    monkeypatch.setattr(botocore.hooks.HierarchicalEmitter, "_emit", recording)
    assert _cli("--endpoint-url", aws, "--role-name", "Audit", "--account-id", MEMBERS[0], "--region", "us-east-1", "-o", str(tmp_path / "s.duckdb")) == 0
    assert "after-call.organizations.DescribeOrganization" in emitted and len(emitted) > 100  # an error answer too
    default = boto3.Session(botocore_session=botocore_session())._session.get_component("event_emitter")
    restricted = boto3.Session(botocore_session=botocore_session(CAPTURE_OPERATIONS))._session.get_component("event_emitter")
    for name in sorted(emitted):
        found = [[_handler_key(h) for h in emitter._emitter._handlers.prefix_search(name)] for emitter in (default, restricted)]
        assert found[0] == found[1], name
