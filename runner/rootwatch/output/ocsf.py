"""OCSF 1.3.0 Compliance Finding events (class_uid 2003), one per result and AWS account.

A JSON array of events. Compliance Finding is the class for "a resource was evaluated against a
rule of a standard" (Detection Finding, 2004, is for threats). Mapping decisions (docs/exports.md):

- compliance.status_id: ok → 1 Pass, alarm → 3 Fail, error → 2 Warning (OCSF: "did not yield a
  result due to missing information"), info → 99 Other ("Info"), skip → 99 Other ("Skip");
  compliance.status_code keeps rootwatch's status and status_detail the reason.
- severity_id: the control's severity (2 Low … 5 Critical) for alarms and errors, 1 Informational
  for the rest (0 Unknown when a failing control has no severity).
- status_id 1 New on every event: rootwatch grades a state, it does not track a finding's lifecycle;
  that belongs to the system that ingests the events.
- time is when the run ended (the finding's creation); finding_info.first_seen_time/last_seen_time
  are the as-of instant the evidence describes.
- The account, partition, region and finding uid come from :mod:`rootwatch.output.finding_scope`, so an ASFF
  finding and its OCSF event carry the same ids; global (account-level) findings get the same home
  region.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from rootwatch.output.finding_scope import (
    Assessed,
    FindingScope,
    assessed_records,
    cis_requirement,
    finding_uid,
    is_failing,
    utc,
)
from rootwatch.results import RunResult
from rootwatch.status import Status

OCSF_VERSION = "1.3.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

SEVERITY_IDS = {"low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAMES = {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
COMPLIANCE_STATUS: dict[Status, tuple[int, str]] = {
    Status.OK: (1, "Pass"),
    Status.ALARM: (3, "Fail"),
    Status.ERROR: (2, "Warning"),
    Status.INFO: (99, "Info"),
    Status.SKIP: (99, "Skip"),
}
ACCOUNT_TYPE_AWS = (10, "AWS Account")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)



def _account(account_id: str, names: Mapping[str, str]) -> dict[str, Any]:
    """OCSF's Account object, with the account's name (Organizations name or alias) when known."""
    account: dict[str, Any] = {"uid": account_id, "type_id": ACCOUNT_TYPE_AWS[0], "type": ACCOUNT_TYPE_AWS[1]}
    if names.get(account_id):
        account["name"] = names[account_id]
    return account

def _millis(moment: datetime) -> int:
    """Milliseconds since the epoch, in integer arithmetic (a float product can lose the last one)."""
    return (utc(moment) - EPOCH) // timedelta(milliseconds=1)


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(item: Assessed, scope: FindingScope, result: RunResult) -> dict[str, Any]:
    record, ctx = item.record, result.context
    severity_id = SEVERITY_IDS.get(record.severity or "", 0) if is_failing(record.status) else 1
    status_id, status_name = COMPLIANCE_STATUS[record.status]
    cis = cis_requirement(record)
    uid = finding_uid(record, scope)
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": TYPE_UID,
        "type_name": "Compliance Finding: Create",
        "time": _millis(ctx.ended_at),
        "time_dt": _iso(ctx.ended_at),
        "severity_id": severity_id,
        "severity": SEVERITY_NAMES[severity_id],
        "status_id": 1,
        "status": "New",
        "message": record.reason,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "rootwatch", "vendor_name": "rootwatch", "version": ctx.tool_version or "unknown"},
            "profiles": ["cloud", "datetime"],
        },
        "finding_info": {
            "uid": uid,
            "title": record.control_title or record.control_id,
            "desc": record.control_description,
            "types": [cis[0] if cis else "rootwatch"],
            "created_time": _millis(ctx.ended_at),
            "first_seen_time": _millis(ctx.as_of),
            "last_seen_time": _millis(ctx.as_of),
        },
        "compliance": {
            "standards": [cis[0] if cis else "rootwatch"],
            "requirements": [cis[1] if cis else record.control_id],
            "control": record.control_id,
            "status_id": status_id,
            "status": status_name,
            "status_code": record.status.value,
            "status_detail": record.reason,
        },
        "cloud": {
            "provider": "AWS",
            "account": _account(scope.account_id, result.context.account_names),
            "region": scope.region,
        },
        "resources": [
            {
                "uid": scope.resource_id,
                "type": scope.resource_type,
                "region": scope.region,
                "cloud_partition": scope.partition,
                "data": {"dimensions": dict(sorted(record.dimensions.items()))},
            }
        ],
        "unmapped": {
            "rootwatch": {
                "control": record.control,
                "benchmark": [group_id for group_id, _ in record.group_path],
                "tags": dict(sorted(record.tags.items())),
                "as_of": _iso(ctx.as_of),
            }
        },
    }
    control = item.node.control
    if control is not None and control.docs.remediation.strip():
        event["remediation"] = {"desc": control.docs.remediation.strip()}
    return event


def events(result: RunResult) -> list[dict[str, Any]]:
    """The OCSF events of ``result``, in tree order; a finding uid appears once."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for item in assessed_records(result):
        for scope in item.scopes:
            event = _event(item, scope, result)
            if event["finding_info"]["uid"] not in seen:
                seen.add(event["finding_info"]["uid"])
                out.append(event)
    return out


def render(result: RunResult) -> str:
    return json.dumps(events(result), indent=2, ensure_ascii=False) + "\n"
