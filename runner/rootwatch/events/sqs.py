"""Consuming root activity from an SQS queue (the hub rule's target), at least once.

Each receive is a long poll (``WaitTimeSeconds``) of up to ten messages, each hidden from other
consumers for the visibility timeout. A message is deleted only when its events were handled: its
alert delivered, or nothing to alert on. When a notifier fails, the message stays and comes back
after the visibility timeout (after the queue's ``maxReceiveCount`` receives, its redrive policy
moves it to the dead-letter queue). A message that cannot be parsed is sent to the dead-letter
queue (``--dead-letter-queue``) with the reason as message attributes, and deleted from the source
only once that send succeeded; without a dead-letter queue it is left for the redrive policy.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from rootwatch.errors import ConnectionFailed
from rootwatch.events.processor import BatchReport, EventProcessor
from rootwatch.events.reading import Event, Unreadable, parse_text
from rootwatch.events.stopping import Stopper

_REGION_IN_URL = re.compile(r"^https://sqs[.-]([a-z0-9-]+)\.amazonaws\.com")
MAX_ATTRIBUTE = 1024


@dataclass(frozen=True)
class SqsOptions:
    """Where and how to read."""

    queue_url: str
    dead_letter_queue_url: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    wait_seconds: int = 20
    max_messages: int = 10
    visibility_timeout: int = 300


def region_of(queue_url: str) -> str | None:
    """The region an AWS queue URL names (``https://sqs.eu-west-1.amazonaws.com/...``)."""
    match = _REGION_IN_URL.match(queue_url)
    return match.group(1) if match else None


class SqsQueue:
    """A queue and its optional dead-letter queue, through boto3."""

    def __init__(self, options: SqsOptions, client: Any = None) -> None:
        self.options = options
        if client is None:
            import boto3
            from botocore.config import Config

            session = boto3.Session(profile_name=options.profile, region_name=options.region or region_of(options.queue_url))
            # The long poll must outlast its wait; retries are the queue's own redelivery.
            config = Config(read_timeout=options.wait_seconds + 10, connect_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
            client = session.client("sqs", endpoint_url=options.endpoint_url, config=config)
        self.client = client

    def check(self) -> None:
        """Fail early, naming the queue, when it cannot be read (no such queue, no credentials)."""
        for url in filter(None, (self.options.queue_url, self.options.dead_letter_queue_url)):
            try:
                self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            except Exception as exc:  # noqa: BLE001 - botocore's errors, translated for the user
                raise ConnectionFailed(f"cannot read SQS queue {url}: {_aws_error(exc)}",
                                       hint="check the URL, the region (--region) and the credentials (--profile)") from None  # fmt: skip

    def receive(self) -> list[dict[str, Any]]:
        response = self.client.receive_message(
            QueueUrl=self.options.queue_url,
            MaxNumberOfMessages=self.options.max_messages,
            WaitTimeSeconds=self.options.wait_seconds,
            VisibilityTimeout=self.options.visibility_timeout,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        )
        return list(response.get("Messages") or [])

    def delete(self, messages: Sequence[dict[str, Any]]) -> list[str]:
        """Delete ``messages``; returns a description of each that could not be deleted."""
        problems = []
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            try:
                response = self.client.delete_message_batch(QueueUrl=self.options.queue_url, Entries=entries)
            except Exception as exc:  # noqa: BLE001 - the messages come back later; say why
                problems += [f"message {m['MessageId']}: {_aws_error(exc)}" for m in chunk]
                continue
            for failed in response.get("Failed") or []:
                problems.append(f"message {chunk[int(failed['Id'])]['MessageId']}: {failed.get('Code')}: {failed.get('Message', '')}")
        return problems

    def dead_letter(self, message: dict[str, Any], reason: str) -> None:
        """Send ``message``'s body to the dead-letter queue with why; raises ConnectionFailed."""
        assert self.options.dead_letter_queue_url
        attributes = {
            "rootwatch-reason": reason[:MAX_ATTRIBUTE],
            "rootwatch-source-queue": self.options.queue_url,
            "rootwatch-source-message-id": str(message["MessageId"]),
        }
        try:
            self.client.send_message(
                QueueUrl=self.options.dead_letter_queue_url,
                MessageBody=message.get("Body") or "(empty)",
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except Exception as exc:  # noqa: BLE001
            raise ConnectionFailed(f"cannot send to the dead-letter queue {self.options.dead_letter_queue_url}: {_aws_error(exc)}") from None


def _aws_error(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', '')}: {error.get('Message', '')}".strip(": ")
    return str(exc) or type(exc).__name__


def handle_messages(queue: SqsQueue, processor: EventProcessor, messages: Sequence[dict[str, Any]], out: TextIO) -> BatchReport:
    """Parse, set aside, judge, notify and delete one receive's messages."""
    events: list[Event] = []
    unreadable: list[tuple[Unreadable, str]] = []
    done: list[dict[str, Any]] = []
    by_id = {str(m["MessageId"]): m for m in messages}
    for message in messages:
        message_id = str(message["MessageId"])
        parsed = parse_text(message.get("Body") or "", f"SQS message {message_id}", message_id)
        if not parsed.unreadable:
            events += parsed.events
            continue
        entry = parsed.unreadable[0]
        if queue.options.dead_letter_queue_url is None:
            unreadable.append((entry, "left on the queue for its redrive policy (no --dead-letter-queue)"))
            continue
        try:
            queue.dead_letter(message, entry.reason)
        except ConnectionFailed as exc:
            unreadable.append((entry, f"left on the queue: {exc.message}"))
            continue
        unreadable.append((entry, "moved to the dead-letter queue"))
        done.append(message)
    for entry, where in unreadable:
        out.write(f"rootwatch: cannot read {entry.where}: {entry.reason}; {where}\n")
    report = processor.process(events, unreadable, source=f"SQS queue {queue.options.queue_url}")
    handled = {e.origin for e in events} - report.keep
    done += [by_id[i] for i in sorted(handled)]
    for problem in queue.delete(done):
        out.write(f"rootwatch: could not delete {problem}; it will be received again\n")
    return report


def consume(queue: SqsQueue, processor: EventProcessor, stopper: Stopper, *, once: bool, on_batch: Any = None, out: TextIO | None = None) -> BatchReport:
    """Receive and handle until stopped (or, with ``once``, until a receive brings no message not
    already handled in this run)."""
    out = out or sys.stderr
    total = BatchReport()
    pause = 1.0
    handled: set[str] = set()
    while not stopper.requested:
        try:
            messages = stopper.during_wait(queue.receive)
        except Exception as exc:  # noqa: BLE001 - botocore's errors: a network blip must not end a service
            if once:
                raise ConnectionFailed(f"cannot receive from {queue.options.queue_url}: {_aws_error(exc)}") from None
            out.write(f"rootwatch: cannot receive from {queue.options.queue_url}: {_aws_error(exc)}; trying again in {pause:g} s\n")
            _sleep(stopper, pause)
            pause = min(pause * 2, 60.0)
            continue
        if messages is None:  # stopped during the poll
            break
        pause = 1.0
        if once:
            # A message left on the queue (its notification failed, no dead-letter queue) comes
            # back; "until the queue is empty" means until nothing new arrives.
            messages = [m for m in messages if m["MessageId"] not in handled]
            handled.update(m["MessageId"] for m in messages)
            if not messages:
                break
        if not messages:
            continue
        report = handle_messages(queue, processor, messages, out)
        total.add(report)
        if on_batch is not None:
            on_batch(report)
    return total


def _sleep(stopper: Stopper, seconds: float) -> None:
    import time

    stopper.during_wait(lambda: time.sleep(seconds))
