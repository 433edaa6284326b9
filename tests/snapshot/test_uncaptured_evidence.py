"""Evidence a snapshot did not capture is graded ``skip``, never read as an empty table.

An account whose virtual MFA device list failed to load must not pass the hardware MFA control on
"no virtual device"; its report-based verdicts and the other accounts are graded as usual.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rootwatch.cli.main import main
from rootwatch.snapshot.metadata import NOT_CAPTURED, SnapshotInfo, SnapshotIssue
from rootwatch.snapshot.writer import SnapshotWriter

CAPTURED = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
FAILED, FINE = "111111111111", "222222222222"


def _snapshot(path: Path, issues: list[SnapshotIssue], iam_of_failed: bool = True) -> Path:
    with SnapshotWriter(path, source="test", captured_at=CAPTURED) as writer:
        for account in (FAILED, FINE):
            writer.add_rows("aws_account", [{"account_id": account, "partition": "aws", "region": "global"}])
            if account == FAILED and not iam_of_failed:
                continue
            writer.add_rows("aws_iam_account_summary", [{
                "account_id": account, "partition": "aws", "region": "global",
                "account_mfa_enabled": True, "account_password_present": True, "account_access_keys_present": 0,
            }])
            writer.add_rows("aws_iam_credential_report", [{
                "account_id": account, "partition": "aws", "region": "global", "user_name": "<root_account>",
                "user_arn": f"arn:aws:iam::{account}:root", "generated_time": CAPTURED, "password_enabled": True,
                "mfa_active": True, "access_key_1_active": False, "access_key_2_active": False,
                "cert_1_active": False, "cert_2_active": False,
            }])
        for issue in issues:
            writer.add_issue(issue)
    return path


def _graded(snapshot: Path, control: str, capsys) -> dict[str, tuple[str, str]]:
    code = main(["control", "run", control, "--snapshot", str(snapshot), "--output", "csv"])
    assert code in (0, 1, 2)  # 2: an error row (a missing credential report)
    rows = csv.DictReader(io.StringIO(capsys.readouterr().out))
    return {row["account_id"]: (row["status"], row["reason"]) for row in rows}


def test_a_failed_account_wide_call_makes_its_table_uncaptured() -> None:
    info = SnapshotInfo(CAPTURED, "test", "0", CAPTURED, issues=(
        SnapshotIssue("error", "AccessDenied: no", FAILED, "global", "iam:ListVirtualMFADevices"),
        SnapshotIssue("error", "AccessDenied: no", FAILED, "eu-west-1", "cloudtrail:DescribeTrails"),
        SnapshotIssue(NOT_CAPTURED, "built from a report", FINE, None, "aws_cloudtrail_trail"),
        SnapshotIssue("skipped_file", "bad", FINE, None, "x.json"),
    ))
    assert info.uncaptured_tables() == {
        FAILED: frozenset({"aws_iam_virtual_mfa_device"}),
        FINE: frozenset({"aws_cloudtrail_trail"}),
    }


def test_failed_virtual_mfa_listing_skips_hardware_mfa_for_that_account_only(tmp_path: Path, capsys) -> None:
    failure = SnapshotIssue("error", "AccessDenied: not allowed", FAILED, "global", "iam:ListVirtualMFADevices")
    graded = _graded(_snapshot(tmp_path / "s.duckdb", [failure]), "root_hardware_mfa_enabled", capsys)
    assert graded[FINE][0] == "ok"
    assert graded[FAILED] == ("skip", (
        f"Not assessed: the snapshot did not capture aws_iam_virtual_mfa_device for account {FAILED}, so "
        "root_hardware_mfa_enabled cannot grade it; rebuild the snapshot with that evidence "
        "(rootwatch snapshot from-aws, or from-files with the account's AWS CLI outputs)."))
    # Controls that do not read the missing table are graded as usual.
    assert _graded(tmp_path / "s.duckdb", "root_mfa_enabled", capsys)[FAILED][0] == "ok"


@pytest.mark.parametrize(
    ("control", "status", "reason_start"),
    [
        # A missing report is credential_report_fresh's own finding (optional_evidence), an error row.
        ("credential_report_fresh", "error", f"No credential report for account {FAILED}"),
        # The IAM controls fall back from a missing summary to the report, but need the report.
        ("root_no_access_keys", "skip", "Not assessed: the snapshot did not capture aws_iam_credential_report"),
    ],
)
def test_failed_report_and_summary(tmp_path: Path, capsys, control: str, status: str, reason_start: str) -> None:
    issues = [
        SnapshotIssue("error", "Timeout: no report", FAILED, "global", "iam:GetCredentialReport"),
        SnapshotIssue("error", "AccessDenied: no", FAILED, "global", "iam:GetAccountSummary"),
    ]
    graded = _graded(_snapshot(tmp_path / "s.duckdb", issues, iam_of_failed=False), control, capsys)
    assert graded[FINE][0] == "ok"
    assert graded[FAILED][0] == status and graded[FAILED][1].startswith(reason_start), graded[FAILED]


def test_a_table_missed_in_some_regions_is_told_apart_from_one_missed_everywhere() -> None:
    info = SnapshotInfo(CAPTURED, "test", "0", CAPTURED, issues=(
        SnapshotIssue(NOT_CAPTURED, "no list-rules.json", FAILED, "eu-west-1", "aws_eventbridge_rule"),
        SnapshotIssue(NOT_CAPTURED, "no list-rules.json", FAILED, "ap-south-1", "aws_eventbridge_rule"),
        SnapshotIssue(NOT_CAPTURED, "no region folder", FINE, None, "aws_eventbridge_rule"),
        SnapshotIssue(NOT_CAPTURED, "bad file", FINE, "eu-west-1", "aws_eventbridge_rule"),
    ))
    assert info.uncaptured_tables() == {FAILED: frozenset({"aws_eventbridge_rule"}), FINE: frozenset({"aws_eventbridge_rule"})}
    # FINE missed the table for the whole account, so it has no per-region entry.
    assert info.uncaptured_regions() == {FAILED: {"aws_eventbridge_rule": frozenset({"eu-west-1", "ap-south-1"})}}


def _eventbridge_snapshot(path: Path, uncaptured_region: str) -> Path:
    """FAILED and FINE: a multi-region trail listed in us-east-1 and eu-west-1 and no CIS chain; a root
    rule to a confirmed topic in us-east-1 only. FAILED's rules of ``uncaptured_region`` were not read."""
    with SnapshotWriter(path, source="test", captured_at=CAPTURED) as writer:
        for account in (FAILED, FINE):
            writer.add_rows("aws_account", [{"account_id": account, "partition": "aws", "region": "global"}])
            writer.add_rows("aws_cloudtrail_trail", [{
                "account_id": account, "partition": "aws", "region": region, "name": "main", "home_region": "us-east-1",
                "arn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/main", "is_multi_region_trail": True,
                "is_logging": True, "is_organization_trail": False,
                "event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
            } for region in ("us-east-1", "eu-west-1")])
            topic = f"arn:aws:sns:us-east-1:{account}:root-alerts"
            writer.add_rows("aws_eventbridge_rule", [{
                "account_id": account, "partition": "aws", "region": "us-east-1", "name": "root-activity",
                "arn": f"arn:aws:events:us-east-1:{account}:rule/root-activity", "event_bus_name": "default",
                "state": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                "event_pattern": {"detail": {"userIdentity": {"type": ["Root"]}}}, "targets": [{"Id": "t", "Arn": topic}],
            }])
            writer.add_rows("aws_sns_topic_subscription", [{
                "account_id": account, "partition": "aws", "region": "us-east-1", "topic_arn": topic,
                "subscription_arn": f"{topic}:0c1d", "protocol": "email", "endpoint": "a@example.com", "pending_confirmation": False,
            }])
        writer.add_issue(SnapshotIssue(NOT_CAPTURED, "no list-rules.json", FAILED, uncaptured_region, "aws_eventbridge_rule"))
    return path


