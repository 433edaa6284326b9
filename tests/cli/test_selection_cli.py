"""``--where`` (what runs) and ``--status`` (what is shown) through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.mods import scratch_mod
from helpers.snapshots import keys_snapshot


@pytest.fixture()
def scratch_setup(tmp_path: Path) -> tuple[Path, Path]:
    mod = scratch_mod(tmp_path / "mod")
    snapshot = keys_snapshot(tmp_path / "org.duckdb", {"111111111111": 0, "222222222222": 1})
    return mod, snapshot


def _ran(document: dict) -> list[str]:
    """Control ids in a JSON export, depth first."""
    found = [c["control_id"].removeprefix("rootwatch.control.") for c in document["controls"]]
    for group in document["groups"]:
        found += _ran(group)
    return found


def _run_json(run_cli, mod: Path, snapshot: Path, *extra: str) -> tuple[int, dict | None, str]:
    code, out, err = run_cli(
        "benchmark", "run", "root", "cis_v700", "--mod-location", str(mod), "--snapshot", str(snapshot), "--output", "json", *extra
    )
    return code, (json.loads(out) if out else None), err


def test_where_on_tags_runs_only_matching_items(run_cli, scratch_setup) -> None:
    code, document, err = _run_json(run_cli, *scratch_setup, "--where", "tags.cis_level = '1'")
    assert code == 1, err
    assert _ran(document) == ["cis_v700_2_4", "cis_v700_2_5"]  # the root benchmark's controls carry no CIS tags


def test_where_on_severity_and_id(run_cli, scratch_setup) -> None:
    code, document, _ = _run_json(run_cli, *scratch_setup, "--where", "severity = 'low'")
    assert code == 0  # only the info control ran: no alarm
    assert _ran(document) == ["account_listed", "cis_v700_2_9"]
    code, document, _ = _run_json(run_cli, *scratch_setup, "--where", "control_id like 'cis_v700_2%'", "--where", "control is not null")
    assert _ran(document) == ["cis_v700_2_4", "cis_v700_2_9"]


def test_where_and_tag_combine(run_cli, scratch_setup) -> None:
    _, document, _ = _run_json(run_cli, *scratch_setup, "--tag", "service=AWS/IAM", "--where", "severity >= 'high'")
    assert _ran(document) == ["root_no_access_keys", "cis_v700_2_4"]


def test_bad_where_is_a_usage_error_before_anything_runs(run_cli, scratch_setup) -> None:
    code, document, err = _run_json(run_cli, *scratch_setup, "--where", "sevrity = 'high'")
    assert (code, document) == (3, None)
    assert err == "rootwatch: error: --where \"sevrity = 'high'\": unknown field 'sevrity'\n  hint: did you mean 'severity'?\n"


def test_a_selection_that_matches_nothing_is_a_usage_error(run_cli, scratch_setup) -> None:
    # An empty run would exit 0: a CI gate with a typo in its filter would pass forever.
    code, document, err = _run_json(run_cli, *scratch_setup, "--tag", "cis_levle=1")
    assert (code, document) == (3, None)
    assert err.startswith("rootwatch: error: no control of root, cis_v700 matches --tag cis_levle=1\n")
    code, document, err = _run_json(run_cli, *scratch_setup, "--where", "tags.cis_level = '9'")
    assert (code, document) == (3, None)
    assert "matches --where \"tags.cis_level = '9'\"" in err


def test_severity_is_checked_and_case_insensitive(run_cli, scratch_setup) -> None:
    code, document, err = _run_json(run_cli, *scratch_setup, "--where", "severity > 'extreme'")
    assert (code, document) == (3, None)
    assert err == (
        "rootwatch: error: --where \"severity > 'extreme'\": 'extreme' is not a severity\n"
        "  hint: severities, lowest first: low, medium, high, critical\n"
    )
    _, lower, _ = _run_json(run_cli, *scratch_setup, "--where", "severity = 'low'")
    _, upper, _ = _run_json(run_cli, *scratch_setup, "--where", "severity = 'LOW'")
    assert _ran(upper) == _ran(lower) == ["account_listed", "cis_v700_2_9"]


def test_exports_are_checked_before_the_run_and_written_together(run_cli, scratch_setup, tmp_path: Path) -> None:
    kept = tmp_path / "kept.csv"
    kept.write_text("previous run")
    code, document, err = _run_json(
        run_cli, *scratch_setup, "--export", str(kept), "--export", str(tmp_path / "missing" / "r.json")
    )
    assert (code, document) == (3, None)
    assert err.startswith(f"rootwatch: error: --export {tmp_path}/missing/r.json: directory {tmp_path}/missing does not exist")
    assert kept.read_text() == "previous run"


def test_status_filters_stdout_but_not_the_exit_code(run_cli, scratch_setup) -> None:
    mod, snapshot = scratch_setup
    code, out, err = run_cli(
        "benchmark", "run", "root", "--mod-location", str(mod), "--snapshot", str(snapshot), "--status", "ok,info"
    )
    assert code == 1  # the alarm was hidden, not forgiven
    assert "ALARM" not in out
    assert out.splitlines()[:5] == [
        "+ Root  ok 1  info 2",
        "  + Root user has no access keys  ok 1",
        "    | OK     111111111111  Root user has no access keys.",
        "  + Account is listed  info 2",
        "    | INFO   111111111111  Account 111111111111 is in the snapshot.",
    ]
    assert err == (
        "rootwatch: showing ok, info results only (--status); whole run: alarm 1  error 0  ok 1  info 2  skip 0; "
        "the exit code (1) reflects the whole run\n"
    )


def test_status_with_nothing_to_show_still_exits_on_the_whole_run(run_cli, scratch_setup) -> None:
    code, document, _ = _run_json(run_cli, *scratch_setup, "--status", "error")
    assert code == 1
    assert document["groups"] == [] and document["controls"] == []
    assert document["rootwatch"]["exit_code"] == 1


def test_status_applies_to_control_run(run_cli, scratch_setup) -> None:
    mod, snapshot = scratch_setup
    code, out, _ = run_cli(
        "control", "run", "root_no_access_keys", "--mod-location", str(mod), "--snapshot", str(snapshot),
        "--status", "alarm", "--output", "csv",
    )  # fmt: skip
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 and ",alarm," in lines[1]


def test_bad_status_is_a_usage_error(run_cli, scratch_setup) -> None:
    code, document, err = _run_json(run_cli, *scratch_setup, "--status", "alarms")
    assert (code, document) == (3, None)
    assert err == "rootwatch: error: --status 'alarms': unknown status 'alarms'\n  hint: did you mean 'alarm'?\n"


def test_help_documents_both_options(run_cli) -> None:
    code, out, _ = run_cli("benchmark", "run", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "--where EXPR run only controls whose metadata matches EXPR" in flat
    assert "--status STATUSES show (on stdout and in exports) only results with these statuses" in flat
    assert "the exit code still reflects the whole run" in flat
