"""EventBridge rules of one account and region through the API, as Steampipe lists them.

Every event bus is read, not only the default one: a spoke rule forwarding root activity lives on
the default bus, but the hub's rule lives on a custom bus (ListEventBuses, then ListRules per bus,
then ListTargetsByRule per rule, each followed through its NextToken pages).

A call that fails is recorded by the caller's ``call`` as an ``error`` issue. The rules that were
read are kept, but the region's capture is then incomplete: a failed ListRules (or ListEventBuses,
which hides the custom buses) means a missing rule is no evidence that none exists, so the reader
records ``not_captured`` for the account and region. A failed ListTargetsByRule leaves that rule's
``targets`` NULL, which says the same for that rule alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rootwatch.snapshot.metadata import NOT_CAPTURED, SnapshotIssue
from rootwatch.snapshot.transforms import Origin, Row, eventbridge_rule_rows
from rootwatch.snapshot.transforms.eventbridge import DEFAULT_BUS

TABLE = "aws_eventbridge_rule"

Call = Callable[[str, "str | None", Callable[[], Any]], Any]
"""``call(source, region, action)``: ``action()``, or None with its failure recorded as an issue."""


@dataclass(frozen=True)
class EventRules:
    """What one region gave: the rules read, and whether every bus's rules were read."""

    rows: list[Row]
    complete: bool

    def not_captured(self, account_id: str, region: str) -> SnapshotIssue | None:
        """The ``not_captured`` issue of an incomplete region, else None."""
        if self.complete:
            return None
        return SnapshotIssue(NOT_CAPTURED, "a call listing EventBridge buses or rules failed (see its error); "
                             "rules missing here may exist", account_id, region, TABLE)


def read_event_rules(call: Call, events: Callable[[], Any], origin: Origin, region: str) -> EventRules:
    """Every rule of every event bus of ``region``, with its targets.

    ``events`` makes (or returns) the region's EventBridge client; it is called inside ``call`` so
    a client botocore refuses to make is recorded like a failed call.
    """
    listed = call("events:ListEventBuses", region, lambda: _all(events(), "list_event_buses", "EventBuses"))
    complete = listed is not None
    names = {bus.get("Name") for bus in (listed or {}).get("EventBuses", [])} - {None, DEFAULT_BUS}
    rows: list[Row] = []
    for bus in [DEFAULT_BUS, *sorted(names)]:
        rules = call("events:ListRules", region, lambda: _all(events(), "list_rules", "Rules", EventBusName=bus))
        if rules is None:
            complete = False
            continue
        targets: dict[str, Any] = {}
        for rule in rules["Rules"]:
            name = rule.get("Name")
            found = call("events:ListTargetsByRule", region,
                         lambda: _all(events(), "list_targets_by_rule", "Targets", Rule=name, EventBusName=bus))
            if found is not None:
                targets[name] = found
        bus_rows = call("events:ListRules", region,
                        lambda: eventbridge_rule_rows(rules, origin=origin, region=region, event_bus=bus, targets=targets))
        if bus_rows is None:
            complete = False
            continue
        rows += bus_rows
    return EventRules(rows, complete)


def _all(client: Any, operation: str, key: str, **params: Any) -> dict[str, Any]:
    """Every page of an EventBridge list call (NextToken), joined as ``{key: [...]}``.

    By hand rather than with a botocore paginator: ListEventBuses has none.
    """
    found: list[Any] = []
    token: str | None = None
    while True:
        page = getattr(client, operation)(**params, **({"NextToken": token} if token else {}))
        found.extend(page.get(key) or [])
        token = page.get("NextToken")
        if not token:
            return {key: found}
