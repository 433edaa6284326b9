"""``benchmark run`` / ``control run``: exact output, exit codes, the contract, the as-of pin."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import dedent


def test_benchmark_run_text_output_and_exit_code(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert code == 1, err
    assert out == dedent(
        f"""
        + Demo benchmark  alarm 1  ok 1  info 1
          + Keys  alarm 1  ok 1
            + Root user has no access keys  alarm 1  ok 1
              | OK     111111111111  Root user has no access keys.
              | ALARM  222222222222  Root user has 1 access key: key 1 (active, last used 2026-11-20, 5 days ago).
          + Labelled  info 1
            | INFO   111111111111  label security

        Summary  alarm 1  error 0  ok 1  info 1  skip 0   3 results, 2 controls
        As of    2026-11-25 12:00 UTC
        Source   snapshot {cli_snapshot} (captured 2026-11-25 12:00 UTC)
        """
    )
    assert err == ""


def test_brief_shows_only_failures(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, _ = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "brief")
    assert code == 1
    assert out.splitlines() == [
        "ALARM  root_no_access_keys  222222222222  Root user has 1 access key: key 1 (active, last used 2026-11-20, 5 days ago).",
        "Summary  alarm 1  error 0  ok 1  info 1  skip 0   3 results, 2 controls",
    ]


def test_output_none_prints_nothing_and_keeps_the_exit_code(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "none")
    assert (code, out, err) == (1, "", "")


def test_contract_violations_and_query_failures_are_control_errors(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, _ = run_cli("benchmark", "run", "broken", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "json")
    assert code == 2
    document = json.loads(out)
    controls = {c["control_id"]: c for c in document["groups"][0]["controls"]}
    assert controls["rootwatch.control.bad_status"]["run_error"] == (
        "control bad_status returned status 'passed' in row 1 (resource 'r'; columns resource, status, reason); "
        "status must be one of ok, alarm, info, skip, error"
    )
    assert controls["rootwatch.control.bad_columns"]["run_error"] == (
        "control bad_columns broke the result contract: missing columns status, reason; it returned columns "
        "resource, state (required: resource, status, reason)"
    )
    assert controls["rootwatch.control.failing_query"]["run_error"].startswith("control failing_query failed: ")
    assert "Could not convert string 'id 111111111111' to INT32" in controls["rootwatch.control.failing_query"]["run_error"]
    # The run went on: the good control still graded both accounts.
    assert len(controls["rootwatch.control.root_no_access_keys"]["results"]) == 2
    assert document["summary"]["status"] == {"alarm": 1, "ok": 1, "info": 0, "skip": 0, "error": 3}


def test_as_of_override_changes_time_based_reasons(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    args = ("control", "run", "root_no_access_keys", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "brief")
    _, default_out, _ = run_cli(*args)
    _, later_out, _ = run_cli(*args, "--as-of", "2027-11-20T12:00:00Z")
    assert "5 days ago" in default_out
    assert "365 days ago" in later_out


def test_string_variable_injection_is_inert(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    payload = "x' as reason, 'ok' as status --"
    code, out, _ = run_cli(
        "control", "run", "labelled", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot),
        "--var", f"owner_label={payload}", "--output", "json",
    )
    assert code == 0
    result = json.loads(out)["controls"][0]["results"][0]  # a control run alone sits at the root
    assert result["reason"] == f"label {payload}"
    assert result["status"] == "info"


def test_number_variable_injection_is_rejected_before_running(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, err = run_cli(
        "control", "run", "root_no_access_keys", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot),
        "--var", "root_recent_days=30; drop table x",
    )
    assert (code, out) == (3, "")
    assert err == "rootwatch: error: variable root_recent_days expects an integer, got '30; drop table x'\n"


def test_tag_filter_runs_only_matching_controls(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, _ = run_cli(
        "benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot),
        "--tag", "service=AWS/IAM", "--output", "json",
    )
    document = json.loads(out)
    assert code == 1
    assert document["groups"][0]["groups"][0]["controls"][0]["control_id"] == "rootwatch.control.root_no_access_keys"
    assert document["groups"][0]["controls"] == []  # 'labelled' has no service tag


def test_exports_are_written_from_the_same_results(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path) -> None:
    json_path, csv_path = tmp_path / "r.json", tmp_path / "r.csv"
    code, out, _ = run_cli(
        "benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot),
        "--output", "none", "--export", str(json_path), "--export", f"csv:{csv_path}",
    )
    assert (code, out) == (1, "")
    assert json.loads(json_path.read_text())["summary"]["status"]["alarm"] == 1
    header = csv_path.read_text().splitlines()[0]
    assert header.startswith("group_id,title,description,control_id,control_title,control_description,reason,resource,status,severity,account_id")


def test_parallel_and_serial_runs_agree(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    base = ("benchmark", "run", "broken", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "csv")
    _, serial, _ = run_cli(*base, "--max-parallel", "1")
    _, parallel, _ = run_cli(*base, "--max-parallel", "8")
    assert serial == parallel
    code, _, err = run_cli(*base, "--max-parallel", "0")
    assert code == 3 and "--max-parallel must be at least 1" in err
