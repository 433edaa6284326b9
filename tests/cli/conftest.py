"""A small mod and snapshot of its own for command-line tests, independent of the real controls'
evolving texts: the exemplar control plus controls that break the contract on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.mods import CLI_ROWS
from helpers.mods import cli_mod as cli_mod_in
from helpers.snapshots import write_snapshot


@pytest.fixture()
def cli_mod(tmp_path: Path) -> Path:
    return cli_mod_in(tmp_path / "mod")


@pytest.fixture()
def cli_snapshot(tmp_path: Path) -> Path:
    return write_snapshot(tmp_path / "org.duckdb", CLI_ROWS)
