"""OCSF 1.3.0 Compliance Finding: required fields (checked with a JSON Schema) and the mapping."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from rootwatch.output import ocsf
from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow, RunResult
from rootwatch.status import Status

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "ocsf-compliance-finding-1.3.0.schema.json").read_text())


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def _events(render, result: RunResult) -> list[dict]:
    return json.loads(render("ocsf", result))


def _single(result: RunResult, status: Status) -> RunResult:
    node = next(run.node for _, run in result.control_runs() if run.node.id == "root_mfa_enabled")  # severity high
    row = ResultRow("arn:aws:iam::111111111111:root", status, "why", (("account_id", "111111111111"),))
    return replace(result, root=GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, (ControlRun(node, (row,)),)))


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_sample_matches_the_schema(sample_result, render) -> None:
    _validator().validate(_events(render, sample_result))


def test_schema_catches_a_missing_required_field(sample_result, render) -> None:
    events = _events(render, sample_result)
    for field in ("class_uid", "finding_info", "metadata", "compliance", "cloud"):
        broken = [dict(events[0])]
        del broken[0][field]
        assert not _validator().is_valid(broken), field
    wrong_class = [dict(events[0], class_uid=2004)]
    assert not _validator().is_valid(wrong_class)


def test_class_and_type(sample_result, render) -> None:
    for event in _events(render, sample_result):
        assert (event["class_uid"], event["category_uid"], event["activity_id"], event["type_uid"]) == (2003, 2, 1, 200301)
        assert event["metadata"]["version"] == "1.3.0"
        assert event["metadata"]["product"] == {"name": "rootwatch", "vendor_name": "rootwatch", "version": "0.1.0"}
        assert event["time"] == 1795608007250  # the run's end, 2026-11-25T12:00:07.250Z
        assert event["finding_info"]["last_seen_time"] == 1795608000000  # the as-of instant


@pytest.mark.parametrize(
    ("status", "compliance", "severity_id"),
    [
        (Status.OK, (1, "Pass"), 1),
        (Status.ALARM, (3, "Fail"), 4),
        (Status.ERROR, (2, "Warning"), 4),
        (Status.INFO, (99, "Info"), 1),
        (Status.SKIP, (99, "Skip"), 1),
    ],
)
def test_status_mapping(status: Status, compliance: tuple[int, str], severity_id: int, sample_result, render) -> None:
    (event,) = _events(render, _single(sample_result, status))
    assert (event["compliance"]["status_id"], event["compliance"]["status"]) == compliance
    assert event["compliance"]["status_code"] == status.value
    assert event["compliance"]["status_detail"] == "why"
    assert event["severity_id"] == severity_id
    assert event["severity"] == ocsf.SEVERITY_NAMES[severity_id]
    _validator().validate([event])


def test_cloud_and_resources(sample_result, render) -> None:
    events = _events(render, sample_result)
    gov = next(e for e in events if e["resources"][0]["uid"].startswith("arn:aws-us-gov:"))
    assert gov["cloud"] == {
        "provider": "AWS",
        "account": {"uid": "333333333333", "type_id": 10, "type": "AWS Account"},
        "region": "us-gov-west-1",
    }
    assert gov["resources"][0]["cloud_partition"] == "aws-us-gov"
    assert gov["resources"][0]["data"] == {"dimensions": {"account_id": "333333333333", "region": "us-gov-west-1"}}
    global_event = events[0]
    assert global_event["cloud"]["region"] == "us-east-1"  # account-level finding: home region


def test_cis_items_name_their_standard_and_requirement(sample_result, render) -> None:
    event = next(e for e in _events(render, sample_result) if e["compliance"]["control"] == "cis_v700_2_5")
    assert event["compliance"]["standards"] == ["CIS AWS Foundations Benchmark v7.0.0"]
    assert event["compliance"]["requirements"] == ["2.5"]
    assert event["unmapped"]["rootwatch"]["tags"]["note"] == "<script>alert(1)</script>"  # data, kept verbatim


def test_uids_match_the_asff_ids(sample_result, render) -> None:
    ocsf_ids = [e["finding_info"]["uid"] for e in _events(render, sample_result)]
    asff_ids = [f["Id"] for f in json.loads(render("asff", sample_result))]
    assert ocsf_ids == asff_ids
    assert len(set(ocsf_ids)) == len(ocsf_ids)
