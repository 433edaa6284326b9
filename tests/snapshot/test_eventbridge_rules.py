"""``aws_eventbridge_rule`` in snapshots, on every path: the transform, from-files (layout, bad
files, not captured), from-aws on moto's server (every bus, pages, a failing region) and
from-steampipe on a real PostgreSQL standing in for Steampipe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rootwatch.cli.main import main
from rootwatch.snapshot import transforms as t
from rootwatch.snapshot.metadata import read_snapshot_info
from helpers.snapshots import query

ACCOUNT = "123456789012"
HUB = "555555555555"
ORIGIN = t.Origin(ACCOUNT, connection_name=f"aws_{ACCOUNT}")
PATTERN = {"detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
           "detail": {"userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]}}}
HUB_BUS = f"arn:aws:events:us-east-1:{HUB}:event-bus/rootwatch-root-activity"
SPOKE = {"Name": "spoke", "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/spoke", "EventPattern": json.dumps(PATTERN),
         "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", "EventBusName": "default"}
SPOKE_TARGETS = {"Targets": [{"Id": "hub", "Arn": HUB_BUS, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/forward"}]}


def dump(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


# -- the transform -------------------------------------------------------------------------------


def test_rows_in_steampipes_shape() -> None:
    scheduled = {"Name": "nightly", "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/nightly",
                 "ScheduleExpression": "rate(1 day)", "State": "DISABLED", "Description": "a schedule"}
    rows = t.eventbridge_rule_rows({"Rules": [SPOKE, scheduled]}, origin=ORIGIN, region="eu-west-1",
                                   targets={"spoke": SPOKE_TARGETS, "nightly": {"Targets": []}})
    spoke, nightly = rows
    assert spoke["event_pattern"] == PATTERN  # JSON text from AWS, JSON in the column
    assert spoke["targets"] == SPOKE_TARGETS["Targets"]
    assert (spoke["name"], spoke["name_prefix"], spoke["title"], spoke["akas"]) == ("spoke", "spoke", "spoke", [SPOKE["Arn"]])
    assert (spoke["state"], spoke["event_bus_name"], spoke["created_by"], spoke["tags"]) == (SPOKE["State"], "default", None, None)
    assert (spoke["region"], spoke["account_id"], spoke["sp_connection_name"]) == ("eu-west-1", ACCOUNT, f"aws_{ACCOUNT}")
    # Captured and empty is evidence ([]); never asked is NULL.
    assert nightly["targets"] == [] and nightly["event_pattern"] is None
    assert nightly["schedule_expression"] == "rate(1 day)" and nightly["description"] == "a schedule"
    assert t.eventbridge_rule_rows({"Rules": [SPOKE]}, origin=ORIGIN, region="us-east-1")[0]["targets"] is None


def test_a_custom_bus_named_by_name_or_arn() -> None:
    rule = {**SPOKE, "EventBusName": "rootwatch-root-activity"}
    for bus in ("rootwatch-root-activity", HUB_BUS.replace(HUB, ACCOUNT)):
        (row,) = t.eventbridge_rule_rows({"Rules": [rule]}, origin=ORIGIN, region="us-east-1", event_bus=bus)
        assert row["event_bus_name"] == "rootwatch-root-activity"


@pytest.mark.parametrize(("response", "message"), [
    ({"Rules": [{"Name": "x"}]}, "list-rules: Rules[0] needs Name and Arn"),
    ({"Rules": [{**SPOKE, "EventPattern": "{not json"}]}, "list-rules: Rules[0] (spoke): EventPattern: not JSON text"),
    ({"Rules": [{**SPOKE, "EventPattern": "[1]"}]}, "EventPattern: expected an object, got list"),
    ({"Rules": [{**SPOKE, "State": True}]}, "list-rules: Rules[0] (spoke): State must be text, got True"),
    ({"Rules": [{**SPOKE, "EventBusName": "other"}]}, "is on event bus 'other', but these are the rules of bus 'default'"),
    ({"Rules": {}}, "list-rules: Rules must be a list"),
])
def test_malformed_rules_are_transform_errors(response: Any, message: str) -> None:
    with pytest.raises(t.TransformError, match=None) as raised:
        t.eventbridge_rule_rows(response, origin=ORIGIN, region="us-east-1")
    assert message in str(raised.value)


def test_malformed_targets_are_transform_errors() -> None:
    with pytest.raises(t.TransformError, match=r"Targets\[0\] needs Arn"):
        t.rule_targets({"Targets": [{"Id": "x"}]})
    with pytest.raises(t.TransformError, match="targets of rule spoke: expected an object"):
        t.eventbridge_rule_rows({"Rules": [SPOKE]}, origin=ORIGIN, region="us-east-1", targets={"spoke": []})


# -- from files ----------------------------------------------------------------------------------


@pytest.fixture()
def capture(tmp_path: Path) -> Path:
    """One account: a spoke rule on the default bus (us-east-1), a hub bus rule and a partner bus
    rule, and an eu-west-1 folder whose rules were captured empty."""
    root = tmp_path / "capture"
    east = root / ACCOUNT / "us-east-1"
    dump(root / ACCOUNT / "list-virtual-mfa-devices.json", {"VirtualMFADevices": []})
    dump(root / ACCOUNT / "get-account-summary.json", {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0}})
    dump(east / "list-rules.json", {"Rules": [SPOKE]})
    dump(east / "list-targets-by-rule" / "spoke.json", SPOKE_TARGETS)
    hub_rule = {"Name": "to-queue", "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/hub/to-queue",
                "EventPattern": json.dumps(PATTERN), "State": "ENABLED", "EventBusName": "hub"}
    dump(east / "list-rules" / "hub.json", {"Rules": [hub_rule]})
    dump(east / "list-targets-by-rule" / "hub" / "to-queue.json",
         {"Targets": [{"Id": "q", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:root-activity"}]})
    partner = "aws.partner/example.com/123"
    dump(east / "list-rules" / f"{partner}.json", {"Rules": [{"Name": "p", "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{partner}/p",
                                                             "State": "ENABLED", "EventBusName": partner}]})
    dump(root / ACCOUNT / "eu-west-1" / "list-rules.json", {"Rules": []})
    for region in ("us-east-1", "eu-west-1"):  # trails and subscriptions captured (empty): only rules are at stake here
        dump(root / ACCOUNT / region / "describe-trails.json", {"trailList": []})
        dump(root / ACCOUNT / region / "list-subscriptions.json", {"Subscriptions": []})
    return root


def _build(capsys, source: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["snapshot", "from-files", str(source), "-o", str(out), *extra])
    return code, capsys.readouterr().err


def test_from_files_reads_every_bus_and_its_targets(capsys, capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.duckdb"
    code, err = _build(capsys, capture, out)
    assert code == 0, err
    assert query(out, """select region, event_bus_name, name, state, targets::varchar, event_pattern->>'$.detail.userIdentity.type[0]'
                         from aws_eventbridge_rule order by event_bus_name, name""") == [
        ("us-east-1", "aws.partner/example.com/123", "p", "ENABLED", None, None),  # no targets file: not captured
        ("us-east-1", "default", "spoke", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
         json.dumps(SPOKE_TARGETS["Targets"], separators=(",", ":")), "Root"),
        ("us-east-1", "hub", "to-queue", "ENABLED", f'[{{"Id":"q","Arn":"arn:aws:sqs:us-east-1:{ACCOUNT}:root-activity"}}]', "Root"),
    ]
    assert query(out, "select count(*) from rootwatch_snapshot_issues") == [(0,)]  # eu-west-1 captured, empty


@pytest.mark.parametrize(("spoil", "message"), [
    (lambda east: dump(east / "list-targets-by-rule" / "spke.json", SPOKE_TARGETS),
     "list-targets-by-rule/spke.json: no rule named spke on event bus default in this region's list-rules.json"),
    (lambda east: dump(east / "list-targets-by-rule" / "hub" / "spoke.json", SPOKE_TARGETS),
     "list-targets-by-rule/hub/spoke.json: no rule named spoke on event bus hub in this region's list-rules/hub.json"),
    (lambda east: dump(east / "list-rules" / "default.json", {"Rules": []}),
     "list-rules/default.json: the default bus's rules go in list-rules.json (aws events list-rules), not list-rules/default.json"),
    (lambda east: dump(east / "list-targets-by-rule" / "default" / "spoke.json", SPOKE_TARGETS),
     "a default-bus rule's targets go in list-targets-by-rule/spoke.json, not under list-targets-by-rule/default/"),
    (lambda east: (east / "list-rules" / "notes.txt").write_text("x"),
     "list-rules/notes.txt: expected list-rules/<name>.json (the output of aws events list-rules --event-bus-name <bus>)"),
    (lambda east: dump(east / "list-rules.json", {"Rules": [{**SPOKE, "EventBusName": "hub"}]}),
     "list-rules.json: list-rules: Rules[0] (spoke) is on event bus 'hub', but these are the rules of bus 'default'"),
    (lambda east: dump(east / "list-targets-by-rule" / "spoke.json", {"Targets": [{"Arn": HUB_BUS}]}),
     "list-targets-by-rule/spoke.json: list-targets-by-rule: Targets[0] needs Id"),
    (lambda east: (east / "list-rules.json").write_text("{\n  \"Rules\": [\n"),
     "list-rules.json:3: invalid JSON"),
])
def test_bad_files_are_named_and_nothing_is_written(capsys, capture: Path, tmp_path: Path, spoil, message: str) -> None:
    spoil(capture / ACCOUNT / "us-east-1")
    out = tmp_path / "s.duckdb"
    code, err = _build(capsys, capture, out)
    assert code == 3, err
    assert message in err and "Traceback" not in err, err
    assert not out.exists()


def test_a_skipped_targets_file_leaves_its_rule_undecided(capsys, capture: Path, tmp_path: Path) -> None:
    (capture / ACCOUNT / "us-east-1" / "list-targets-by-rule" / "spoke.json").write_text("{}\n{")
    out = tmp_path / "s.duckdb"
    code, err = _build(capsys, capture, out, "--skip-bad-files")
    assert code == 0, err
    assert query(out, "select name, targets from aws_eventbridge_rule where name = 'spoke'") == [("spoke", None)]
    assert query(out, "select kind, source from rootwatch_snapshot_issues") == [
        ("skipped_file", f"{ACCOUNT}/us-east-1/list-targets-by-rule/spoke.json:2")]


@pytest.mark.parametrize(("spoil", "region", "message"), [
    (lambda account: (account / "eu-west-1" / "list-rules.json").unlink(),
     "eu-west-1", f"{ACCOUNT}/eu-west-1/list-rules.json: no such file"),
    (lambda account: (account / "us-east-1" / "list-rules.json").write_text("[]"),
     "us-east-1", f"{ACCOUNT}/us-east-1/list-rules.json: skipped as a bad file"),
    (lambda account: (account / "us-east-1" / "list-rules" / "hub.json").write_text(""),
     "us-east-1", f"{ACCOUNT}/us-east-1/list-rules/hub.json: skipped as a bad file"),
])
def test_rules_not_read_in_a_region_are_not_captured(capsys, capture: Path, tmp_path: Path, spoil, region: str, message: str) -> None:
    spoil(capture / ACCOUNT)
    out = tmp_path / "s.duckdb"
    code, err = _build(capsys, capture, out, "--skip-bad-files")
    assert code == 0, err
    assert query(out, "select account_id, region, source, message from rootwatch_snapshot_issues where kind = 'not_captured'") == [
        (ACCOUNT, region, "aws_eventbridge_rule", message)]


def test_an_account_without_region_folders_is_not_captured(capsys, tmp_path: Path) -> None:
    root = tmp_path / "capture"
    dump(root / ACCOUNT / "list-virtual-mfa-devices.json", {"VirtualMFADevices": []})
    dump(root / ACCOUNT / "get-account-summary.json", {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0}})
    out = tmp_path / "s.duckdb"
    assert _build(capsys, root, out)[0] == 0
    con_info = query(out, "select account_id, region, source, message from rootwatch_snapshot_issues order by source")
    assert con_info == [
        (ACCOUNT, None, "aws_cloudtrail_trail", f"{ACCOUNT}: no region folder, so no describe-trails.json"),
        (ACCOUNT, None, "aws_eventbridge_rule", f"{ACCOUNT}: no region folder, so no list-rules.json"),
        (ACCOUNT, None, "aws_sns_topic_subscription", f"{ACCOUNT}: no region folder, so no list-subscriptions.json"),
    ]


def test_the_example_organisation_shows_the_design(tmp_path: Path, repo: Path) -> None:
    from rootwatch.snapshot.from_files import build_from_directory

    out = tmp_path / "example.duckdb"
    build_from_directory(repo / "examples" / "org", out)
    rows = query(out, """select account_id, event_bus_name, name, state, targets->>'$[0].Arn'
                         from aws_eventbridge_rule where event_pattern->>'$.detail.userIdentity.type[0]' = 'Root'
                         order by 1, 2, 3, 5""")
    assert rows == [
        ("222222222222", "default", "rootwatch-root-activity-spoke", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", HUB_BUS),
        (HUB, "default", "rootwatch-root-activity-spoke", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", HUB_BUS),
        (HUB, "rootwatch-root-activity", "rootwatch-root-activity-to-queue", "ENABLED",
         f"arn:aws:sqs:us-east-1:{HUB}:rootwatch-root-activity"),
        # A standalone account's own rules, to SNS topics in us-east-1 and eu-west-1.
        ("666666666666", "default", "root-activity-to-sns", "ENABLED", "arn:aws:sns:eu-west-1:666666666666:root-activity-eu"),
        ("666666666666", "default", "root-activity-to-sns", "ENABLED", "arn:aws:sns:us-east-1:666666666666:root-activity"),
    ]
    # Captured in every region folder: the other accounts' rule lists are evidence, not gaps.
    assert query(out, "select count(*) from rootwatch_snapshot_issues") == [(0,)]


# -- from the API (moto's server) ----------------------------------------------------------------


@pytest.fixture()
def aws(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    pytest.importorskip("boto3")
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_url


@pytest.mark.moto
def test_from_aws_reads_every_bus_every_page_and_the_targets(aws: str, tmp_path: Path, capsys) -> None:
    import boto3

    events = boto3.client("events", endpoint_url=aws, region_name="us-east-1")
    events.put_rule(Name="spoke", EventPattern=json.dumps(PATTERN), State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    events.put_targets(Rule="spoke", Targets=[{"Id": "hub", "Arn": HUB_BUS, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/forward"}])
    events.create_event_bus(Name="hub")
    events.put_rule(Name="to-queue", EventBusName="hub", EventPattern=json.dumps(PATTERN))
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:root-activity"
    events.put_targets(Rule="to-queue", EventBusName="hub", Targets=[{"Id": "q", "Arn": queue}])
    for number in range(55):  # more than one page of ListRules (moto's pages hold 50)
        events.put_rule(Name=f"bulk-{number:02}", EventBusName="hub", EventPattern=json.dumps({"source": [f"app.{number}"]}))
    out = tmp_path / "aws.duckdb"
    code = main(["snapshot", "from-aws", "--endpoint-url", aws, "--region", "us-east-1", "--region", "eu-west-1",
                 "-o", str(out), "--no-progress", "--report-poll", "0.05"])
    assert code == 0, capsys.readouterr().err
    assert query(out, """select region, event_bus_name, name, state, targets::varchar from aws_eventbridge_rule
                         where name not like 'bulk-%' order by name""") == [
        ("us-east-1", "default", "spoke", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
         json.dumps([{"Id": "hub", "Arn": HUB_BUS, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/forward"}], separators=(",", ":"))),
        ("us-east-1", "hub", "to-queue", "ENABLED", json.dumps([{"Id": "q", "Arn": queue}], separators=(",", ":"))),
    ]
    assert query(out, "select count(*), min(targets::varchar) from aws_eventbridge_rule where name like 'bulk-%'") == [(55, "[]")]
    assert query(out, "select event_pattern->'$.detail.userIdentity.invokedBy' from aws_eventbridge_rule where name = 'spoke'") == [
        ('[{"exists":false}]',)]
    info = read_snapshot_info_of(out)
    assert [i for i in info.issues if "events" in (i.source or "") or i.source == "aws_eventbridge_rule"] == []


@pytest.mark.moto
def test_from_aws_a_failing_region_is_not_captured(aws: str, tmp_path: Path, capsys) -> None:
    import boto3

    boto3.client("events", endpoint_url=aws, region_name="us-east-1").put_rule(Name="spoke", EventPattern=json.dumps(PATTERN))
    out = tmp_path / "aws.duckdb"
    # moto has no region xx-fake-1 and answers 500 there: every call of that region fails.
    code = main(["snapshot", "from-aws", "--endpoint-url", aws, "--region", "us-east-1", "--region", "xx-fake-1",
                 "-o", str(out), "--no-progress", "--report-poll", "0.05"])
    assert code == 2, capsys.readouterr().err
    info = read_snapshot_info_of(out)
    failed = {(i.kind, i.region, i.source) for i in info.issues if i.region == "xx-fake-1"}
    assert {("error", "xx-fake-1", "events:ListEventBuses"), ("error", "xx-fake-1", "events:ListRules"),
            ("not_captured", "xx-fake-1", "aws_eventbridge_rule")} <= failed
    assert info.uncaptured_tables()[ACCOUNT] >= {"aws_eventbridge_rule"}
    assert query(out, "select region, name from aws_eventbridge_rule") == [("us-east-1", "spoke")]


def read_snapshot_info_of(path: Path) -> Any:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return read_snapshot_info(con)
    finally:
        con.close()


# -- from Steampipe (PostgreSQL) -----------------------------------------------------------------


@pytest.mark.postgres
def test_from_steampipe_copies_the_rules_and_a_failure_is_not_captured(pg_dsn: str, tmp_path: Path, capsys) -> None:
    import psycopg

    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows

    scope = {"partition": "aws", "account_id": ACCOUNT, "region": "us-east-1", "sp_connection_name": "aws_prod",
             "sp_ctx": {"connection_name": "aws_prod"}, "_ctx": {"connection_name": "aws_prod"}}
    rules = [{**scope, "name": "spoke", "arn": SPOKE["Arn"], "state": SPOKE["State"], "event_bus_name": "default",
              "event_pattern": PATTERN, "name_prefix": "spoke", "created_by": ACCOUNT, "title": "spoke", "akas": [SPOKE["Arn"]],
              # Steampipe marshals the SDK's Target structs: every field, null where unset.
              "targets": [{"Id": "hub", "Arn": HUB_BUS, "RoleArn": None, "Input": None, "DeadLetterConfig": None}]}]
    given = {"aws_account": [{**scope, "region": "global", "arn": f"arn:aws:::{ACCOUNT}"}], "aws_eventbridge_rule": rules}
    with psycopg.connect(pg_dsn) as connection:
        schema = postgres_schema_with_rows(connection, given)
        try:
            out = tmp_path / "sp.duckdb"
            assert main(["snapshot", "from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(out), "--no-progress"]) == 0
            ((name, pattern, target, created_by),) = query(
                out, "select name, event_pattern::varchar, targets->>'$[0].Arn', created_by from aws_eventbridge_rule")
            assert (name, json.loads(pattern), target, created_by) == ("spoke", PATTERN, HUB_BUS, ACCOUNT)
            with connection.cursor() as cursor:  # the AWS call behind the table fails, as Steampipe reports it
                cursor.execute(f'ALTER TABLE "{schema}".aws_eventbridge_rule RENAME TO rule_data')
                cursor.execute(f'CREATE VIEW "{schema}".aws_eventbridge_rule AS SELECT * FROM "{schema}".rule_data WHERE 1 / 0 = 1')
            connection.commit()
            failed = tmp_path / "failed.duckdb"
            assert main(["snapshot", "from-steampipe", "--database", pg_dsn, "--connection", schema, "-o", str(failed), "--no-progress"]) == 2
            assert "division by zero" in capsys.readouterr().err
            assert read_snapshot_info_of(failed).uncaptured_tables() == {ACCOUNT: frozenset({"aws_eventbridge_rule"})}
        finally:
            connection.rollback()
            drop_postgres_schema(connection, schema)
