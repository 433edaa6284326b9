"""EventBridge ListRules and ListTargetsByRule → ``aws_eventbridge_rule`` rows.

ListRules answers for one event bus at a time (the default bus unless ``EventBusName`` is given),
so a capture calls it once per bus and hands each response here with the bus it asked about.

Two kinds of emptiness are kept apart, as everywhere in a snapshot: a rule whose ListTargetsByRule
was captured and empty has ``targets = []``; a rule whose targets were never read has ``targets``
NULL. The first is evidence ("this rule forwards nowhere"), the second is not.

Steampipe reads ``event_pattern``, ``created_by``, ``role_arn`` and ``schedule_expression`` with
DescribeRule and the tags with ListTagsForResource. ListRules carries all but ``created_by`` and the
tags, which stay NULL here: no control reads them, and two more calls per rule are not worth it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rootwatch.snapshot import strict_json
from rootwatch.snapshot.transforms.common import Origin, Row, TransformError, items, mapping, plain

DEFAULT_BUS = "default"
"""The event bus every account has, where AWS services (CloudTrail among them) deliver events."""

_TEXT_FIELDS = {
    "description": "Description",
    "state": "State",
    "role_arn": "RoleArn",
    "schedule_expression": "ScheduleExpression",
    "managed_by": "ManagedBy",
}


def bus_name(name_or_arn: str) -> str:
    """An event bus's name, given its name or ARN (``arn:aws:events:<region>:<account>:event-bus/<name>``)."""
    marker = ":event-bus/"
    return name_or_arn.split(marker, 1)[1] if name_or_arn.startswith("arn:") and marker in name_or_arn else name_or_arn


def rule_targets(response: Any, what: str = "list-targets-by-rule") -> list[Any]:
    """The ``Targets`` of one ListTargetsByRule response, checked: a list of objects with an Id and Arn."""
    targets = items(response, "Targets", what)
    for index, target in enumerate(targets):
        for key in ("Id", "Arn"):
            if not isinstance(target.get(key), str) or not target.get(key):
                raise TransformError(f"{what}: Targets[{index}] needs {key}")
    return plain(targets)


def eventbridge_rule_rows(
    response: Mapping[str, Any],
    *,
    origin: Origin,
    region: str,
    event_bus: str = DEFAULT_BUS,
    targets: Mapping[str, Any] | None = None,
) -> list[Row]:
    """Rows of ``aws_eventbridge_rule`` from the ListRules response of one event bus.

    ``event_bus`` is the bus ListRules was asked about (its name or ARN); a rule that names another
    bus is a TransformError, since the response would then be filed under the wrong bus.
    ``targets`` maps a rule name to its ListTargetsByRule response (``{"Targets": [...]}``); a rule
    it does not name gets ``targets`` NULL (not captured).
    """
    expected_bus = bus_name(event_bus)
    rows: list[Row] = []
    for index, rule in enumerate(items(response, "Rules", "list-rules")):
        where = f"list-rules: Rules[{index}]"
        name, arn = rule.get("Name"), rule.get("Arn")
        if not isinstance(name, str) or not name or not isinstance(arn, str) or not arn:
            raise TransformError(f"{where} needs Name and Arn")
        listed_bus = rule.get("EventBusName")
        if listed_bus is not None and (not isinstance(listed_bus, str) or bus_name(listed_bus) != expected_bus):
            raise TransformError(
                f"{where} ({name}) is on event bus {listed_bus!r}, but these are the rules of bus {expected_bus!r}"
            )
        row: Row = {"name": name, "arn": arn, "event_bus_name": expected_bus, "name_prefix": name}
        for column, key in _TEXT_FIELDS.items():
            value = rule.get(key)
            if value is not None and not isinstance(value, str):
                raise TransformError(f"{where} ({name}): {key} must be text, got {value!r}")
            row[column] = value
        row["event_pattern"] = _pattern(rule.get("EventPattern"), f"{where} ({name}): EventPattern")
        row["created_by"] = None
        found = (targets or {}).get(name)
        row["targets"] = None if found is None else rule_targets(found, f"targets of rule {name}")
        row.update(tags_src=None, tags=None, title=name, akas=[arn])
        row.update(origin.columns(region))
        rows.append(row)
    return rows


def _pattern(value: Any, what: str) -> Any:
    """The event pattern as JSON: AWS gives it as JSON text; a parsed object is taken as it is."""
    if value is None or isinstance(value, Mapping):
        return plain(value)
    if not isinstance(value, str):
        raise TransformError(f"{what}: expected JSON text, got {value!r}")
    try:
        parsed = strict_json.loads(value)
    except strict_json.StrictJsonError as exc:
        raise TransformError(f"{what}: not JSON text ({exc.message})") from None
    mapping(parsed, what)
    return parsed
