"""csv, json and md beyond their golden files: the Powerpipe shapes and escaping that tools rely on."""

from __future__ import annotations

import csv
import io
import json

AWKWARD_REASON = 'Root user has 1 access key(s): key 1 (active, "last used" 2026-11-20,\n5 days ago).'
SCRIPT = "<script>alert(1)</script>"


def test_csv_columns_in_powerpipe_order(sample_result, render) -> None:
    rows = list(csv.reader(io.StringIO(render("csv", sample_result))))
    assert rows[0] == [
        "group_id", "title", "description", "control_id", "control_title", "control_description", "reason",
        "resource", "status", "severity",
        "account_id", "region",  # dimensions, sorted
        "account_name",  # beside the dimensions, because results carry an account_id
        "cis", "cis_item_id", "cis_level", "cis_section_id", "cis_type", "cis_version", "note", "service",  # tags, sorted
    ]  # fmt: skip
    assert all(len(row) == len(rows[0]) for row in rows)


def test_csv_round_trips_commas_quotes_newlines_and_markup(sample_result, render) -> None:
    records = list(csv.DictReader(io.StringIO(render("csv", sample_result))))
    assert len(records) == len(sample_result.records()) == 13
    alarm = next(r for r in records if r["control_id"] == "rootwatch.control.root_no_access_keys" and r["status"] == "alarm")
    assert alarm["reason"] == AWKWARD_REASON
    assert alarm["group_id"] == "rootwatch.benchmark.root"
    assert alarm["account_id"] == "222222222222" and alarm["region"] == ""
    mfa = next(r for r in records if r["control_id"] == "rootwatch.control.root_mfa_enabled" and r["status"] == "alarm")
    assert SCRIPT in mfa["reason"] and mfa["note"] == SCRIPT  # CSV is data: kept verbatim


def test_csv_control_run_error_is_one_error_row(sample_result, render) -> None:
    records = list(csv.DictReader(io.StringIO(render("csv", sample_result))))
    (error,) = [r for r in records if r["control_id"] == "rootwatch.control.credential_report_fresh"]
    assert (error["status"], error["resource"]) == ("error", "")
    assert error["reason"].startswith("control credential_report_fresh failed:")


def test_json_has_powerpipes_shape(sample_result, render) -> None:
    document = json.loads(render("json", sample_result))
    assert set(document) >= {"group_id", "title", "description", "tags", "summary", "groups", "controls", "rootwatch"}
    assert document["group_id"] == "root_result_group"
    assert document["summary"] == {"status": {"alarm": 4, "ok": 3, "info": 2, "skip": 2, "error": 2}}
    root_group = document["groups"][0]
    assert root_group["group_id"] == "rootwatch.benchmark.root"
    control = root_group["controls"][0]
    assert set(control) >= {
        "summary", "results", "control_id", "description", "severity", "tags", "title", "run_status", "run_error",
    }  # fmt: skip
    assert control["control_id"] == "rootwatch.control.root_no_access_keys"
    assert control["summary"] == {"alarm": 1, "ok": 1, "info": 0, "skip": 0, "error": 0}
    assert control["results"][1] == {
        "reason": AWKWARD_REASON,
        "resource": "arn:aws:iam::222222222222:root",
        "status": "alarm",
        "dimensions": [{"key": "account_id", "value": "222222222222"}],
    }


def test_json_run_status_uses_powerpipes_numbers(sample_result, render) -> None:
    document = json.loads(render("json", sample_result))
    controls = {c["control_id"]: c for c in document["groups"][0]["controls"]}
    assert controls["rootwatch.control.root_no_access_keys"]["run_status"] == 4  # complete
    failed = controls["rootwatch.control.credential_report_fresh"]
    assert (failed["run_status"], failed["results"]) == (8, [])  # error
    assert failed["run_error"].startswith("control credential_report_fresh failed:")


def test_json_records_the_run_context(sample_result, render) -> None:
    context = json.loads(render("json", sample_result))["rootwatch"]
    assert context["as_of"] == "2026-11-25T12:00:00+00:00"
    assert context["exit_code"] == 2
    assert context["variables"] == {"root_recent_days": 30}


def test_markdown_escapes_markup_pipes_and_newlines(sample_result, render) -> None:
    text = render("md", sample_result)
    assert SCRIPT not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert '(active, "last used" 2026-11-20, 5 days ago)' in text  # the newline became a space
    for line in text.splitlines():
        if line.startswith("| "):
            assert line.endswith(" |")


def test_csv_cells_from_the_accounts_are_never_formulas(sample_result, render) -> None:
    from dataclasses import replace

    from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow
    from rootwatch.status import Status

    node = next(run.node for _, run in sample_result.control_runs() if run.node.id == "root_no_access_keys")
    row = ResultRow("=HYPERLINK(\"http://x\")", Status.ALARM, "+1 trail", (("account_id", "@111111111111"), ("region", "-eu")))
    result = replace(sample_result, root=GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, (ControlRun(node, (row,)),)))
    (record,) = list(csv.DictReader(io.StringIO(render("csv", result))))
    assert (record["resource"], record["reason"], record["account_id"], record["region"]) == (
        "'=HYPERLINK(\"http://x\")", "'+1 trail", "'@111111111111", "'-eu")
