"""A small mod and snapshot of its own for command-line tests, independent of the real controls'
evolving texts: the exemplar control plus controls that break the contract on purpose."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers.mods import cli_mod as cli_mod_in
from helpers.snapshots import write_snapshot

from rootwatch.cli.main import main

CAPTURED = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

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


@pytest.fixture()
def cli_mod(tmp_path: Path) -> Path:
    return cli_mod_in(tmp_path / "mod")


@pytest.fixture()
def cli_snapshot(tmp_path: Path) -> Path:
    return write_snapshot(tmp_path / "org.duckdb", ROWS, captured_at=CAPTURED)


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
