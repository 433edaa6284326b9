"""DuckDB never reaches the network: a file that is no DuckDB database is refused by its header
before DuckDB reads it (no extension download, no ``~/.duckdb``), and a snapshot is read with
external access and extension loading off in the connection's own configuration."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from rootwatch.engines.base import QueryFailed
from rootwatch.engines.duckdb_engine import DuckDBEngine


def _sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("create table aws_account (account_id text)")
    return path


NOT_SNAPSHOTS = {
    "sqlite": _sqlite,
    "random": lambda p: (p.write_bytes(os.urandom(20_000)), p)[1],
    "empty": lambda p: (p.write_bytes(b""), p)[1],
    "text": lambda p: (p.write_text("account_id\n111111111111\n"), p)[1],
}


@pytest.fixture()
def home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.mark.parametrize("kind", list(NOT_SNAPSHOTS))
@pytest.mark.parametrize(
    "command",
    [
        ("snapshot", "info", "{file}"),
        ("control", "run", "root_no_access_keys", "--snapshot", "{file}", "--mod-location", "{mod}"),
        ("query", "run", "select 1 as one", "--snapshot", "{file}", "--mod-location", "{mod}"),
        ("snapshot", "merge", "{snapshot}", "{file}", "-o", "{out}"),
    ],
)
def test_a_file_that_is_no_snapshot_is_refused_without_touching_home(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path, home: Path, kind: str, command: tuple[str, ...]) -> None:
    file = NOT_SNAPSHOTS[kind](tmp_path / f"{kind}.duckdb")
    out_path = tmp_path / "merged.duckdb"
    args = [part.format(file=file, mod=cli_mod, out=out_path, snapshot=cli_snapshot) for part in command]
    code, out, err = run_cli(*args)
    assert (code, out) == (3, ""), err
    assert "not a rootwatch snapshot" in err and str(file) in err
    assert "Traceback" not in err and "extension" not in err
    assert not (home / ".duckdb").exists()
    assert not out_path.exists()


def test_a_snapshot_is_graded_with_no_external_access(cli_snapshot: Path, home: Path) -> None:
    engine = DuckDBEngine.open(cli_snapshot)
    try:
        settings = engine.execute(
            "select current_setting('enable_external_access'), current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')"
        ).rows
        assert settings == [(False, False, False)]
        assert engine.execute("select count(*) from aws_account").rows == [(2,)]
        with pytest.raises(QueryFailed):
            engine.execute("select * from read_text('/etc/hostname')")
        with pytest.raises(QueryFailed):
            engine.execute("install sqlite")
        with pytest.raises(QueryFailed):
            engine.execute("set enable_external_access = true")
    finally:
        engine.close()
    assert not (home / ".duckdb").exists()


def test_grading_a_real_snapshot_leaves_home_alone(run_cli, cli_mod: Path, cli_snapshot: Path, home: Path) -> None:
    code, _, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert code in (1, 2), err
    assert not (home / ".duckdb").exists()
