"""Bad input: a clear message, exit code 3, nothing half-written, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_unknown_names_get_did_you_mean(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, _, err = run_cli("benchmark", "run", "dem", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert code == 3
    assert err == "rootwatch: error: unknown benchmark 'dem'\n  hint: did you mean 'demo'?\n"
    code, _, err = run_cli("control", "run", "root_no_acces_keys", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert code == 3
    assert "did you mean 'root_no_access_keys'?" in err


def test_argument_errors_exit_3(run_cli) -> None:
    code, _, err = run_cli("benchmark", "run")
    assert code == 3
    assert "the following arguments are required: BENCHMARK" in err
    code, _, err = run_cli("benchmark", "run", "demo", "--output", "yaml")
    assert code == 3
    assert "invalid choice: 'yaml'" in err


def test_data_source_errors(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path) -> None:
    base = ("benchmark", "run", "demo", "--mod-location", str(cli_mod))
    code, _, err = run_cli(*base)
    assert code == 3 and "no data source" in err
    code, _, err = run_cli(*base, "--snapshot", str(cli_snapshot), "--database", "postgres://x@127.0.0.1/x")
    assert code == 3 and "--snapshot and --database are exclusive" in err
    code, _, err = run_cli(*base, "--snapshot", str(tmp_path / "missing.duckdb"))
    assert code == 3 and "does not exist" in err and "snapshot from-files" in err
    code, _, err = run_cli(*base, "--snapshot", str(cli_snapshot), "--as-of", "yesterday")
    assert code == 3 and "--as-of 'yesterday' is not an ISO 8601" in err
    code, _, err = run_cli(*base, "--database", "postgres://u:hunter2@127.0.0.1:1/db")
    assert code == 3 and "hunter2" not in err and "postgres://u:***@127.0.0.1:1/db" in err


def test_bad_export_name_writes_nothing(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path) -> None:
    good = tmp_path / "r.json"
    code, _, err = run_cli(
        "benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot),
        "--export", str(good), "--export", str(tmp_path / "r.unknown"),
    )
    assert code == 3 and "cannot tell the format" in err
    assert not good.exists()


def test_check_reports_every_problem(run_cli, cli_mod: Path) -> None:
    (cli_mod / "controls" / "labelled.sql").write_text("select resource, status, reason, nope\nfrom aws_acount")
    (cli_mod / "controls" / "bad_status.sql").write_text("select :undeclared as resource, 'ok' as status, 'x' as reason")
    code, out, err = run_cli("check", "--mod-location", str(cli_mod))
    assert code == 3
    assert f"{cli_mod / 'controls' / 'labelled.sql'}:2: unknown table aws_acount (did you mean aws_account?)" in out
    assert f"{cli_mod / 'controls' / 'bad_status.sql'}: uses :undeclared, which is not a variable in mod.yaml" in out
    assert err == "rootwatch check: 2 problems\n"


def test_check_passes_a_valid_mod(run_cli, cli_mod: Path) -> None:
    code, out, _ = run_cli("check", "--mod-location", str(cli_mod))
    assert code == 0
    assert out == (
        "mod clitest is valid: 5 controls, 5 shared relations, 0 queries, 2 benchmarks (and 1 nested benchmark, such as CIS sections)\n"
    )


def test_no_traceback_reaches_the_user(cli_mod: Path, tmp_path: Path) -> None:
    broken = tmp_path / "vars.yaml"
    broken.write_text("root_recent_days: [\n")
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "rootwatch", "var", "list", "--mod-location", str(cli_mod), "--var-file", str(broken)],
        capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"rootwatch: error: {broken}:2: invalid YAML")


def test_a_variable_without_value_stops_the_run_before_anything_runs(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    (cli_mod / "controls" / "labelled.sql").write_text("select :nobody as resource, 'ok' as status, 'x' as reason")
    code, out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert (code, out) == (3, "")
    assert err == (
        "rootwatch: error: control labelled uses :nobody, which has no value\n"
        "  hint: declare variable 'nobody' in mod.yaml or pass --var nobody=VALUE\n"
    )


def _wait_until_running(dsn: str, fragment: str, proc: subprocess.Popen) -> None:
    """Return once the server runs a statement holding ``fragment`` (so rootwatch is past its start
    and its signal handlers are in place); fail if that takes 60 s or the process ends first."""
    import time

    import psycopg

    deadline = time.monotonic() + 60
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            running = watcher.execute(
                "select count(*) from pg_stat_activity where query ilike %s and pid <> pg_backend_pid()", (f"%{fragment}%",)
            ).fetchone()[0]
            if running:
                return
            time.sleep(0.1)
    raise AssertionError(f"no statement with {fragment!r} started within 60 s")


def test_sigterm_unwinds_like_ctrl_c(cli_mod: Path, pg_dsn: str) -> None:
    # A CI job's timeout sends SIGTERM: rootwatch stops the query and exits 130 without a traceback.
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "rootwatch", "query", "run", "select pg_sleep(30) as slept", "--mod-location", str(cli_mod),
         "--database", pg_dsn],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_until_running(pg_dsn, "pg_sleep(30)", proc)  # a fixed sleep lost the race on a loaded machine
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert (proc.returncode, out, err) == (130, "", "rootwatch: interrupted\n")
    assert time.monotonic() - began < 10
