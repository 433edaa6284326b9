"""The CIS table's rows and result rules (runner/rootwatch/output/cis_table.py)."""

from __future__ import annotations

import pytest
from cis_fixtures import A1, A2, A3, Fixture, grade, make_control, row, sample_result

from rootwatch.errors import UsageError
from rootwatch.mod.model import Benchmark, ControlNode
from rootwatch.output import format_named
from rootwatch.output.cis_table import (
    CisResult,
    cis_report,
    prerequisite_text,
    verdict_of,
)
from rootwatch.results import ControlRun
from rootwatch.status import Status

EXPECTED_RESULTS = {
    "2.1.1": CisResult.REVIEW,  # one ok, two info
    "2.1.2": CisResult.NOT_ASSESSED,
    "2.2": CisResult.NOT_ASSESSED,
    "2.3": CisResult.NOT_ASSESSED,
    "2.4": CisResult.FAIL,  # ok, alarm, skip
    "2.5": CisResult.PASS,  # all ok
    "2.6": CisResult.REVIEW,  # ok, ok, skip
    "2.7": CisResult.ERROR,  # ok, error row, ok
    "2.8": CisResult.ERROR,  # the control returned no rows
    "2.14": CisResult.NOT_ASSESSED,
    "3.1.1": CisResult.NOT_ASSESSED,
    "3.1.2": CisResult.NOT_ASSESSED,
    "4.1": CisResult.PASS,
    "4.2": CisResult.NOT_ASSESSED,
    "5.1": CisResult.NOT_ASSESSED,
    "5.3": CisResult.ERROR,  # the control could not run
}


def _table(*benchmarks: str):
    return cis_report(sample_result(*benchmarks), "cis-csv").tables


def _rows():
    (table,) = _table()
    return {r.item: r for r in table.rows}


def test_one_row_per_cis_item_in_benchmark_order() -> None:
    (table,) = _table()
    tree = Fixture().cis_v700()
    expected = [n.tags["cis_item_id"] for n in tree.control_nodes() if "cis_item_id" in n.tags]
    assert [r.item for r in table.rows] == expected
    assert (table.benchmark_id, table.cis_version) == ("cis_v700", "v7.0.0")


def test_result_of_every_item() -> None:
    assert {item: r.result for item, r in _rows().items()} == EXPECTED_RESULTS


def test_fail_lists_passing_failing_and_other_accounts() -> None:
    verdict = _rows()["2.4"].verdict
    assert verdict.passing == (A1,)
    assert verdict.failing == (A2,)
    assert [(a.account, a.status) for a in verdict.undecided] == [(A3, Status.SKIP)]
    assert verdict.evidence == (
        f"{A1} ok: root user has no access keys (account summary: 0)",
        f"{A2} alarm: root user has 1 access key: AKIAEXAMPLE1 active, last used 2026-02-27 (2 days ago)",
        f"{A3} skip: no credential report (see credential_report_fresh)",
    )


def test_error_rows_and_run_errors_show_in_the_evidence() -> None:
    rows = _rows()
    assert rows["2.7"].verdict.undecided[0].account == A2
    assert rows["5.3"].verdict.evidence == (
        'error: control root_usage_monitored failed: relation "aws_cloudwatch_log_metric_filter" does not exist',
    )
    assert rows["5.3"].verdict.accounts == ()
    assert rows["2.8"].verdict.evidence == ("the control returned no rows: no account was graded",)


def test_not_assessed_item_keeps_the_runner_reason_and_has_no_remediation() -> None:
    item = _rows()["2.2"]
    assert item.control is None and item.remediation == ""
    assert item.verdict.evidence == ("not assessed by this mod (CIS 2.2 is outside rootwatch's root-user scope)",)


def test_titles_sections_level_type_and_remediation() -> None:
    item = _rows()["2.1.1"]
    assert item.title == "Ensure centralized root access in AWS Organizations"
    assert item.sections == (("2", "Identity and Access Management"), ("2.1", "Identity and Access Management"))
    assert item.section == "2.1 Identity and Access Management"
    assert (item.level, item.assessment) == ("2", "manual")
    assert item.control == "organizations_centralized_root_access"
    assert item.remediation == Fixture().controls["organizations_centralized_root_access"].docs.remediation
    assert _rows()["4.1"].section == "4 Logging"


