"""A small mod and snapshot of its own for command-line tests, independent of the real controls'
evolving texts: the exemplar control plus controls that break the contract on purpose."""

from __future__ import annotations

import shutil
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rootwatch.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CAPTURED = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

MOD_YAML = """\
mod: {name: clitest, title: CLI test mod}
variables:
  root_recent_days: {type: integer, default: 30, minimum: 1, description: window}
  owner_label: {type: string, default: security, description: free text shown in a reason}
benchmarks:
  demo:
    title: Demo benchmark
    children:
      - benchmark: demo_keys
        title: Keys
        children:
          - control: root_no_access_keys
      - control: labelled
  broken:
    title: Broken controls
    children:
      - control: bad_status
      - control: bad_columns
      - control: failing_query
      - control: root_no_access_keys
"""

META = """\
title: {title}
description: {title}.
severity: low
docs: {{rationale: r, remediation: m}}
"""

EXTRA_CONTROLS = {
    "labelled": "select 'arn:aws:iam::111111111111:root' as resource, 'info' as status, "
    "'label ' || :owner_label as reason, '111111111111' as account_id",
    "bad_status": "select 'r' as resource, 'passed' as status, 'x' as reason",
    "bad_columns": "select 'r' as resource, 'ok' as state",
    "failing_query": "select cast('id ' || account_id as integer) as resource, 'ok' as status, 'x' as reason from aws_account",
}

ROWS = {
    "aws_account": [
        {"account_id": "111111111111", "partition": "aws", "region": "global"},
        {"account_id": "222222222222", "partition": "aws", "region": "global"},
    ],
    "aws_iam_account_summary": [
        {"account_id": "111111111111", "partition": "aws", "region": "global", "account_access_keys_present": 0},
        {"account_id": "222222222222", "partition": "aws", "region": "global", "account_access_keys_present": 1},
    ],
    "aws_iam_credential_report": [
        {
            "account_id": "222222222222",
            "partition": "aws",
            "region": "global",
            "user_name": "<root_account>",
            "user_arn": "arn:aws:iam::222222222222:root",
            "generated_time": "2026-11-25T10:00:00Z",
            "access_key_1_active": True,
            "access_key_1_last_rotated": "2025-01-01T00:00:00Z",
            "access_key_1_last_used_date": "2026-11-20T12:00:00Z",
            "access_key_2_active": False,
        }
    ],
}


def _copy_relations_read_by(control_id: str, controls: Path) -> None:
    from rootwatch.mod.loader import load_mod
    from rootwatch.sql.relations import used_relations

    (controls / "relations").mkdir()
    for relation in used_relations(load_mod(REPO).control(control_id).source):
        shutil.copy(relation.path, controls / "relations")


@pytest.fixture()
def cli_mod(tmp_path: Path) -> Path:
    root = tmp_path / "mod"
    controls = root / "controls"
    controls.mkdir(parents=True)
    (root / "mod.yaml").write_text(MOD_YAML)
    for suffix in (".sql", ".yaml"):
        shutil.copy(REPO / "controls" / f"root_no_access_keys{suffix}", controls)
    _copy_relations_read_by("root_no_access_keys", controls)
    for name, sql in EXTRA_CONTROLS.items():
        (controls / f"{name}.sql").write_text(sql)
        (controls / f"{name}.yaml").write_text(META.format(title=name.replace("_", " ").capitalize()))
    return root


@pytest.fixture()
def cli_snapshot(tmp_path: Path) -> Path:
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    path = tmp_path / "org.duckdb"
    with SnapshotWriter(path, source="test", captured_at=CAPTURED) as writer:
        for table, rows in ROWS.items():
            writer.add_rows(table, rows)
        for row in ROWS["aws_account"]:
            writer.add_account(AccountInfo(row["account_id"], ("us-east-1",)))
    return path


@pytest.fixture()
def run_cli(capsys, monkeypatch):
    """Run the command in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("ROOTWATCH_SNAPSHOT", raising=False)
    monkeypatch.delenv("ROOTWATCH_DATABASE", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own exits (--help, usage errors)
            code = exc.code if isinstance(exc.code, int) else 0
        out, err = capsys.readouterr()
        return code, out, err

    return run


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