def test_rules_not_captured_in_the_region_a_verdict_rests_on_make_it_skip(tmp_path: Path, capsys) -> None:
    graded = _graded(_eventbridge_snapshot(tmp_path / "s.duckdb", "eu-west-1"), "root_activity_alerted", capsys)
    # Both lack a rule in eu-west-1, where the trail logs: FINE's rules there were read (an alarm),
    # FAILED's were not (no evidence either way).
    assert graded[FINE][0] == "alarm" and "no EventBridge rule for root activity in eu-west-1" in graded[FINE][1]
    assert graded[FAILED] == ("skip", (
        f"Not assessed: the snapshot did not capture aws_eventbridge_rule in eu-west-1 for account {FAILED}, so "
        "root_activity_alerted cannot grade it; rebuild the snapshot with that evidence "
        "(rootwatch snapshot from-aws, or from-files with the account's AWS CLI outputs)."))


def test_rules_not_captured_in_a_region_the_verdict_does_not_rest_on_leave_it(tmp_path: Path, capsys) -> None:
    graded = _graded(_eventbridge_snapshot(tmp_path / "s.duckdb", "ap-south-1"), "root_activity_alerted", capsys)
    assert graded[FAILED] == (graded[FINE][0], graded[FINE][1].replace(FINE, FAILED))
    assert graded[FAILED][0] == "alarm" and "no EventBridge rule for root activity in eu-west-1" in graded[FAILED][1]
