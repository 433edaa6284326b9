"""The hub and spoke templates pass cfn-lint and say what docs/hub-and-spoke.md promises: the fixes
of the sample monitor's weaknesses are in the templates, not only in prose."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deploy_support import HUB, SPOKE, fixture_events, resource, template

ROOT_DETAIL_TYPES = ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"]


@pytest.mark.parametrize("path", [SPOKE, HUB], ids=lambda p: p.name)
def test_cfn_lint_passes(path: Path) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    assert cfn_lint.exists(), "cfn-lint comes with the test extra (pip install -e '.[test]')"
    done = subprocess.run([str(cfn_lint), "--regions", "us-east-1", "eu-west-1", "ap-southeast-2", "--", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_spoke_rule_sees_read_only_calls_and_leaves_service_events_out() -> None:
    rule = resource(SPOKE, "RootActivityRule")
    assert rule["EventBusName"] == "default"
    assert rule["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"  # ENABLED misses Describe/Get/List
    assert rule["EventPattern"] == {
        "detail-type": ROOT_DETAIL_TYPES,
        "detail": {
            "userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]},
            "eventType": [{"anything-but": "AwsServiceEvent"}],
        },
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::Sub": "arn:${AWS::Partition}:events:${HubRegion}:${HubAccountId}:event-bus/${HubEventBusName}"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwarderRole", "Arn"]}


def test_the_spoke_role_may_only_put_events_on_the_hub_bus_for_its_own_rule() -> None:
    role = resource(SPOKE, "ForwarderRole")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"]["StringEquals"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/rootwatch-root-activity-spoke"}
    (policy,) = role["Policies"]
    (allowed,) = policy["PolicyDocument"]["Statement"]
    assert (allowed["Effect"], allowed["Action"]) == ("Allow", "events:PutEvents")
    assert allowed["Resource"] == resource(SPOKE, "RootActivityRule")["Targets"][0]["Arn"]
    # Regional stacks of one StackSet share the account: the role's name must differ per region.
    assert "${AWS::Region}" in role["RoleName"]["Fn::Sub"]


def test_the_hub_bus_admits_the_organisation_only() -> None:
    bus = resource(HUB, "HubBus")
    (statement,) = bus["Policy"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Allow", "*", "events:PutEvents")
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    assert template(HUB)["Parameters"]["OrganizationId"]["AllowedPattern"] == "^o-[a-z0-9]{10,32}$"


def test_the_hub_buffers_in_a_queue_with_a_dead_letter_queue_and_least_privilege() -> None:
    rule = resource(HUB, "HubRule")
    assert rule["EventBusName"] == {"Fn::GetAtt": ["HubBus", "Name"]}
    assert rule["EventPattern"]["source"] == [{"prefix": "aws."}]  # no forged events from PutEvents
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    assert resource(HUB, "Queue")["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    sends = resource(HUB, "QueuePolicy")["PolicyDocument"]["Statement"][0]
    assert sends["Principal"] == {"Service": "events.amazonaws.com"}
    assert sends["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["HubRule", "Arn"]}}}

    function = resource(HUB, "Function")
    assert function["Handler"] == "rootwatch.events.lambda_handler.handle"
    assert function["Runtime"].startswith("python3.")
    assert function["Code"] == {"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}}
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    mapping = resource(HUB, "QueueToFunction")
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ReservedConcurrency"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    statements = resource(HUB, "FunctionRole")["Policies"][0]["PolicyDocument"]["Statement"]
    # Named resources only (the log group's streams end in :*), and named actions.
    named = [s["Resource"]["Fn::Sub"] if "Fn::Sub" in s["Resource"] else json.dumps(s["Resource"]) for s in statements]
    assert all("*" not in text.removesuffix(":*") for text in named), named
    assert all(not str(s["Action"]).endswith(":*") for s in statements)
    assert {s["Sid"]: s["Resource"] for s in statements} == {
        "ReadTheQueue": {"Fn::GetAtt": ["Queue", "Arn"]},
        "SetAsideWhatCannotBeParsed": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "Notify": {"Ref": "Topic"},
        "WriteItsLog": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${FunctionLogGroup}:*"},
    }
    assert "ManagedPolicyArns" not in resource(HUB, "FunctionRole")
    alarm = resource(HUB, "DeadLetterAlarm")
    assert alarm["AlarmActions"] == [{"Ref": "Topic"}] and alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}


def test_the_fixtures_are_eventbridge_envelopes_of_cloudtrail_records() -> None:
    envelope = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    events = fixture_events()
    assert len(events) == 9 and len(events["root-api-burst"]) == 6
    for name, found in events.items():
        for event in found:
            assert set(event) == envelope, name
            detail = event["detail"]
            assert detail["recipientAccountId"] == event["account"] == detail["userIdentity"]["accountId"], name
            assert detail["eventSource"].split(".")[0] == event["source"].removeprefix("aws."), name
            assert detail["eventTime"] == event["time"] and detail["awsRegion"] == event["region"], name
