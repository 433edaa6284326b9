"""The hub and spoke stacks deployed through CloudFormation on moto's server, read back through the
APIs, and the sample events sent through the deployed rules.

moto's CloudFormation creates the bus, rules and targets, queues, topic and subscription, log
group, roles, function and event source mapping; it passes over ``AWS::SQS::QueuePolicy`` and
``AWS::CloudWatch::Alarm`` and does not apply an event bus's ``Policy`` (those are checked in the
template by test_templates.py; the bus policy is also put through PutPermission here and read back).

moto does not implement EventBridge's TestEventPattern. The spoke pattern is checked instead by
moto's own event delivery, which matches patterns as EventBridge does: each sample event is put on
a member account's default bus, where the spoke rule forwards what it matches across accounts to
the hub bus, whose rule delivers it to the hub's queue; what reaches the queue is what matched.
"""

from __future__ import annotations

import ast
import io
import json
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from deploy_support import HUB, SPOKE, fixture_events, resource, substitute

boto3 = pytest.importorskip("boto3")

# moto says, as a warning, which resource types its CloudFormation passes over (see above).
pytestmark = [pytest.mark.moto, pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")]

HUB_ACCOUNT = "123456789012"  # moto's default account
MEMBER = "222222222222"
ORGANIZATION = "o-a1b2c3d4e5"
BUS = "rootwatch-root-activity"
FORWARDED = {"root-console-signin-mfa", "root-console-signin-no-mfa", "root-console-signin-failed",
             "root-access-key-call", "assume-root-session", "root-api-burst"}
LEFT_OUT = {"root-service-invoked", "aws-service-event", "non-root-call"}


class Aws:
    """boto3 clients on moto's server, in the hub account or (through an assumed role) another."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def client(self, service: str, region: str = "us-east-1", account: str = HUB_ACCOUNT) -> Any:
        session = self._base
        if account != HUB_ACCOUNT:
            credentials = self._base.client("sts", endpoint_url=self.url).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="deploy")["Credentials"]
            session = boto3.Session(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
        return session.client(service, region_name=region, endpoint_url=self.url)

    def deploy(self, name: str, body: str, parameters: dict[str, str], *, region: str = "us-east-1",
               account: str = HUB_ACCOUNT) -> dict[str, str]:
        """Create the stack and return its outputs; the stack must reach CREATE_COMPLETE."""
        cloudformation = self.client("cloudformation", region, account)
        cloudformation.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
                                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


@pytest.fixture()
def aws(moto_url: str) -> Iterator[Aws]:
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    yield Aws(moto_url)


def _deploy_hub(aws: Aws, email: str = "oncall@example.com") -> dict[str, str]:
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("rootwatch/__init__.py", "")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="rootwatch-code")
    s3.put_object(Bucket="rootwatch-code", Key="rootwatch.zip", Body=package.getvalue())
    return aws.deploy("rootwatch-hub", HUB.read_text(), {
        "OrganizationId": ORGANIZATION, "CodeS3Bucket": "rootwatch-code", "CodeS3Key": "rootwatch.zip", "NotificationEmail": email})


def _deploy_spoke(aws: Aws, account: str, region: str) -> dict[str, str]:
    return aws.deploy("rootwatch-spoke", SPOKE.read_text(), {"HubAccountId": HUB_ACCOUNT, "HubRegion": "us-east-1"},
                      region=region, account=account)


def test_the_hub_stack_creates_what_it_promises(aws: Aws) -> None:
    outputs = _deploy_hub(aws)
    hub_bus = f"arn:aws:events:us-east-1:{HUB_ACCOUNT}:event-bus/{BUS}"
    assert outputs["HubEventBusArn"] == hub_bus

    events = aws.client("events")
    assert events.describe_event_bus(Name=BUS)["Arn"] == hub_bus
    (rule,) = events.list_rules(EventBusName=BUS)["Rules"]
    assert (rule["Name"], rule["State"]) == ("rootwatch-root-activity-to-queue", "ENABLED")
    assert json.loads(rule["EventPattern"]) == resource(HUB, "HubRule")["EventPattern"]
    queue_arn = f"arn:aws:sqs:us-east-1:{HUB_ACCOUNT}:rootwatch-root-activity"
    dead_letters = f"{queue_arn}-dlq"
    (target,) = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=BUS)["Targets"]
    assert (target["Arn"], target["DeadLetterConfig"]["Arn"]) == (queue_arn, dead_letters)

    # The bus policy as the template writes it, through the API (moto's CloudFormation skips it).
    policy = resource(HUB, "HubBus")["Policy"]
    names = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": HUB_ACCOUNT, "EventBusName": BUS}
    statement = policy["Statement"][0]
    statement["Resource"] = substitute(statement["Resource"]["Fn::Sub"], names)
    statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = ORGANIZATION
    events.put_permission(EventBusName=BUS, Policy=json.dumps(policy))
    (applied,) = json.loads(events.describe_event_bus(Name=BUS)["Policy"])["Statement"]
    assert applied["Resource"] == hub_bus and applied["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}}

    sqs = aws.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["QueueUrl"], AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dead_letters, "maxReceiveCount": 5}
    assert attributes["VisibilityTimeout"] == "360" and attributes["SqsManagedSseEnabled"] == "true"
    assert sqs.get_queue_attributes(QueueUrl=outputs["DeadLetterQueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == dead_letters

    topic = outputs["TopicArn"]
    assert topic == f"arn:aws:sns:us-east-1:{HUB_ACCOUNT}:rootwatch-root-activity"
    subscriptions = aws.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "oncall@example.com")]

    lambda_ = aws.client("lambda")
    function = lambda_.get_function(FunctionName=outputs["FunctionName"])
    configuration = function["Configuration"]
    assert (configuration["Handler"], configuration["Runtime"]) == ("rootwatch.events.lambda_handler.handle", "python3.12")
    assert function["Concurrency"] == {"ReservedConcurrentExecutions": 2}
    assert configuration["Environment"]["Variables"] == {"ROOTWATCH_TOPIC_ARN": topic,
                                                         "ROOTWATCH_DEAD_LETTER_QUEUE_URL": outputs["DeadLetterQueueUrl"]}
    (mapping,) = lambda_.list_event_source_mappings(FunctionName=outputs["FunctionName"])["EventSourceMappings"]
    assert mapping["EventSourceArn"] == queue_arn

    iam = aws.client("iam")
    role_name = configuration["Role"].rsplit("/", 1)[1]
    assert {s["Sid"]: s["Resource"] for s in _statements(iam, role_name)} == {
        "ReadTheQueue": queue_arn, "SetAsideWhatCannotBeParsed": dead_letters, "Notify": topic,
        "WriteItsLog": f"arn:aws:logs:us-east-1:{HUB_ACCOUNT}:log-group:/aws/lambda/rootwatch-root-activity:*"}
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []


def test_the_hub_stack_without_an_email_has_no_subscription(aws: Aws) -> None:
    outputs = _deploy_hub(aws, email="")
    assert aws.client("sns").list_subscriptions_by_topic(TopicArn=outputs["TopicArn"])["Subscriptions"] == []


def test_the_spoke_stack_in_every_region_and_in_the_hub_account(aws: Aws) -> None:
    _deploy_hub(aws)
    hub_bus = f"arn:aws:events:us-east-1:{HUB_ACCOUNT}:event-bus/{BUS}"
    for account in (MEMBER, HUB_ACCOUNT):
        for region in ("us-east-1", "eu-west-1"):  # one role per region: the names must not collide
            outputs = _deploy_spoke(aws, account, region)
            assert outputs["HubEventBusArn"] == hub_bus
            (rule,) = aws.client("events", region, account).list_rules()["Rules"]
            assert (rule["Name"], rule["EventBusName"], rule["State"]) == (
                "rootwatch-root-activity-spoke", "default", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
            assert json.loads(rule["EventPattern"]) == resource(SPOKE, "RootActivityRule")["EventPattern"]
            role = f"arn:aws:iam::{account}:role/rootwatch-root-activity-spoke-{region}"
            (target,) = aws.client("events", region, account).list_targets_by_rule(Rule=rule["Name"])["Targets"]
            assert (target["Arn"], target["RoleArn"]) == (hub_bus, role) == (hub_bus, outputs["ForwarderRoleArn"])
            iam = aws.client("iam", region, account)
            trust = iam.get_role(RoleName=role.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
            assert trust["Condition"]["StringEquals"]["aws:SourceArn"] == rule["Arn"]
            (allowed,) = _statements(iam, role.rsplit("/", 1)[1])
            assert (allowed["Action"], allowed["Resource"]) == ("events:PutEvents", hub_bus)


def _statements(iam: Any, role_name: str) -> list[dict[str, Any]]:
    """The statements of a role's one inline policy.

    moto's CloudFormation stores an inline policy as Python's text of the dictionary, which its IAM
    then returns as a string; AWS returns the JSON document (boto3 decodes it).
    """
    (name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = ast.literal_eval(urllib.parse.unquote(document))
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _drain(aws: Aws, queue_url: str) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    received: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        received += [json.loads(m["Body"]) for m in messages]
    return received


def test_the_spoke_pattern_forwards_root_activity_and_leaves_the_rest(aws: Aws) -> None:
    outputs = _deploy_hub(aws)
    # Paused: moto would hand each queued message to the function, which it cannot run (no Docker).
    lambda_ = aws.client("lambda")
    for mapping in lambda_.list_event_source_mappings(FunctionName=outputs["FunctionName"])["EventSourceMappings"]:
        lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    _deploy_spoke(aws, MEMBER, "us-east-1")
    member_events = aws.client("events", "us-east-1", MEMBER)
    samples = fixture_events()
    assert set(samples) == FORWARDED | LEFT_OUT
    # An AwsServiceEvent that came with the API call detail type is still left out (eventType).
    disguised = {**samples["aws-service-event"][0], "detail-type": "AWS API Call via CloudTrail"}
    for event in [e for found in samples.values() for e in found] + [disguised]:
        (entry,) = member_events.put_events(Entries=[{
            "Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}])["Entries"]
        assert "EventId" in entry, entry

    arrived = [(e["detail-type"], e["detail"]["eventID"]) for e in _drain(aws, outputs["QueueUrl"])]
    expected = [(e["detail-type"], e["detail"]["eventID"]) for name in FORWARDED for e in samples[name]]
    assert sorted(arrived) == sorted(expected)
    assert len(arrived) == 11  # five sign-in/API samples and the burst's six calls, each forwarded
