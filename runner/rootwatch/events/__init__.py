"""Root activity as it happens: ``rootwatch events`` and the hub's Lambda function.

An event (an EventBridge event, a bare CloudTrail record, a record of a log file) is read
(:mod:`~rootwatch.events.reading`), judged by the ``root_activity`` query itself run on an
in-memory table of the batch (:mod:`~rootwatch.events.evaluate`), de-duplicated per account, source
IP and event name (:mod:`~rootwatch.events.dedup`), given a severity
(:mod:`~rootwatch.events.severity`), written as a readable message
(:mod:`~rootwatch.events.message`) and sent through the notifiers (:mod:`rootwatch.notify`), by
:class:`~rootwatch.events.processor.EventProcessor`. Sources: stdin and files
(:mod:`~rootwatch.events.local`), an SQS queue (:mod:`~rootwatch.events.sqs`), and Lambda's SQS
event source (:mod:`~rootwatch.events.lambda_handler`). docs/events.md is the user's guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rootwatch.events.config import EventsConfig
    from rootwatch.events.dedup import DedupState
    from rootwatch.events.processor import EventProcessor, Send
    from rootwatch.mod.model import Mod


def snapshot_account_names(path: Path | None) -> Mapping[str, str]:
    """Account names (Organizations names, else aliases) from a snapshot; empty without one."""
    if path is None:
        return {}
    from rootwatch.accounts import account_names
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.open(path)
    try:
        return account_names(engine, engine.default_as_of())
    finally:
        engine.close()


def build_processor(
    mod: Mod,
    variables: Mapping[str, Any],
    config: EventsConfig,
    *,
    snapshot: Path | None = None,
    state: DedupState | None = None,
    send: Send | None = None,
    save: Any = None,
) -> EventProcessor:
    """A processor judging events with ``mod``'s ``root_activity`` query and ``variables``."""
    from rootwatch.events.evaluate import ActivityQuery
    from rootwatch.events.processor import EventProcessor

    names = snapshot_account_names(snapshot)
    return EventProcessor(ActivityQuery(mod, variables), config, names, state=state, send=send, save=save)
