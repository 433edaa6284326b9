"""ASFF: every required field, the status and severity mapping, account, partition and region."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from rootwatch.errors import UsageError
from rootwatch.output import asff, finding_scope
from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow, RunResult
from rootwatch.status import Status

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "asff.schema.json").read_text())
REQUIRED = (
    "SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt", "UpdatedAt",
    "Severity", "Title", "Description", "Resources",
)  # fmt: skip


def _findings(render, result: RunResult) -> list[dict]:
    return json.loads(render("asff", result))


def _only(result: RunResult, *runs: ControlRun, snapshot: bool = True) -> RunResult:
    context = result.context if snapshot else replace(result.context, snapshot=None)
    return replace(result, root=GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, runs), context=context)


def _node(result: RunResult, control_id: str):
    return next(run.node for _, run in result.control_runs() if run.node.id == control_id)


def test_sample_matches_the_asff_schema(sample_result, render) -> None:
    findings = _findings(render, sample_result)
    jsonschema.Draft202012Validator(SCHEMA).validate(findings)


def test_every_required_field_is_present_and_non_empty(sample_result, render) -> None:
    for finding in _findings(render, sample_result):
        for field in REQUIRED:
            assert finding.get(field), f"{finding['Id']} lacks {field}"
        assert finding["SchemaVersion"] == "2018-10-08"
        resource = finding["Resources"][0]
        assert set(resource) == {"Type", "Id", "Partition", "Region"}
        assert finding["FindingProviderFields"]["Severity"] == finding["Severity"]


@pytest.mark.parametrize(
    ("status", "compliance", "label"),
    [
        (Status.OK, "PASSED", "INFORMATIONAL"),
        (Status.ALARM, "FAILED", "CRITICAL"),
        (Status.ERROR, "WARNING", "CRITICAL"),
        (Status.INFO, "NOT_AVAILABLE", "INFORMATIONAL"),
        (Status.SKIP, "NOT_AVAILABLE", "INFORMATIONAL"),
    ],
)
def test_status_mapping(status: Status, compliance: str, label: str, sample_result, render) -> None:
    node = _node(sample_result, "root_no_access_keys")  # severity critical
    row = ResultRow("arn:aws:iam::111111111111:root", status, "why", (("account_id", "111111111111"),))
    (finding,) = _findings(render, _only(sample_result, ControlRun(node, (row,))))
    assert finding["Compliance"]["Status"] == compliance
    assert finding["Severity"] == {"Label": label, "Original": "critical"}
    assert finding["ProductFields"]["rootwatch/Status"] == status.value


def test_global_findings_get_the_partition_home_region(sample_result, render) -> None:
    by_id = {f["Id"]: f for f in _findings(render, sample_result)}
    keys_ok = next(f for f in by_id.values() if f["GeneratorId"] == "rootwatch/root_no_access_keys")
    assert keys_ok["Resources"][0] == {
        "Type": "AwsAccount",
        "Id": "arn:aws:iam::111111111111:root",
        "Partition": "aws",
        "Region": "us-east-1",
    }
    assert keys_ok["ProductArn"] == "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"


def test_region_dimension_and_arn_partition_are_used(sample_result, render) -> None:
    trail = [f for f in _findings(render, sample_result) if f["GeneratorId"] == "rootwatch/cloudtrail_enabled_all_regions"]
    regional, no_region, gov = trail
    assert regional["Resources"][0]["Region"] == "eu-west-1"
    assert regional["ProductArn"].startswith("arn:aws:securityhub:us-east-1:")  # imported in the home region
    assert no_region["Resources"][0]["Region"] == "us-east-1"  # NULL region dimension: home region
    assert gov["Resources"][0]["Partition"] == "aws-us-gov"
    assert gov["Resources"][0]["Region"] == "us-gov-west-1"
    assert gov["ProductArn"] == "arn:aws-us-gov:securityhub:us-gov-west-1:333333333333:product/333333333333/default"


def test_home_region_comes_from_the_environment(sample_result, monkeypatch) -> None:
    monkeypatch.setenv(finding_scope.REGION_ENV, "eu-central-1")
    findings = asff.findings(sample_result)
    assert all(":securityhub:eu-central-1:" in f["ProductArn"] for f in findings)
    regions = {f["Resources"][0]["Region"] for f in findings}
    assert regions == {"eu-central-1", "eu-west-1", "us-gov-west-1"}  # explicit regions are kept


def test_a_bad_home_region_is_a_usage_error(sample_result, monkeypatch) -> None:
    monkeypatch.setenv(finding_scope.REGION_ENV, "Frankfurt")
    with pytest.raises(UsageError) as caught:
        asff.findings(sample_result)
    assert caught.value.message == "ROOTWATCH_FINDINGS_REGION='Frankfurt' is not an AWS region"


def test_a_control_that_could_not_run_is_a_warning_for_every_known_account(sample_result, render) -> None:
    errors = [f for f in _findings(render, sample_result) if f["GeneratorId"] == "rootwatch/credential_report_fresh"]
    assert [f["AwsAccountId"] for f in errors] == ["111111111111", "222222222222", "333333333333"]
    assert {f["Compliance"]["Status"] for f in errors} == {"WARNING"}
    assert errors[0]["Resources"][0] == {
        "Type": "AwsAccount",
        "Id": "AWS::::Account:111111111111",
        "Partition": "aws",
        "Region": "us-east-1",
    }
    assert errors[0]["Description"].startswith("control credential_report_fresh failed")


def test_a_run_error_with_no_known_account_is_refused(sample_result) -> None:
    node = _node(sample_result, "credential_report_fresh")
    lonely = _only(sample_result, ControlRun(node, (), "control credential_report_fresh failed: boom"), snapshot=False)
    with pytest.raises(UsageError) as caught:
        asff.findings(lonely)
    assert caught.value.message == (
        "cannot file the error result of credential_report_fresh under an AWS account: "
        "no result names an account and the data source has no snapshot metadata"
    )


def test_items_not_assessed_are_not_findings(sample_result, render) -> None:
    ids = [f["ProductFields"]["rootwatch/ControlId"] for f in _findings(render, sample_result)]
    assert "cis_v700_2_1" not in ids


def test_ids_are_unique_and_stable(sample_result, build_sample, render) -> None:
    first = [f["Id"] for f in _findings(render, sample_result)]
    assert len(first) == len(set(first))
    assert first == [f["Id"] for f in _findings(render, build_sample())]


def test_the_same_item_requested_twice_is_one_finding(sample_result, render) -> None:
    cis_group = next(c for c in sample_result.root.children if isinstance(c, GroupRun) and c.id == "cis_v700")
    doubled = replace(sample_result, root=GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, (cis_group, cis_group.children[0])))
    ids = [f["Id"] for f in _findings(render, doubled)]
    assert len(ids) == len(set(ids)) == 4


def test_cis_items_carry_their_requirement(sample_result, render) -> None:
    finding = next(f for f in _findings(render, sample_result) if f["ProductFields"]["rootwatch/ControlId"] == "cis_v700_2_4")
    assert finding["Compliance"]["RelatedRequirements"] == ["CIS AWS Foundations Benchmark v7.0.0/2.4"]
    assert finding["Types"] == [asff.CIS_TYPE]
    assert finding["Title"] == "2.4 Ensure no 'root' user account access key exists"


def test_security_hub_control_id_comes_from_the_control_tag(sample_result, render) -> None:
    node = _node(sample_result, "root_no_access_keys")
    tagged = replace(node, tags={**node.tags, "securityhub_control_id": "IAM.4"})
    row = ResultRow("arn:aws:iam::111111111111:root", Status.ALARM, "why", (("account_id", "111111111111"),))
    other = ResultRow("arn:aws:iam::222222222222:root", Status.ALARM, "why", (("account_id", "222222222222"),))
    findings = _findings(render, _only(sample_result, ControlRun(tagged, (row,)), ControlRun(node, (other,))))
    assert [f["Compliance"].get("SecurityControlId") for f in findings] == ["IAM.4", None]
    jsonschema.Draft202012Validator(SCHEMA).validate(findings)


def test_long_text_is_cut_to_asff_limits(sample_result, render) -> None:
    node = _node(sample_result, "root_no_access_keys")
    row = ResultRow("arn:aws:iam::111111111111:root", Status.ALARM, "x" * 5000, (("account_id", "111111111111"),))
    (finding,) = _findings(render, _only(sample_result, ControlRun(node, (row,))))
    assert len(finding["Description"]) == 1024 and finding["Description"].endswith("…")
    jsonschema.Draft202012Validator(SCHEMA).validate([finding])


@pytest.mark.parametrize(
    ("resource", "kind"),
    [
        ("arn:aws:iam::111111111111:root", "AwsAccount"),
        ("arn:aws:iam::111111111111:user/alice", "AwsIamUser"),
        ("arn:aws:cloudtrail:eu-west-1:111111111111:trail/org", "AwsCloudTrailTrail"),
        ("AWS::::Account:111111111111", "AwsAccount"),
        ("cis_v700_2_1", "Other"),
    ],
)
def test_resource_types(resource: str, kind: str) -> None:
    assert finding_scope.resource_type(resource) == kind