def test_prerequisites_are_a_note_never_an_item() -> None:
    (table,) = _table()
    assert all(r.control != "credential_report_fresh" for r in table.rows)
    (note,) = table.prerequisites
    assert note.group_title == "Evidence prerequisites (rootwatch, not a CIS section)"
    assert note.verdict.result is CisResult.ERROR
    assert prerequisite_text(note) == (
        "Credential report exists and is fresh (credential_report_fresh): error; "
        f"passing 2: {A1}, {A2}; failing 0; other: {A3} (error)"
    )


def test_several_cis_versions_make_one_table_each_in_run_order() -> None:
    tables = _table("cis_v120", "root", "cis_v700")
    assert [(t.benchmark_id, t.cis_version) for t in tables] == [("cis_v120", "v1.2.0"), ("cis_v700", "v7.0.0")]
    assert [r.item for r in tables[0].rows] == ["1.12", "1.13", "1.15"]
    assert tables[0].rows[2].assessment == "not scored"


def test_a_cis_section_run_alone_is_a_table_of_its_items() -> None:
    fixture = Fixture()
    section = next(c for c in fixture.cis_v700().children if isinstance(c, Benchmark) and c.id == "cis_v700_5")
    result = grade([section], fixture.outcomes())
    (table,) = cis_report(result, "cis-md").tables
    assert [r.item for r in table.rows] == ["5.1", "5.3"]
    assert table.cis_version == "v7.0.0"


def test_live_endpoint_has_no_capture_time() -> None:
    report = cis_report(sample_result(snapshot=False), "cis-md")
    assert report.captured_at is None
    assert report.as_of.isoformat() == "2026-03-01T12:00:00+00:00"


def _verdict(rows: list[tuple[str, Status]], error: str | None = None):
    """The verdict on one control run with the given (account, status) rows."""
    node = ControlNode("cis_x_1_1", "1.1 X", "", {"cis_item_id": "1.1"}, make_control("c", "C"))
    graded = tuple(row(account, status, f"reason {i}") for i, (account, status) in enumerate(rows))
    return verdict_of(ControlRun(node, graded, error))


@pytest.mark.parametrize(
    ("rows", "error", "expected"),
    [
        ([(A1, Status.OK), (A2, Status.OK)], None, CisResult.PASS),
        ([(A1, Status.ALARM), (A2, Status.ERROR)], None, CisResult.FAIL),
        ([(A1, Status.OK), (A2, Status.ERROR)], None, CisResult.ERROR),
        ([(A1, Status.OK), (A2, Status.INFO)], None, CisResult.REVIEW),
        ([(A1, Status.SKIP), (A2, Status.SKIP)], None, CisResult.REVIEW),
        ([(A1, Status.OK), (A1, Status.SKIP)], None, CisResult.REVIEW),
        ([], "boom", CisResult.ERROR),
        ([], None, CisResult.ERROR),
    ],
    ids=["all-ok", "alarm-beats-error", "error", "info", "skip", "ok-and-skip-same-account", "run-error", "no-rows"],
)
def test_result_rules(rows, error, expected) -> None:
    assert _verdict(rows, error).result is expected


def test_an_account_takes_its_worst_row() -> None:
    verdict = _verdict([(A1, Status.OK), (A1, Status.ALARM), (A2, Status.INFO), (A2, Status.SKIP)])
    assert [(a.account, a.status) for a in verdict.accounts] == [(A1, Status.ALARM), (A2, Status.INFO)]
    assert verdict.failing == (A1,) and verdict.passing == ()


@pytest.mark.parametrize("name", ["cis-csv", "cis-md", "cis-html", "cis-xlsx"])
def test_a_run_without_cis_benchmark_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError) as caught:
        format_named(name).renderer()(sample_result("root"))
    assert caught.value.message == (
        f"the {name} format is a table of CIS recommendations, and this run holds no CIS benchmark"
    )
    assert caught.value.hint == (
        "run a CIS benchmark ('rootwatch benchmark list' names them, one per cis/v*.yaml of the mod), "
        "e.g. 'rootwatch benchmark run cis_v700 --export audit.xlsx'"
    )


def test_a_status_narrowed_run_says_so() -> None:
    selection = pytest.importorskip("rootwatch.selection", reason="--status lives in rootwatch.selection")
    shown = selection.shown_result(sample_result(), frozenset({Status.ALARM}))
    report = cis_report(shown, "cis-md")
    assert report.narrowed == "only results in alarm are included (--status); other rows and items are left out"
    assert [r.item for r in report.tables[0].rows] == ["2.4"]
    assert cis_report(sample_result(), "cis-md").narrowed is None
