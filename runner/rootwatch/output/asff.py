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

The AWS scope of a result (account, partition, region, resource type, finding id) comes from
:mod:`rootwatch.output.finding_scope`, which the OCSF export shares, so both always agree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rootwatch.output.finding_scope import (
    Assessed,
    FindingScope,
    assessed_records,
    cis_requirement,
    clip,
    finding_uid,
    is_failing,
    utc,
)
from rootwatch.results import RunResult
from rootwatch.status import Status

SCHEMA_VERSION = "2018-10-08"
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
    if security_control := record.tags.get("securityhub_control_id"):
        # Security Hub's consolidated control id (IAM.4, CloudWatch.1): its console groups by it.
        compliance["SecurityControlId"] = security_control
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
