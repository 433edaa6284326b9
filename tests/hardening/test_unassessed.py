"""Losing evidence resolves nothing: ``alarm -> skip`` or ``alarm -> gone`` is "no longer assessed" in
every ``rootwatch diff`` output and fails the gate unless ``--allow-unassessed``; ``--notify-new-only``
does not announce it as resolved (resolved is ok or info now), nor as new when the evidence returns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.receivers import write_config
from helpers.snapshots import CAPTURED_AT

from rootwatch.diff import FAIL_ON_POLICIES, Outcome, ResultKey, ResultSet, diff_results, should_fail
from rootwatch.status import Status

ACCOUNTS = ("111111111111", "222222222222")
BASE = {"partition": "aws", "region": "global"}


def _set(*items: tuple[str, Status]) -> ResultSet:
    return ResultSet("test", {ResultKey("c", resource): Outcome(status, "r") for resource, status in items})


def test_only_ok_or_info_is_resolved() -> None:
    old = _set(("a", Status.ALARM), ("b", Status.ALARM), ("c", Status.ALARM), ("d", Status.ERROR), ("e", Status.ERROR), ("f", Status.ALARM))
    new = _set(("a", Status.SKIP), ("c", Status.OK), ("d", Status.SKIP), ("e", Status.INFO), ("f", Status.ERROR))
    diff = diff_results(old, new)
    assert [c.key.resource for c in diff.no_longer_assessed] == ["a", "b", "d"]  # skip, gone, error -> skip
    assert [c.key.resource for c in diff.resolved] == ["c", "e"]
    assert [c.key.resource for c in diff.new_errors] == ["f"]  # alarm -> error stays a new error


@pytest.mark.parametrize("policy", [p for p in FAIL_ON_POLICIES if p != "never"])
def test_every_gate_fails_on_it_unless_allowed(policy: str) -> None:
    diff = diff_results(_set(("a", Status.ALARM)), _set(("a", Status.SKIP)))
    assert should_fail(diff, policy)
    assert not should_fail(diff, policy, allow_unassessed=True)
    assert not should_fail(diff, "never")


def _export(tmp_path: Path, name: str, status: str) -> Path:
    document = {
        "group_id": "root_result_group",
        "title": "t",
        "rootwatch": {"as_of": "2026-11-25T12:00:00+00:00"},
        "groups": [],
        "controls": [
            {
                "control_id": "rootwatch.control.root_no_access_keys",
                "title": "Root user has no access keys",
                "results": [
                    {"resource": "arn:aws:iam::111111111111:root", "status": status, "reason": f"{status} reason", "dimensions": []}
                ],
            }
        ],
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


def test_the_cli_reports_it_in_text_and_json_and_fails_the_gate(run_cli, tmp_path: Path) -> None:
    old, new = _export(tmp_path, "old", "alarm"), _export(tmp_path, "new", "skip")
    code, out, err = run_cli("diff", str(old), str(new))
    assert code == 1, err
    assert "No longer assessed (1)\n  alarm -> skip  root_no_access_keys" in out
    assert "Resolved" not in out.split("Summary")[0]
    assert "resolved 0  no longer assessed 1" in out

    export = tmp_path / "diff.json"
    code, out, _ = run_cli("diff", str(old), str(new), "--output", "json", "--export", str(export))
    document = json.loads(out)
    assert code == 1 and export.read_text() == out
    assert document["summary"]["no_longer_assessed"] == 1 and document["summary"]["resolved"] == 0
    assert document["no_longer_assessed"][0]["new"]["status"] == "skip"

    assert run_cli("diff", str(old), str(new), "--allow-unassessed")[0] == 0
    assert run_cli("diff", str(old), str(new), "--fail-on", "never")[0] == 0
    assert run_cli("diff", str(old), str(_export(tmp_path, "fixed", "ok")))[0] == 0


def _snapshot(path: Path, *, key_in_222: bool, summary_captured: bool) -> Path:
    from rootwatch.snapshot.metadata import NOT_CAPTURED, AccountInfo, SnapshotIssue
    from rootwatch.snapshot.writer import SnapshotWriter

    with SnapshotWriter(path, source="test", captured_at=CAPTURED_AT) as writer:
        writer.add_rows("aws_account", [{**BASE, "account_id": a} for a in ACCOUNTS])
        summaries = [{**BASE, "account_id": a, "account_access_keys_present": int(key_in_222 and a == "222222222222")} for a in ACCOUNTS]
        writer.add_rows("aws_iam_account_summary", summaries if summary_captured else summaries[:1])
        for account in ACCOUNTS:
            writer.add_account(AccountInfo(account, ("us-east-1",)))
        if not summary_captured:
            for table in ("aws_iam_account_summary", "aws_iam_credential_report"):
                writer.add_issue(SnapshotIssue(NOT_CAPTURED, f"{table} was not captured", "222222222222", None, table))
    return path


def test_notify_new_only_does_not_announce_lost_evidence_as_resolved(run_cli, cli_mod: Path, http_sink, tmp_path: Path) -> None:
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          audit: {{type: webhook, url: "{http_sink.url}/audit", level: verbose, retry: {{attempts: 1}}}}
    """)
    state = tmp_path / "state.json"
    common = ("control", "run", "root_no_access_keys", "--mod-location", str(cli_mod), "--output", "none",
              "--notify-config", str(config), "--state", str(state), "--notify-new-only")  # fmt: skip

    def notified(snapshot: Path) -> tuple[int, str, list[dict]]:
        """Run on ``snapshot``: the exit code, stderr and the items the webhook received."""
        http_sink.received.clear()
        code, _, err = run_cli(*common, "--snapshot", str(snapshot))
        return code, err, [item for request in http_sink.received for item in request.json()["items"]]

    code, err, _ = notified(_snapshot(tmp_path / "before.duckdb", key_in_222=True, summary_captured=True))
    assert code == 1, err

    code, err, items = notified(_snapshot(tmp_path / "lost.duckdb", key_in_222=True, summary_captured=False))
    assert code == 0, err
    assert [i for i in items if i["status"] == "resolved"] == [], items

    # The evidence returns and the key is still there: still failing, not a new alarm. The baseline
    # kept the finding through the run that could not assess it.
    code, err, items = notified(_snapshot(tmp_path / "back.duckdb", key_in_222=True, summary_captured=True))
    assert code == 1, err
    assert [i for i in items if i["status"] == "alarm"] == [], items
