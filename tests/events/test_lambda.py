"""The hub function's handler: invoked in-process with real SQS-shaped batches, notifying a topic on
moto's server (read back through an SQS subscription); and the deployment package built by
scripts/build-lambda-package, within Lambda's limits, running the handler on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from helpers.events import ALERTS, document, fixture_documents
from helpers.receivers import REPO

pytestmark = [pytest.mark.moto, pytest.mark.usefixtures("aws_env", "no_user_config")]
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:rootwatch-root-activity"


def sqs_event(bodies: list[str]) -> dict:
    """A batch as Lambda's SQS event source delivers it."""
    return {"Records": [
        {"messageId": str(uuid.uuid4()), "receiptHandle": f"handle-{i}", "body": body,
         "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795000000000", "SenderId": "AIDAEXAMPLE",
                        "ApproximateFirstReceiveTimestamp": "1795000000001"},
         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": QUEUE_ARN, "awsRegion": "us-east-1"}
        for i, body in enumerate(bodies)
    ]}  # fmt: skip


@pytest.fixture()
def hub(moto_url: str, monkeypatch):  # noqa: ANN201
    """A topic with an SQS inbox subscribed, a dead-letter queue, and the function's environment."""
    import boto3

    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_url)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_url)
    name = uuid.uuid4().hex[:10]
    topic = sns.create_topic(Name=f"root-activity-{name}")["TopicArn"]
    inbox = sqs.create_queue(QueueName=f"inbox-{name}")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    dead = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("ROOTWATCH_TOPIC_ARN", topic)
    monkeypatch.setenv("ROOTWATCH_DEAD_LETTER_QUEUE_URL", dead)
    from rootwatch.events import lambda_handler

    lambda_handler.reset()
    yield {"sqs": sqs, "inbox": inbox, "dead": dead, "topic": topic}
    lambda_handler.reset()


def _published(sqs, inbox: str) -> list[dict]:  # noqa: ANN001
    """The JSON payloads the topic delivered to the inbox (the sqs protocol gets the payload)."""
    found = []
    while batch := sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        for message in batch:
            envelope = json.loads(message["Body"])
            found.append({"subject": envelope.get("Subject"), **json.loads(envelope["Message"])})
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_a_batch_of_every_fixture_notifies_the_topic(hub) -> None:
    from rootwatch.events.lambda_handler import handle

    event = sqs_event([*fixture_documents(), "not json"])
    assert handle(event, None) == {"batchItemFailures": []}  # the malformed one went to the dead-letter queue
    (payload,) = _published(hub["sqs"], hub["inbox"])
    assert payload["kind"] == "root_activity"
    assert {i["event_id"] for i in payload["items"] if i["status"] == "alarm"} == set(ALERTS)
    assert payload["counts"] == {"alarm": 7, "error": 1}
    assert payload["subject"].startswith("rootwatch: 7 root events in 4 accounts: CRITICAL")
    (dead,) = hub["sqs"].receive_message(QueueUrl=hub["dead"], MessageAttributeNames=["All"])["Messages"]
    assert dead["Body"] == "not json" and dead["MessageAttributes"]["rootwatch-reason"]["StringValue"].startswith("not JSON")
    # The warm instance remembers the burst: the same events again are repeats, nothing is published.
    assert handle(sqs_event(fixture_documents()), None) == {"batchItemFailures": []}
    assert _published(hub["sqs"], hub["inbox"]) == []


def test_variables_come_from_the_environment(hub, monkeypatch) -> None:
    from rootwatch.events.lambda_handler import handle

    monkeypatch.setenv("ROOTWATCH_VAR_root_activity_exclude_assumed_root", "true")
    assert handle(sqs_event([document("assume-root-session.json")]), None) == {"batchItemFailures": []}
    assert _published(hub["sqs"], hub["inbox"]) == []


def test_failures_are_reported_per_message(hub, monkeypatch) -> None:
    from rootwatch.events import lambda_handler

    monkeypatch.setenv("ROOTWATCH_TOPIC_ARN", hub["topic"] + "-gone")  # publishing fails (NotFound: not retried)
    monkeypatch.delenv("ROOTWATCH_DEAD_LETTER_QUEUE_URL")
    event = sqs_event([document("root-access-key-call.json"), document("non-root-call.json"), "{}"])
    alerting, silent, malformed = (r["messageId"] for r in event["Records"])
    result = lambda_handler.handle(event, None)
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted([alerting, malformed])
    assert silent not in {f["itemIdentifier"] for f in result["batchItemFailures"]}


def test_the_deployment_package_runs_the_handler_on_its_own(hub, tmp_path: Path, moto_url: str) -> None:
    """Built from this environment (same Python, no network), within Lambda's limits; unpacked, it
    runs the handler with nothing but the package and what Lambda's runtime provides (boto3)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    package = tmp_path / "rootwatch-lambda.zip"
    build = subprocess.run([sys.executable, str(REPO / "scripts" / "build-lambda-package"), "--from-environment",
                            "--python-version", version, "-o", str(package)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert "MB zipped" in build.stdout
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        unzipped = sum(info.file_size for info in archive.infolist())
        task_root = tmp_path / "task"
        archive.extractall(task_root)
    assert package.stat().st_size < 50_000_000 and unzipped < 250_000_000  # direct upload and unzipped limits
    assert "rootwatch/events/lambda_handler.py" in names and "queries/root_activity.sql" in names and "mod.yaml" in names
    assert not any(n.startswith(("psycopg", "boto3/", "botocore/", "openpyxl", "apprise", "moto/")) for n in names)
    # What Lambda's Python runtime provides besides the package: boto3 and its dependencies.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site = Path(__import__("boto3").__file__).parents[1]
    for name in ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "urllib3", "six.py"):
        (runtime / name).symlink_to(site / name)
    script = (
        "import json, sys\n"
        f"sys.path[:0] = [{str(task_root)!r}, {str(runtime)!r}]\n"
        "from rootwatch.events.lambda_handler import handle\n"
        "print(json.dumps(handle(json.loads(sys.stdin.read()), None)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(LAMBDA_TASK_ROOT=str(task_root), HOME=str(tmp_path))
    run = subprocess.run([sys.executable, "-I", "-S", "-c", script], input=json.dumps(sqs_event([document("root-console-signin-no-mfa.json")])),
                         capture_output=True, text=True, cwd=task_root, env=env, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == {"batchItemFailures": []}
    (payload,) = _published(hub["sqs"], hub["inbox"])
    assert payload["subject"] == "rootwatch: root ConsoleLogin in 444444444444: CRITICAL without MFA"
