"""AWS Security Hub findings (ASFF, schema 2018-10-08): one finding per result and AWS account.

The file is a JSON array of findings, the value ``BatchImportFindings`` takes as ``Findings``::

    aws securityhub batch-import-findings --findings file://rootwatch.asff.json

(at most 100 findings per call; split larger files). Mapping decisions (docs/exports.md has them
all):

- Compliance.Status: ok → PASSED, alarm → FAILED, error → WARNING, info and skip → NOT_AVAILABLE.
- Severity.Label: the control's severity (upper case) for FAILED and WARNING; INFORMATIONAL for the
  rest, as Security Hub labels its own passed checks. Severity.Original keeps the control's.
- Id: ``rootwatch/<control id>/<account>/<digest of resource and dimensions>``, stable across runs
  so a re-import updates the finding instead of adding one.
- Account: the ``account_id`` dimension, else the account in the resource ARN. A control that could
  not run (no rows) becomes one WARNING finding per account the run knows of (snapshot metadata and
  every other result), so an error never vanishes from Security Hub.
- AwsAccountName: the account's Organizations name, else its IAM alias, when the run found one
  (a custom integration may set it; Security Hub shows it beside the id).
- Partition: from the resource ARN (``arn:aws-us-gov:...``), else ``aws``.
- Region: the ``region`` dimension or ARN region; account-level findings (IAM, the root user) have
  none, so they get the home region: ``$ROOTWATCH_FINDINGS_REGION`` when set, else the partition's
  IAM control-plane region (us-east-1, us-gov-west-1, cn-north-1). ProductArn always uses the home
  region, because Security Hub only accepts findings whose ProductArn region is the region the
  import call is made in.
- Benchmark items this mod does not assess (no control attached) are not findings about any
  resource and are left out; the csv, json and CIS exports list them.

The AWS scope of a result (account, partition, region, resource type, finding id) is worked out here
and reused by the OCSF export, so both always agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rootwatch.errors import UsageError
from rootwatch.results import ResultRecord, RunResult
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.mod.model import ControlNode

SCHEMA_VERSION = "2018-10-08"
REGION_ENV = "ROOTWATCH_FINDINGS_REGION"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
HOME_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
"""Where each partition's IAM control plane (and so its global events) lives."""

