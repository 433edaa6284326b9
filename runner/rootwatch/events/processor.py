"""One batch of events, start to end: the query, de-duplication, severity, the message, delivery.

Shared by ``rootwatch events`` (stdin, files, SQS) and the hub's Lambda function. The caller reads
and sets aside what it cannot parse; :meth:`EventProcessor.process` does the rest and says which
inputs (``Event.origin``: a file, an SQS message id) must stay where they are because their alert
could not be delivered. The de-duplication state advances only with a delivered batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rootwatch.events.config import EventsConfig
from rootwatch.events.dedup import Deduplicator, DedupState
from rootwatch.events.evaluate import ActivityQuery
from rootwatch.events.message import alert_item, duplicate_item, root_activity_digest, unreadable_item
from rootwatch.events.reading import Event, Unreadable
from rootwatch.notify.message import Digest, Item

Send = Callable[[Digest], bool]
"""Deliver a digest; True when a notifier failed (:meth:`NotifySession.send_digest`)."""


@dataclass
class BatchReport:
    """What became of a batch."""

    events: int = 0
    alerts: int = 0
    repeated: int = 0
    """Events of a burst already alerted on, and events seen before."""
    excluded: int = 0
    """Events the query does not list (not root activity as it defines it)."""
    unreadable: int = 0
    delivered: bool = True
    """False when a notifier failed: the alerts were not remembered and their inputs stay."""
    keep: set[str] = field(default_factory=set)
    """Origins whose events must be tried again (their notification failed)."""
    items: list[Item] = field(default_factory=list)

    def add(self, other: BatchReport) -> None:
        """Fold ``other`` into this running total (items are not kept)."""
        self.events += other.events
        self.alerts += other.alerts
        self.repeated += other.repeated
        self.excluded += other.excluded
        self.unreadable += other.unreadable
        self.delivered = self.delivered and other.delivered
        self.keep |= other.keep

    def describe(self) -> str:
        parts = [f"{self.events} events", f"{self.alerts} alerted", f"{self.repeated} repeated", f"{self.excluded} not alerting"]
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable")
        return ", ".join(parts)


class EventProcessor:
    """Judges batches with the ``root_activity`` query and notifies through ``send``."""

    def __init__(
        self,
        query: ActivityQuery,
        config: EventsConfig,
        names: Mapping[str, str],
        *,
        state: DedupState | None = None,
        send: Send | None = None,
        save: Callable[[DedupState], None] | None = None,
    ) -> None:
        self.query = query
        self.config = config
        self.names = {**names, **config.account_names}
        self.dedup = Deduplicator(config.dedup_window, state)
        self.send = send
        self.save = save

    def process(self, events: Sequence[Event], unreadable: Sequence[tuple[Unreadable, str]] = (), *, source: str = "") -> BatchReport:
        """Judge ``events`` and notify; ``unreadable`` pairs what could not be read with where it
        was set aside ("moved to the dead-letter queue"), to be told at level ``error``."""
        activities = self.query.run(events)
        plan = self.dedup.plan(activities)
        rules = self.config.severity
        items = [alert_item(group, rules.classify(group.first.event.record), self.names) for group in plan.groups]
        items += [duplicate_item(a, alerted, rules.classify(a.event.record), self.names) for a, alerted in plan.duplicates]
        items += [unreadable_item(entry, where) for entry, where in unreadable]
        listed = {(a.event.account_id, a.event.event_id) for a in activities}
        excluded = sum(1 for e in events if (e.account_id, e.event_id) not in listed)
        # An event twice in one batch is listed once by the query: the other copy is a repeat.
        twice = len(events) - excluded - len(activities)
        report = BatchReport(
            events=len(events),
            alerts=len(plan.groups),
            repeated=sum(g.count - 1 for g in plan.groups) + len(plan.duplicates) + len(plan.repeats) + twice,
            excluded=excluded,
            unreadable=len(unreadable),
            items=items,
        )
        failed = bool(items) and self.send is not None and self.send(root_activity_digest(items, source))
        if failed:
            report.delivered = False
            told = [g.first for g in plan.groups] + [m for g in plan.groups for m in g.members] + [a for a, _ in plan.duplicates]
            report.keep = {a.event.origin for a in told}
            return report
        self.dedup.commit(plan)
        if self.save is not None:
            self.save(self.dedup.state)
        return report

