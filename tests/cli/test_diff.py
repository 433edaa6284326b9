"""``rootwatch diff``: categories, exit codes for CI, both kinds of input, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.mods import scratch_mod
from helpers.snapshots import keys_snapshot

from rootwatch.diff import FAIL_ON_POLICIES, Outcome, ResultKey, ResultSet, diff_results, should_fail
from rootwatch.status import Status

OLD_KEYS = {"111111111111": 0, "222222222222": 1}
NEW_KEYS = {"111111111111": 1, "222222222222": 0, "333333333333": 1}


@pytest.fixture()
def runs(tmp_path: Path, run_cli) -> dict[str, Path]:
    """A mod, two snapshots (old, new) and their JSON exports of 'benchmark run root'."""
    mod = scratch_mod(tmp_path / "mod")
    paths = {"mod": mod}
    for name, keys in (("old", OLD_KEYS), ("new", NEW_KEYS)):
        snapshot = keys_snapshot(tmp_path / f"{name}.duckdb", keys)
        export = tmp_path / f"{name}.json"
        code, _, err = run_cli(
            "benchmark", "run", "root", "--mod-location", str(mod), "--snapshot", str(snapshot),
            "--output", "none", "--export", str(export),
        )  # fmt: skip
        assert code in (0, 1), err
        paths[f"{name}_snapshot"], paths[f"{name}_json"] = snapshot, export
    return paths


EXPECTED_TEXT = """\
Old  {old}  (as of 2026-11-25T12:00:00+00:00)
New  {new}  (as of 2026-11-25T12:00:00+00:00)

New alarms (2)
  ok -> alarm  root_no_access_keys  arn:aws:iam::111111111111:root  [111111111111]
      Root user has 1 access key (account summary); no credential report to say which (run aws iam generate-credential-report).
  absent -> alarm  root_no_access_keys  arn:aws:iam::333333333333:root  [333333333333]
      Root user has 1 access key (account summary); no credential report to say which (run aws iam generate-credential-report).

Resolved (1)
  alarm -> ok  root_no_access_keys  arn:aws:iam::222222222222:root  [222222222222]
      Root user has no access keys.