COMPLIANCE_STATUS = {
    Status.OK: "PASSED",
    Status.ALARM: "FAILED",
    Status.ERROR: "WARNING",
    Status.INFO: "NOT_AVAILABLE",
    Status.SKIP: "NOT_AVAILABLE",
}
SEVERITY_LABELS = {"low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "CRITICAL"}
CIS_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
BEST_PRACTICE_TYPE = "Software and Configuration Checks/AWS Security Best Practices"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_RESOURCE_TYPES = (
    (re.compile(r"^arn:[^:]+:iam::\d{12}:root$"), "AwsAccount"),
    (re.compile(r"^AWS::::Account:\d{12}$"), "AwsAccount"),
    (re.compile(r"^arn:[^:]+:iam::\d{12}:user/"), "AwsIamUser"),
    (re.compile(r"^arn:[^:]+:cloudtrail:[^:]*:\d{12}:trail/"), "AwsCloudTrailTrail"),
    (re.compile(r"^arn:[^:]+:sns:[^:]*:\d{12}:[^:]+$"), "AwsSnsTopic"),
    (re.compile(r"^arn:[^:]+:cloudwatch:[^:]*:\d{12}:alarm:"), "AwsCloudWatchAlarm"),
)


# --------------------------------------------------------------------------------------------
# The AWS scope of a result, shared with the OCSF export.


@dataclass(frozen=True)
class FindingScope:
    """Where one finding belongs in AWS."""

    account_id: str
    partition: str
    region: str
    """The resource's region, or the home region for account-level (global) resources."""
    home_region: str
    """The region the findings are for (ASFF ProductArn, OCSF cloud.region of global findings)."""
    resource_id: str
    resource_type: str


@dataclass(frozen=True)
class Assessed:
    """A result record of an assessed control with its node and the AWS scopes it belongs to."""

    record: ResultRecord
    node: ControlNode
    scopes: tuple[FindingScope, ...]


def _arn_parts(resource: str) -> list[str] | None:
    parts = resource.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def partition_of(resource: str) -> str | None:
    """The partition of an ARN (``aws``, ``aws-cn``, ``aws-us-gov``), or None."""
    parts = _arn_parts(resource)
    return parts[1] if parts and parts[1] in PARTITIONS else None


def account_of(record: ResultRecord) -> str | None:
    """The record's AWS account: its ``account_id`` dimension, else the account in its ARN."""
    dimension = record.dimensions.get("account_id")
    if dimension and _ACCOUNT.match(dimension):
        return dimension
    parts = _arn_parts(record.resource)
    if parts and _ACCOUNT.match(parts[4]):
        return parts[4]
    return None


def region_of(record: ResultRecord) -> str | None:
    """The record's region: its ``region`` dimension, else its ARN's; None for global resources."""
    dimension = record.dimensions.get("region")
    if dimension and _REGION.match(dimension):
        return dimension
    parts = _arn_parts(record.resource)
    if parts and _REGION.match(parts[3]):
        return parts[3]
    return None


def resource_type(resource_id: str) -> str:
    """The ASFF resource type of a resource id (``Other`` when it is none of the known kinds)."""
    for pattern, kind in _RESOURCE_TYPES:
        if pattern.match(resource_id):
            return kind
    return "Other"


def home_region(partition: str) -> str:
    """``$ROOTWATCH_FINDINGS_REGION`` when set, else the partition's IAM control-plane region."""
    configured = os.environ.get(REGION_ENV, "").strip()
    if configured:
        if not _REGION.match(configured):
            raise UsageError(
                f"{REGION_ENV}={configured!r} is not an AWS region", hint="for example eu-west-1, or unset it"
            )
        return configured
    return HOME_REGION.get(partition, HOME_REGION["aws"])


def assessed_records(result: RunResult) -> Iterator[Assessed]:
    """Every record of an assessed control, with the AWS scopes it belongs to, in tree order.

    A record without an account (a control that could not run) fans out to every account the run
    knows of; with none known at all, this raises, since such a finding cannot be filed anywhere.
    """
    records = result.records()
    nodes = {run.node.id: run.node for _, run in result.control_runs()}
    partitions: dict[str, str] = {}
    for record in records:
        account = account_of(record)
        if account:
            partitions.setdefault(account, partition_of(record.resource) or "aws")
    if result.context.snapshot is not None:
        for info in result.context.snapshot.accounts:
            partitions.setdefault(info.account_id, "aws")
    for record in records:
        if record.control is None:
            continue  # a benchmark item the mod does not assess: no resource to file it against
        account = account_of(record)
        accounts = [account] if account else sorted(partitions)
        if not accounts:
            raise UsageError(
                f"cannot file the {record.status.value} result of {record.control_id} under an AWS account: "
                "no result names an account and the data source has no snapshot metadata",
                hint="grade a snapshot (its metadata lists the accounts), or export json or csv instead",
            )
        scopes = []
        for account_id in accounts:
            partition = partition_of(record.resource) or partitions.get(account_id, "aws")
            home = home_region(partition)
            resource_id = record.resource or f"AWS::::Account:{account_id}"
            scopes.append(
                FindingScope(account_id, partition, region_of(record) or home, home, resource_id, resource_type(resource_id))
            )
        yield Assessed(record, nodes[record.control_id], tuple(scopes))


def finding_uid(record: ResultRecord, scope: FindingScope) -> str:
    """A finding id that is the same in every run for the same control, account, resource and
    dimensions (the diff key), so importers update findings instead of piling them up."""
    key = json.dumps([record.resource, sorted(record.dimensions.items())], separators=(",", ":"), default=str)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return f"rootwatch/{record.control_id}/{scope.account_id}/{digest}"


def cis_requirement(record: ResultRecord) -> tuple[str, str] | None:
    """(``CIS AWS Foundations Benchmark v7.0.0``, ``2.4``) for a CIS item, else None."""
    version, item = record.tags.get("cis_version"), record.tags.get("cis_item_id")
    if version and item:
        return f"CIS AWS Foundations Benchmark {version}", item
    return None


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def is_failing(status: Status) -> bool:
    """Alarms and errors keep the control's severity; other outcomes are informational."""
    return status in (Status.ALARM, Status.ERROR)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (ASFF rejects longer values), marked when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# ASFF


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, the form the ASFF reference shows."""
    moment = utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _finding(item: Assessed, scope: FindingScope, result: RunResult) -> dict[str, Any]:
    record, ctx = item.record, result.context
    control_severity = record.severity or ""
    label = SEVERITY_LABELS.get(control_severity, "INFORMATIONAL") if is_failing(record.status) else "INFORMATIONAL"
    severity = {"Label": label, "Original": control_severity or "none"}
    cis = cis_requirement(record)
    types = [CIS_TYPE if cis else BEST_PRACTICE_TYPE]
    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUS[record.status]}
    if cis:
        compliance["RelatedRequirements"] = [f"{cis[0]}/{cis[1]}"]
    product_fields = {
        "ProviderName": "rootwatch",
        "ProviderVersion": ctx.tool_version or "unknown",
        "rootwatch/ControlId": record.control_id,
        "rootwatch/Control": record.control or "",
        "rootwatch/Status": record.status.value,
        "rootwatch/Benchmark": " > ".join(title for _, title in record.group_path),
        **{f"rootwatch/dimension/{k}": clip(v or "", 2048) for k, v in sorted(record.dimensions.items())},
    }
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_uid(record, scope),
        "ProductArn": f"arn:{scope.partition}:securityhub:{scope.home_region}:{scope.account_id}:product/{scope.account_id}/default",
        "ProductName": "rootwatch",
        "CompanyName": "rootwatch",
        "GeneratorId": f"rootwatch/{record.control or record.control_id}",
        "AwsAccountId": scope.account_id,
        **({"AwsAccountName": clip(name, 50)} if (name := ctx.account_names.get(scope.account_id)) else {}),
        "Types": types,
        "FirstObservedAt": _timestamp(ctx.as_of),
        "LastObservedAt": _timestamp(ctx.as_of),
        "CreatedAt": _timestamp(ctx.ended_at),
        "UpdatedAt": _timestamp(ctx.ended_at),
        "Severity": severity,
        "Title": clip(record.control_title or record.control_id, 256),
        "Description": clip(record.reason or record.control_description or record.control_title, 1024),
        "ProductFields": product_fields,
        "Resources": [
            {
                "Type": scope.resource_type,
                "Id": clip(scope.resource_id, 512),
                "Partition": scope.partition,
                "Region": scope.region,
            }
        ],
        "Compliance": compliance,
        "RecordState": "ACTIVE",
        "FindingProviderFields": {"Severity": severity, "Types": types},
    }
    control = item.node.control
    if control is not None and control.docs.remediation.strip():
        finding["Remediation"] = {"Recommendation": {"Text": clip(" ".join(control.docs.remediation.split()), 512)}}
    return finding


def findings(result: RunResult) -> list[dict[str, Any]]:
    """The ASFF findings of ``result``, in tree order; a finding id appears once."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for item in assessed_records(result):
        for scope in item.scopes:
            finding = _finding(item, scope, result)
            if finding["Id"] not in seen:  # the same item reached through two requested benchmarks
                seen.add(finding["Id"])
                out.append(finding)
    return out


def render(result: RunResult) -> str:
    return json.dumps(findings(result), indent=2, ensure_ascii=False) + "\n"
