"""A small mod and snapshot of its own for command-line tests, independent of the real controls'
evolving texts: the exemplar control plus controls that break the contract on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.mods import CLI_ROWS
from helpers.mods import cli_mod as cli_mod_in
from helpers.snapshots import write_snapshot

from rootwatch.cli.main import main

@pytest.fixture()
def cli_mod(tmp_path: Path) -> Path:
    return cli_mod_in(tmp_path / "mod")


@pytest.fixture()
def cli_snapshot(tmp_path: Path) -> Path:
    return write_snapshot(tmp_path / "org.duckdb", CLI_ROWS)


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