Summary  new alarms 2  new errors 0  still failing 0  resolved 1  no longer assessed 0  unchanged 3
"""


def test_json_exports_compared_as_text(run_cli, runs) -> None:
    code, out, err = run_cli("diff", str(runs["old_json"]), str(runs["new_json"]))
    assert (code, err) == (1, "")
    assert out == EXPECTED_TEXT.format(old=runs["old_json"], new=runs["new_json"])


def test_snapshots_graded_the_same_way_give_the_same_comparison(run_cli, runs) -> None:
    code, out, err = run_cli(
        "diff", str(runs["old_snapshot"]), str(runs["new_snapshot"]), "--benchmark", "root", "--mod-location", str(runs["mod"])
    )
    assert (code, err) == (1, "")
    assert out == EXPECTED_TEXT.format(old=runs["old_snapshot"], new=runs["new_snapshot"])


def test_json_output_and_export(run_cli, runs, tmp_path: Path) -> None:
    export = tmp_path / "diff.json"
    code, out, _ = run_cli("diff", str(runs["old_json"]), str(runs["new_json"]), "--output", "json", "--export", str(export))
    assert code == 1
    document = json.loads(out)
    assert export.read_text() == out
    assert document["summary"] == {"new_alarms": 2, "new_errors": 0, "still_failing": 0, "resolved": 1, "no_longer_assessed": 0, "unchanged": 3}
    assert document["new_alarms"][1] == {
        "control_id": "root_no_access_keys",
        "resource": "arn:aws:iam::333333333333:root",
        "dimensions": {"account_id": "333333333333"},
        "title": "Root user has no access keys",
        "old": None,
        "new": {
            "status": "alarm",
            "reason": "Root user has 1 access key (account summary); no credential report to say which "
            "(run aws iam generate-credential-report).",
        },
    }
    assert document["resolved"][0]["new"] == {"status": "ok", "reason": "Root user has no access keys."}
    assert (document["old"]["results"], document["new"]["results"]) == (4, 6)


@pytest.mark.parametrize(("policy", "expected"), [("new", 1), ("new-alarms", 1), ("new-errors", 0), ("failing", 1), ("never", 0)])
def test_fail_on_policies(run_cli, runs, policy: str, expected: int) -> None:
    code, _, _ = run_cli("diff", str(runs["old_json"]), str(runs["new_json"]), "--fail-on", policy, "--output", "json")
    assert code == expected


def test_the_same_run_twice_passes_unless_failing_is_gated(run_cli, runs) -> None:
    old = str(runs["old_json"])
    code, out, _ = run_cli("diff", old, old)
    assert code == 0
    assert out.splitlines()[3:] == [
        "Still failing (1)",
        "  alarm -> alarm  root_no_access_keys  arn:aws:iam::222222222222:root  [222222222222]",
        "      Root user has 1 access key (account summary); no credential report to say which (run aws iam generate-credential-report).",
        "",
        "Summary  new alarms 0  new errors 0  still failing 1  resolved 0  no longer assessed 0  unchanged 3",
    ]
    assert run_cli("diff", old, old, "--fail-on", "failing")[0] == 1


def test_a_new_error_fails_by_default(run_cli, runs, tmp_path: Path) -> None:
    document = json.loads(runs["old_json"].read_text())
    result = document["groups"][0]["controls"][0]["results"][0]  # 111111111111, ok before
    result["status"], result["reason"] = "error", "No IAM account summary for account 111111111111."
    errored = tmp_path / "errored.json"
    errored.write_text(json.dumps(document))
    code, out, _ = run_cli("diff", str(runs["old_json"]), str(errored), "--output", "json")
    assert code == 1
    summary = json.loads(out)["summary"]
    assert (summary["new_errors"], summary["new_alarms"]) == (1, 0)
    assert run_cli("diff", str(runs["old_json"]), str(errored), "--fail-on", "new-alarms")[0] == 0


def test_a_control_run_error_is_a_result_of_its_own(run_cli, runs, tmp_path: Path) -> None:
    document = json.loads(runs["new_json"].read_text())
    control = document["groups"][0]["controls"][1]  # account_listed
    control.update(results=None, run_status=8, run_error="control account_listed failed: boom")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    code, out, _ = run_cli("diff", str(runs["new_json"]), str(broken), "--output", "json")
    assert code == 1
    (error,) = json.loads(out)["new_errors"]
    assert (error["control_id"], error["resource"], error["new"]["reason"]) == ("account_listed", "", "control account_listed failed: boom")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"group_id": "x"}', "{path}: not a rootwatch or Powerpipe JSON export (expected the object written by --export FILE.json)"),
        ("[1, 2]", "{path}: not a rootwatch or Powerpipe JSON export (expected the object written by --export FILE.json)"),
        ('{"group_id": ', "{path}:1: not valid JSON: Expecting value (column 14)"),
        ("group_id,title\n", "{path}: neither a rootwatch JSON export nor a DuckDB snapshot"),
    ],
)
def test_bad_json_input_names_the_file(run_cli, runs, tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run_cli("diff", str(bad), str(runs["new_json"]))
    assert (code, out) == (3, "")
    assert err.splitlines()[0] == "rootwatch: error: " + message.format(path=bad)


def test_a_malformed_export_names_where(run_cli, runs, tmp_path: Path) -> None:
    document = json.loads(runs["old_json"].read_text())
    document["groups"][0]["controls"][0]["results"][1]["status"] = "failed"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    code, _, err = run_cli("diff", str(runs["old_json"]), str(bad))
    assert code == 3
    assert err == (
        f"rootwatch: error: {bad}: malformed rootwatch JSON export at $.groups[0].controls[0].results[1].status: "
        "'failed' is not one of ok, alarm, info, skip, error\n"
    )


def test_usage_errors(run_cli, runs, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    assert run_cli("diff", str(missing), str(runs["new_json"]))[2] == f"rootwatch: error: {missing}: no such file\n"
    code, _, err = run_cli("diff", str(runs["old_json"]), str(runs["new_snapshot"]))
    assert code == 3 and "are not of the same kind (one JSON export, one snapshot)" in err
    code, _, err = run_cli("diff", str(runs["old_snapshot"]), str(runs["new_snapshot"]))
    assert code == 3 and err.startswith("rootwatch: error: comparing two snapshots needs --benchmark NAME")
    code, _, err = run_cli("diff", str(runs["old_json"]), str(runs["new_json"]), "--benchmark", "root")
    assert (code, err) == (3, "rootwatch: error: --benchmark applies only to snapshots; JSON exports are compared as they are\n")
    code, _, err = run_cli("diff", str(runs["old_json"]), str(runs["new_json"]), "--fail-on", "sometimes")
    assert code == 3 and "invalid choice: 'sometimes'" in err


def test_help_documents_the_exit_codes(run_cli) -> None:
    code, out, _ = run_cli("diff", "--help")
    assert code == 0
    assert "  1  something fails it (default: a new alarm or a new error)" in out
    assert "  3  bad input or usage" in out
    for policy in FAIL_ON_POLICIES:
        assert f"  {policy} " in out


def _set(*items: tuple[str, Status]) -> ResultSet:
    return ResultSet("test", {ResultKey("c", resource): Outcome(status, "r") for resource, status in items})


def test_categories_cover_every_transition() -> None:
    old = _set(("a", Status.ALARM), ("b", Status.ERROR), ("c", Status.ALARM), ("d", Status.OK), ("e", Status.ALARM), ("f", Status.SKIP))
    new = _set(("a", Status.ALARM), ("b", Status.ALARM), ("c", Status.ERROR), ("d", Status.INFO), ("f", Status.OK), ("g", Status.ERROR))
    diff = diff_results(old, new)
    assert [c.key.resource for c in diff.still_failing] == ["a"]
    assert [c.key.resource for c in diff.new_alarms] == ["b"]  # error -> alarm is a new alarm
    assert [c.key.resource for c in diff.new_errors] == ["c", "g"]  # alarm -> error, absent -> error
    assert [c.key.resource for c in diff.resolved] == []
    assert [c.key.resource for c in diff.no_longer_assessed] == ["e"]  # alarm -> gone: not resolved
    assert diff.unchanged == 2  # d (ok -> info) and f (skip -> ok)
    assert should_fail(diff, "new") and should_fail(diff, "new-errors") and not should_fail(diff, "never")


def _as_powerpipe_export(ours: Path, target: Path) -> Path:
    """``ours`` as Powerpipe writes its JSON export: no rootwatch block, ids of another mod."""
    document = json.loads(ours.read_text())
    del document["rootwatch"]

    def rename(group: dict) -> None:
        for control in group.get("controls") or []:
            control["control_id"] = control["control_id"].replace("rootwatch.control.", "aws_compliance.control.")
        for child in group.get("groups") or []:
            rename(child)

    rename(document)
    target.write_text(json.dumps(document))
    return target


def test_a_powerpipe_export_is_a_baseline(run_cli, runs, tmp_path: Path) -> None:
    baseline = _as_powerpipe_export(runs["old_json"], tmp_path / "powerpipe.json")
    code, out, err = run_cli("diff", str(baseline), str(runs["new_json"]))
    assert (code, err) == (1, "")
    assert out.startswith(f"Old  {baseline}\nNew  {runs['new_json']}  (as of 2026-11-25T12:00:00+00:00)\n")
    assert out.split("\n", 2)[2] == EXPECTED_TEXT.split("\n", 2)[2]
    code, out, _ = run_cli("diff", str(baseline), str(_as_powerpipe_export(runs["old_json"], tmp_path / "same.json")))
    assert code == 0 and "new alarms 0" in out
