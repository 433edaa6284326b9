"""SNS through moto's server on loopback, read back through an SQS subscription; Apprise pointed at
a local HTTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.receivers import write_config

pytestmark = pytest.mark.moto


@pytest.fixture()
def aws_env(monkeypatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def test_sns_publish_read_back_through_sqs(run_cli, example: Path, moto_url: str, aws_env, tmp_path: Path) -> None:
    import boto3

    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_url)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_url)
    topic = sns.create_topic(Name="root-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="root-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          topic: {{type: sns, topic_arn: "{topic}", endpoint_url: "{moto_url}"}}
    """)
    code, _out, err = run_cli("benchmark", "run", "root", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 1, err
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]
    (message,) = received
    envelope = json.loads(message["Body"])
    assert envelope["Subject"].startswith("rootwatch: 12 alarms in 4 accounts: root access key")
    assert len(envelope["Subject"]) < 100
    payload = json.loads(envelope["Message"])  # the sqs protocol gets the JSON payload
    assert payload["schema"] == "rootwatch.notification/1"
    assert {item["account_name"] for item in payload["items"]} == {"example-acquired", "example-legacy", "example-sandbox", "example-workloads"}


def test_sns_message_structure() -> None:
    from rootwatch.notify.message import Message
    from rootwatch.notify.sns import sns_subject, structured

    message = Message("rootwatch: 1 alarm — café", "line one\n", "<p>x</p>", {"schema": "s", "items": []}, "rootwatch: 1 alarm")
    parts = structured(message)
    assert parts["email"] == parts["default"] == "line one\n"
    assert json.loads(parts["email-json"]) == {"schema": "s", "items": []} == json.loads(parts["sqs"])
    assert parts["sms"] == "rootwatch: 1 alarm"
    assert sns_subject(message.subject) == "rootwatch: 1 alarm  cafe".replace("  ", " ")
    assert len(sns_subject("x" * 300)) == 99


def test_sns_unknown_topic_is_a_final_failure(run_cli, example: Path, moto_url: str, aws_env, tmp_path: Path) -> None:
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          topic: {{type: sns, topic_arn: "arn:aws:sns:us-east-1:123456789012:nobody-made-this", endpoint_url: "{moto_url}"}}
    """)
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 5
    assert "notifier topic (sns topic arn:aws:sns:us-east-1:123456789012:nobody-made-this) failed after 1 attempt" in err
    assert "NotFound" in err


def test_apprise_url_to_a_local_server(run_cli, example: Path, http_sink, monkeypatch) -> None:
    pytest.importorskip("apprise")
    host = http_sink.url.removeprefix("http://")
    monkeypatch.setenv("APPRISE_URL", f"json://{host}/apprise-hook?token=secret-token")
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify", "apprise:env:APPRISE_URL")
    assert code == 1, err
    (request,) = http_sink.received
    assert request.path.startswith("/apprise-hook")
    body = request.json()
    assert body["title"] == "rootwatch: 1 alarm in 1 account: root access key"
    assert "333333333333 (example-legacy)  Root user has no access keys" in body["message"]
    assert body["type"] == "warning"


def test_apprise_failure_masks_the_url(run_cli, example: Path, http_sink, tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    http_sink.refuse["/apprise-hook"] = 500
    host = http_sink.url.removeprefix("http://")
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          other: {{type: apprise, url: "json://{host}/apprise-hook?secret=hidden-value", retry: {{attempts: 2, backoff: 0.05}}}}
    """)
    code, _out, err = run_cli("control", "run", "root_no_access_keys", "--snapshot", str(example), "--output", "none", "--notify-config", str(config))
    assert code == 5
    assert "notifier other (apprise json://***) failed after 2 attempts" in err
    assert "hidden-value" not in err
