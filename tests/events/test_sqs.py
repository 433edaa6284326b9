"""``rootwatch events --sqs`` on moto's SQS on loopback, end to end to a real local webhook: delete
only what was handled, the dead-letter path first for what cannot be parsed, a failed notification
leaves the message on the queue, SIGTERM stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.events import ALERTS, document, fixture_documents
from helpers.receivers import REPO, write_config

pytestmark = [pytest.mark.moto, pytest.mark.usefixtures("aws_env", "no_user_config")]


@pytest.fixture()
def queues(moto_url: str, request):  # noqa: ANN001, ANN201
    """(client, queue URL, dead-letter queue URL), fresh for each test."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_url)
    name = f"root-activity-{request.node.name[:40].replace('[', '-').replace(']', '')}"
    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    return sqs, queue, dead


def _send(sqs, queue: str, bodies: list[str]) -> None:  # noqa: ANN001
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=body)


def _all_messages(sqs, queue: str) -> list[dict]:  # noqa: ANN001
    found: list[dict] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30,
                                    MessageAttributeNames=["All"]).get("Messages", [])  # fmt: skip
        if not batch:
            return found
        found += batch


def _args(moto_url: str, queue: str, *extra: str) -> list[str]:
    return ["events", "--sqs", queue, "--endpoint-url", moto_url, "--region", "us-east-1", "--wait-time", "0", *extra]


def test_every_fixture_through_the_queue_to_a_webhook(run_cli, queues, moto_url: str, http_sink, tmp_path: Path) -> None:
    sqs, queue, dead = queues
    _send(sqs, queue, fixture_documents())
    code, out, err = run_cli(*_args(moto_url, queue, "--once", "--dead-letter-queue", dead, "--output", "json",
                                     "--notify", f"webhook:{http_sink.url}/pager"))  # fmt: skip
    assert code == 1, err
    alerted = [json.loads(line)["event_id"] for line in out.splitlines()]
    assert sorted(alerted) == sorted(ALERTS)  # each once, across however many receives it took
    delivered = [item["event_id"] for request in http_sink.received for item in request.json()["items"]]
    assert sorted(delivered) == sorted(ALERTS)
    assert _all_messages(sqs, queue) == [] and _all_messages(sqs, dead) == []  # all handled, all deleted


def test_a_malformed_message_goes_to_the_dead_letter_queue_first(run_cli, queues, moto_url: str, http_sink) -> None:
    sqs, queue, dead = queues
    _send(sqs, queue, ['{"detail-type": "AWS API Call via CloudTrail", "detail": "oops"}', "not json at all"])
    code, _out, err = run_cli(*_args(moto_url, queue, "--once", "--dead-letter-queue", dead, "--notify", f"webhook:{http_sink.url}/ops"))
    assert code == 3, err
    assert _all_messages(sqs, queue) == []
    moved = sorted(_all_messages(sqs, dead), key=lambda m: m["Body"], reverse=True)
    assert [m["Body"] for m in moved] == ['{"detail-type": "AWS API Call via CloudTrail", "detail": "oops"}', "not json at all"]
    reasons = [m["MessageAttributes"]["rootwatch-reason"]["StringValue"] for m in moved]
    assert reasons[0] == "an EventBridge event whose detail is not an object" and reasons[1].startswith("not JSON")
    assert moved[0]["MessageAttributes"]["rootwatch-source-queue"]["StringValue"] == queue
    (told,) = http_sink.received  # the error level reaches the notifier
    assert told.json()["counts"] == {"error": 2} and "moved to the dead-letter queue" in told.json()["items"][0]["dead_letter"]


def test_without_a_dead_letter_queue_a_malformed_message_stays(run_cli, queues, moto_url: str) -> None:
    sqs, queue, _dead = queues
    _send(sqs, queue, ["not json"])
    code, _out, err = run_cli(*_args(moto_url, queue, "--once", "--visibility-timeout", "0"))
    assert code == 3 and "left on the queue for its redrive policy" in err
    assert [m["Body"] for m in _all_messages(sqs, queue)] == ["not json"]


def test_a_failed_notification_leaves_the_message_on_the_queue(run_cli, queues, moto_url: str, http_sink, tmp_path: Path) -> None:
    sqs, queue, _dead = queues
    alert, silent = document("assume-root-session.json"), document("root-service-invoked.json")
    _send(sqs, queue, [alert, silent])
    http_sink.refuse["/down"] = 503
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          down: {{type: webhook, url: "{http_sink.url}/down", retry: {{attempts: 2, backoff: 0.1}}}}
    """)
    code, _out, err = run_cli(*_args(moto_url, queue, "--once", "--visibility-timeout", "1", "--notify-config", str(config)))
    assert code == 5, err
    time.sleep(1.2)  # the visibility timeout runs out
    assert [m["Body"] for m in _all_messages(sqs, queue)] == [alert]  # kept; the silent one was handled and deleted
    http_sink.refuse.clear()
    sqs.send_message(QueueUrl=queue, MessageBody=alert)  # back (the test's receive above hid it again)
    code, _out, err = run_cli(*_args(moto_url, queue, "--once", "--notify-config", str(config)))
    assert code == 1 and len(http_sink.received) == 1, err


def test_the_queue_must_exist(run_cli, moto_url: str) -> None:
    code, _out, err = run_cli(*_args(moto_url, f"{moto_url}/123456789012/no-such-queue", "--once"))
    assert code == 3 and "cannot read SQS queue" in err and "Traceback" not in err


def test_sigterm_stops_cleanly(queues, moto_url: str, http_sink, tmp_path: Path) -> None:
    sqs, queue, dead = queues
    env = {**os.environ, "PYTHONPATH": str(REPO / "runner")}
    process = subprocess.Popen(
        [sys.executable, "-m", "rootwatch.cli.main", *_args(moto_url, queue), "--wait-time", "20", "--dead-letter-queue", dead,
         "--notify", f"webhook:{http_sink.url}/pager", "--state", str(tmp_path / "state.json"), "--output", "none"],
        env=env, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        _send(sqs, queue, [document("root-access-key-call.json")])
        http_sink.wait_for(1)  # handled while running
        time.sleep(0.5)  # back in its 20-second long poll
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - began < 5  # the long poll was cut short
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read() if process.stderr else ""
    assert "stopped: 1 events, 1 alerted" in stderr and "Traceback" not in stderr
    assert _all_messages(sqs, queue) == []
    assert json.loads((tmp_path / "state.json").read_text())["rootwatch_events_state"] == 1
