"""The nunit3 export: valid against NUnit 3's result schema, statuses mapped as NUnit readers expect,
and chosen by its own file name (never silently written as JUnit)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from cis_fixtures import pictures_result, sample_result

from rootwatch.errors import UsageError
from rootwatch.output import export_target, format_named

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "nunit3.xsd")


def _render(result) -> ET.Element:
    text = format_named("nunit3").render(result)
    SCHEMA.validate(text)
    return ET.fromstring(text)


def test_every_fixture_run_is_valid_nunit3(sample_result) -> None:
    """The golden fixture (every status, a run error, no rows) and hostile text in every field."""
    _render(sample_result)
    hostile = _render(__import__("cis_fixtures").sample_result("root", "cis_v700", payload=True))
    assert hostile.findall(".//test-case")


def test_statuses_map_to_nunit_results() -> None:
    result = sample_result("root", "cis_v700")
    run = _render(result)
    cases = run.findall(".//test-case")
    records = result.records()
    # one case per record, plus one "(no results)" case per control that returned no rows
    empty = sum(1 for _, r in result.control_runs() if not r.rows and not r.error)
    assert len(cases) == len(records) + empty == int(run.get("total")) == int(run.get("testcasecount"))
    by_result = {name: [c for c in cases if c.get("result") == name] for name in ("Passed", "Failed", "Inconclusive", "Skipped")}
    assert int(run.get("failed")) == len(by_result["Failed"]) == sum(1 for r in records if r.status.value in ("alarm", "error"))
    assert int(run.get("inconclusive")) == sum(1 for r in records if r.status.value == "info")
    assert run.get("result") == "Failed"
    errors = [c for c in by_result["Failed"] if c.get("label") == "Error"]
    assert len(errors) == sum(1 for r in records if r.status.value == "error")
    assert all(c.find("failure/message").text for c in by_result["Failed"])
    ignored = [c for c in cases if c.get("label") == "Ignored"]
    assert len(ignored) == sum(1 for r in records if r.not_assessed) and all(c.get("runstate") == "Ignored" for c in ignored)
    assert all(c.find("reason/message") is not None for c in by_result["Skipped"])
    # suites nest as benchmarks and sections, fixtures are control nodes named by their id path
    fixture = next(s for s in run.iter("test-suite") if s.get("fullname") == "cis_v700.cis_v700_2.cis_v700_2_4")
    assert fixture.get("type") == "TestFixture"
    assert [s.get("type") for s in run.findall("test-suite")] == ["Assembly"]


def test_account_names_sit_beside_the_id() -> None:
    run = _render(pictures_result())
    case = next(c for c in run.iter("test-case") if c.find("properties/property[@name='account_id']") is not None)
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["account_name"] in {"prod-payments", "data-science-sandbox-with-a-rather-long-name", "legacy"}
    assert "account_name: " in case.find("output").text


def test_file_names_pick_nunit3_and_refuse_other_formats() -> None:
    assert export_target("results.nunit3.xml")[0].name == "nunit3"
    assert export_target("results.xml")[0].name == "junit"
    assert export_target("results.junit.xml")[0].name == "junit"
    assert export_target("org.prod.json")[0].name == "json"  # a suffix naming no format is part of the name
    for name, hint in (
        ("results.nunit.xml", "did you mean nunit3 (results.nunit3.xml)?"),
        ("results.sarif.json", "to write json under this name anyway: --export json:results.sarif.json"),
        ("results.html.json", "write it as results.html"),
    ):
        with pytest.raises(UsageError) as caught:
            export_target(name)
        assert hint in str(caught.value), name
