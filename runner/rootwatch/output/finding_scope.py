"""The AWS scope of a result: account, partition, region, resource type and a stable finding id.

Security Hub (ASFF) and OCSF exports file each result under the same scope, so both compute it
here and always agree: the account is the ``account_id`` dimension, else the one in the resource
ARN; global (account-level) findings get a home region; a control that could not run fans out to
every account the run knows of, so an error never vanishes from a findings system.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from rootwatch.errors import UsageError
from rootwatch.results import ResultRecord, RunResult
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.mod.model import ControlNode

REGION_ENV = "ROOTWATCH_FINDINGS_REGION"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
HOME_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
"""Where each partition's IAM control plane (and so its global events) lives."""

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
