"""JUnit XML: accepted by the JUnit schema, outcomes mapped, counts right, awkward text survives."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from rootwatch.output import junit
from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow, RunResult
from rootwatch.status import Status

SCHEMA_PATH = Path(__file__).parent / "schemas" / "junit.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMA_PATH)


def _parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def _with_runs(result: RunResult, *runs: ControlRun) -> RunResult:
    """``result`` holding only ``runs``, run on their own (no benchmark)."""
    return replace(result, root=GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, runs))


def test_sample_is_valid_against_the_schema(sample_result, render, schema) -> None:
    schema.validate(render("junit", sample_result))


def test_schema_rejects_what_a_ci_system_would(schema) -> None:
    """The schema is not a rubber stamp: a test case without a name, or with two outcomes, fails."""
    nameless = '<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase classname="c" time="0"/></testsuite></testsuites>'
    two_outcomes = (
        '<testsuites><testsuite name="s" tests="1" failures="1" errors="1"><testcase classname="c" name="n" time="0">'
        "<failure/><error/></testcase></testsuite></testsuites>"
    )
    for document in (nameless, two_outcomes):
        assert not schema.is_valid(document)


def test_one_suite_per_benchmark_holding_controls(sample_result, render) -> None:
    root = _parse(render("junit", sample_result))
    assert [s.get("name") for s in root.iter("testsuite")] == ["root", "cis_v700.cis_v700_2", "rootwatch"]


def test_outcomes_follow_statuses(sample_result, render) -> None:
    root = _parse(render("junit", sample_result))
    outcome = {}
    for case in root.iter("testcase"):
        children = {child.tag for child in case} - {"system-out"}
        outcome[(case.get("classname"), case.get("name"))] = children
    assert outcome[("root.root_no_access_keys", "arn:aws:iam::111111111111:root")] == set()  # ok passes
    assert outcome[("root.root_no_access_keys", "arn:aws:iam::222222222222:root")] == {"failure"}  # alarm
    assert outcome[("root.root_mfa_enabled", "arn:aws:iam::222222222222:root")] == set()  # info passes
    assert outcome[("root.cloudtrail_enabled_all_regions", "arn:aws:iam::222222222222:root")] == {"skipped"}
    assert outcome[("root.cloudtrail_enabled_all_regions", "arn:aws-us-gov:iam::333333333333:root [us-gov-west-1]")] == {"error"}
    assert outcome[("root.credential_report_fresh", junit.RUN_ERROR_NAME)] == {"error"}  # control run error
    assert outcome[("root_no_signing_certificates", junit.NO_RESULTS_NAME)] == {"skipped"}  # no rows


def test_counts_add_up(sample_result, render) -> None:
    root = _parse(render("junit", sample_result))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.iter("testsuite"):
        cases = list(suite.iter("testcase"))
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
        for key in totals:
            totals[key] += int(suite.get(key))
    assert {key: int(root.get(key)) for key in totals} == totals
    # 12 result rows, one control run error, one control with no rows.
    assert totals == {"tests": 14, "failures": 4, "errors": 2}


def test_case_times_share_each_control_duration(sample_result, render) -> None:
    root = _parse(render("junit", sample_result))
    times = [float(c.get("time")) for c in root.iter("testcase") if c.get("classname") == "root.cloudtrail_enabled_all_regions"]
    assert times == [0.167, 0.167, 0.167]  # 0.5 s over three rows
    assert float(root.get("time")) == pytest.approx(sum(r.duration_s for _, r in sample_result.control_runs()), abs=0.001)


def test_awkward_text_round_trips(sample_result, render) -> None:
    root = _parse(render("junit", sample_result))
    failure = next(
        c.find("failure") for c in root.iter("testcase")
        if c.get("classname") == "root.root_mfa_enabled" and c.find("failure") is not None
    )
    assert failure.get("message") == "Root user has no MFA device <script>alert(1)</script>."
    keys = next(
        c.find("failure") for c in root.iter("testcase")
        if c.get("classname") == "root.root_no_access_keys" and c.find("failure") is not None
    )
    assert keys.get("message") == 'Root user has 1 access key(s): key 1 (active, "last used" 2026-11-20,\n5 days ago).'
    assert "account_id: 222222222222" in keys.text


def test_characters_xml_cannot_carry_are_replaced(sample_result, render, schema) -> None:
    node = next(run.node for _, run in sample_result.control_runs())
    row = ResultRow("arn:aws:iam::111111111111:root", Status.ALARM, "bell \x07 and nul \x00 inside", (("account_id", "111111111111"),))
    text = render("junit", _with_runs(sample_result, ControlRun(node, (row,))))
    schema.validate(text)
    assert _parse(text).find(".//failure").get("message") == "bell \ufffd and nul \ufffd inside"


def test_names_stay_unique_when_only_a_dimension_differs(sample_result, render) -> None:
    node = next(run.node for _, run in sample_result.control_runs())
    rows = tuple(
        ResultRow("arn:aws:iam::111111111111:root", Status.OK, "fine", (("account_id", "111111111111"), ("region", region)))
        for region in ("eu-west-1", "us-east-1")
    )
    root = _parse(render("junit", _with_runs(sample_result, ControlRun(node, rows))))
    assert [c.get("name") for c in root.iter("testcase")] == [
        "arn:aws:iam::111111111111:root [eu-west-1]",
        "arn:aws:iam::111111111111:root [us-east-1]",
    ]
    assert [c.get("classname") for c in root.iter("testcase")] == [node.id, node.id]


def test_an_empty_run_is_still_a_valid_report(sample_result, render, schema) -> None:
    text = render("junit", _with_runs(sample_result))
    schema.validate(text)
    root = _parse(text)
    assert root.get("tests") == "0" and list(root) == []
