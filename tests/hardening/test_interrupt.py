"""Ctrl-C on a Postgres run cancels the running statements on the server: the run exits 130 at once
instead of waiting for its queries (56 s seen), and no statement is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.mods import write_files

SLEEP = 60


def _slow_mod(root: Path, controls: int) -> Path:
    files = {"mod.yaml": "mod: {name: slow, title: Slow mod}\nbenchmarks:\n  slow:\n    title: Slow\n    children:\n"}
    for index in range(controls):
        files["mod.yaml"] += f"      - control: slow_{index}\n"
        files[f"controls/slow_{index}.sql"] = (
            f"select 'r{index}' as resource, 'ok' as status, 'slept' as reason from (select pg_sleep({SLEEP})) as s\n"
        )
        files[f"controls/slow_{index}.yaml"] = "title: Slow\ndescription: Waits.\nseverity: low\ndocs: {rationale: r, remediation: m}\n"
    return write_files(root, files)


def _sleeping(con) -> int:  # noqa: ANN001
    return con.execute(
        "select count(*) from pg_stat_activity where query ilike %s and pid <> pg_backend_pid()", (f"%pg_sleep({SLEEP})%",)
    ).fetchone()[0]


@pytest.mark.postgres
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_cancels_its_queries_on_the_server(pg_dsn: str, tmp_path: Path, signum: int) -> None:
    import psycopg

    mod = _slow_mod(tmp_path / "mod", 3)
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("create table if not exists aws_account (account_id text, partition text, region text)")
        process = subprocess.Popen(
            [sys.executable, "-m", "rootwatch", "control", "run", "all", "--mod-location", str(mod), "--database", pg_dsn,
             "--max-parallel", "3", "--output", "none"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while _sleeping(con) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _sleeping(con) == 3, "the controls never started"
        began = time.monotonic()
        process.send_signal(signum)
        out, err = process.communicate(timeout=SLEEP)
        waited = time.monotonic() - began
        assert (process.returncode, out) == (130, ""), err
        assert err == "rootwatch: interrupted\n"
        assert waited < 15, f"exit took {waited:.1f} s: the queries were waited for, not cancelled"
        time.sleep(0.5)
        assert _sleeping(con) == 0
