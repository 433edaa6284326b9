"""The hub's function: ``rootwatch.events.lambda_handler.handle``, fed by the hub queue.

AWS Lambda's Python convention: ``handle(event, context)`` with ``event`` an SQS batch
(``{"Records": [{"messageId", "receiptHandle", "body", ...}]}``), returning the messages it could
not handle as ``{"batchItemFailures": [{"itemIdentifier": messageId}]}`` (the event source
mapping's ``ReportBatchItemFailures``): Lambda deletes the rest and the queue delivers those again
(after ``maxReceiveCount`` receives, its redrive policy moves them to the dead-letter queue).

Each batch runs exactly what ``rootwatch events`` runs (:class:`EventProcessor`: the
``root_activity`` query on an in-memory DuckDB table, severity, de-duplication, the message).
Configuration, from the function's environment:

``ROOTWATCH_TOPIC_ARN``
    the SNS topic to notify (the hub template's topic)
``ROOTWATCH_DEAD_LETTER_QUEUE_URL``
    where a message that cannot be parsed is sent at once (then it counts as handled); without it,
    it is reported as a failure and reaches the dead-letter queue by the redrive policy
``ROOTWATCH_NOTIFY`` and ``ROOTWATCH_NOTIFY_LEVEL``
    more notifiers (comma-separated, as ``--notify``), at a level (default ``info``)
``ROOTWATCH_CONFIG``
    a ``rootwatch.yaml`` (default: the one beside the mod in the package, if any): severity rules,
    the de-duplication window, account names, named notifiers
``ROOTWATCH_SNAPSHOT``
    a snapshot in the package to take account names from
``ROOTWATCH_VAR_<name>``
    the ``root_activity_*`` variables, e.g. ``ROOTWATCH_VAR_root_activity_exclude_assumed_root=true``

De-duplication state lives in the warm instance's memory: bursts within one batch, and across the
batches one instance handles, are one alert; a cold start (or a second concurrent instance) may
alert once more for a burst it did not see begin.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_PROCESSOR: Any = None
"""The warm instance's processor (mod, compiled query, DuckDB table, routes, de-duplication state)."""


def handle(event: Mapping[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:  # noqa: ARG001 - Lambda's signature
    """Handle one SQS batch; returns the partial batch response."""
    from rootwatch.events.reading import Event, Unreadable, parse_text

    processor, dead_letters = _setup()
    records: Sequence[Mapping[str, Any]] = event.get("Records") or []
    failures: set[str] = set()
    events: list[Event] = []
    unreadable: list[tuple[Unreadable, str]] = []
    for record in records:
        message_id = str(record.get("messageId"))
        parsed = parse_text(str(record.get("body") or ""), f"SQS message {message_id}", message_id)
        events += parsed.events
        for entry in parsed.unreadable[:1]:
            where = dead_letters.put(record, entry.reason)
            if where is None:
                failures.add(message_id)
                where = "left on the queue for its redrive policy"
            unreadable.append((entry, where))
    report = processor.process(events, unreadable, source="the hub queue")
    failures |= report.keep
    _log(f"{len(records)} messages: {report.describe()}; {len(failures)} to retry")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in sorted(failures)]}


class _DeadLetters:
    """``ROOTWATCH_DEAD_LETTER_QUEUE_URL``, through the SQS consumer's own code."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._queue: Any = None

    def put(self, record: Mapping[str, Any], reason: str) -> str | None:
        """Send the record's body there; what became of it, or None when it could not be sent."""
        if not self.url:
            return None
        from rootwatch.errors import ConnectionFailed
        from rootwatch.events.sqs import SqsOptions, SqsQueue

        if self._queue is None:
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            self._queue = SqsQueue(SqsOptions(queue_url=str(record.get("eventSourceARN") or ""), dead_letter_queue_url=self.url, region=region))
        message = {"MessageId": record.get("messageId"), "Body": record.get("body")}
        try:
            self._queue.dead_letter(message, reason)
        except ConnectionFailed as exc:
            _log(exc.message)
            return None
        return "moved to the dead-letter queue"


def _setup() -> tuple[Any, _DeadLetters]:
    global _PROCESSOR
    if _PROCESSOR is None:
        _PROCESSOR = (_build(os.environ), _DeadLetters(os.environ.get("ROOTWATCH_DEAD_LETTER_QUEUE_URL")))
    return _PROCESSOR


def _build(environ: Mapping[str, str]) -> Any:
    """The processor the environment describes (raises, failing the invocation, when it is wrong:
    Lambda then retries the batch and the error is in the function's log)."""
    # The function's home is read-only; the schema-validation cache goes to /tmp.
    os.environ.setdefault("ROOTWATCH_CACHE_DIR", "/tmp/rootwatch-cache")  # noqa: S108 - Lambda's only writable place
    from rootwatch import api
    from rootwatch.events import build_processor
    from rootwatch.events.config import EventsConfig, find_config
    from rootwatch.notify.config import NotifyConfig, resolve_routes, route_from, target_options
    from rootwatch.notify.message import Level
    from rootwatch.notify.session import NotifySession

    # The package holds the mod at its top (scripts/build-lambda-package), where Lambda unpacks it.
    task_root = environ.get("LAMBDA_TASK_ROOT")
    mod = api.load_mod(Path(task_root) if task_root and not environ.get("ROOTWATCH_MOD_LOCATION") else None)
    explicit = Path(environ["ROOTWATCH_CONFIG"]) if environ.get("ROOTWATCH_CONFIG") else None
    config_path = find_config(explicit, mod.location)
    routes = []
    if environ.get("ROOTWATCH_TOPIC_ARN"):
        routes.append(route_from(target_options(f"sns:{environ['ROOTWATCH_TOPIC_ARN']}"), Level.INFO))
    targets = [t.strip() for t in environ.get("ROOTWATCH_NOTIFY", "").split(",") if t.strip()]
    if targets:
        level = Level.parse(environ.get("ROOTWATCH_NOTIFY_LEVEL", "info"), "ROOTWATCH_NOTIFY_LEVEL")
        routes += resolve_routes(targets, level, NotifyConfig.load(config_path, mod.location), explicit_config=False)
    if not routes:
        raise RuntimeError("no notifier: set ROOTWATCH_TOPIC_ARN (or ROOTWATCH_NOTIFY)")
    session = NotifySession(routes=routes, command="events (Lambda)", out=sys.stdout)
    snapshot = Path(environ["ROOTWATCH_SNAPSHOT"]) if environ.get("ROOTWATCH_SNAPSHOT") else None
    return build_processor(mod, api.resolve_variables(mod), EventsConfig.load(config_path), snapshot=snapshot, send=session.send_digest)


def reset() -> None:
    """Forget the warm instance (tests change the environment between invocations)."""
    global _PROCESSOR
    _PROCESSOR = None


def _log(text: str) -> None:
    # Lambda sends stdout to the function's log group.
    sys.stdout.write(f"rootwatch events: {text}\n")
    sys.stdout.flush()
