"""--state / --notify-new-only and ``rootwatch watch``: only what changed, on both engines; a failed
run reported once and its recovery once; corrupt or foreign state files refused; SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.receivers import REPO, write_config
from helpers.snapshots import CAPTURED_AT

KEY_ROW = {"access_key_1_active": True, "access_key_1_last_rotated": "2025-01-01T00:00:00Z", "access_key_1_last_used_date": "2026-11-20T12:00:00Z"}


def _rows(with_key: set[str]) -> dict[str, list[dict]]:
    """The CLI mod's tables with root access keys in exactly the accounts ``with_key``."""
    accounts = ("111111111111", "222222222222")
    base = {"account_id": None, "partition": "aws", "region": "global"}
    return {
        "aws_account": [{**base, "account_id": a} for a in accounts],
        "aws_iam_account_summary": [{**base, "account_id": a, "account_access_keys_present": int(a in with_key)} for a in accounts],
        "aws_iam_credential_report": [
            {**base, "account_id": a, "user_name": "<root_account>", "user_arn": f"arn:aws:iam::{a}:root",
             "generated_time": "2026-11-25T10:00:00Z", **(KEY_ROW if a in with_key else {"access_key_1_active": False})}
            for a in accounts
        ],
    }  # fmt: skip


def _snapshot(path: Path, with_key: set[str]) -> Path:
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    with SnapshotWriter(path, source="test", captured_at=CAPTURED_AT) as writer:
        for table, rows in _rows(with_key).items():
            writer.add_rows(table, rows)
        for account in ("111111111111", "222222222222"):
            writer.add_account(AccountInfo(account, ("us-east-1",)))
    return path


def _kinds(request) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted((item["status"], item["account_id"]) for item in request.json()["items"])


@pytest.fixture()
def config(tmp_path: Path, http_sink) -> Path:
    return write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          pager: {{type: webhook, url: "{http_sink.url}/pager", level: info, retry: {{attempts: 1}}}}
          audit: {{type: webhook, url: "{http_sink.url}/audit", level: verbose, retry: {{attempts: 1}}}}
    """)


@pytest.fixture(params=["duckdb", "postgres"])
def sources(request, tmp_path: Path):  # noqa: ANN001, ANN201
    """Two data sources, before and after a change: 222 has a root key, then 111 has one and 222 not."""
    if request.param == "duckdb":
        yield (
            ["--snapshot", str(_snapshot(tmp_path / "before.duckdb", {"222222222222"}))],
            ["--snapshot", str(_snapshot(tmp_path / "after.duckdb", {"111111111111"}))],
        )
        return
    import psycopg
    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows

    dsn = request.getfixturevalue("pg_dsn")
    with psycopg.connect(dsn) as con:
        before = postgres_schema_with_rows(con, _rows({"222222222222"}))
        after = postgres_schema_with_rows(con, _rows({"111111111111"}))
        try:
            yield (
                ["--database", dsn, "--search-path", before, "--as-of", "2026-11-25T12:00:00Z"],
                ["--database", dsn, "--search-path", after, "--as-of", "2026-11-25T12:00:00Z"],
            )
        finally:
            drop_postgres_schema(con, before)
            drop_postgres_schema(con, after)


def test_two_runs_notify_exactly_the_change(run_cli, cli_mod: Path, config: Path, sources, http_sink, tmp_path: Path) -> None:
    before, after = sources
    state = tmp_path / "state.json"
    common = ("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--output", "none",
              "--notify-config", str(config), "--state", str(state), "--notify-new-only")  # fmt: skip
    code, _out, err = run_cli(*common, *before)
    assert code == 1, err
    pager, audit = sorted(http_sink.received, key=lambda r: r.path)[::-1]
    assert _kinds(pager) == _kinds(audit) == [("alarm", "222222222222")]  # first run: every alarm is new
    http_sink.received.clear()

    code, _out, err = run_cli(*common, *after)
    assert code == 1, err
    by_path = {r.path: r for r in http_sink.received}
    assert _kinds(by_path["/pager"]) == [("alarm", "111111111111")]
    assert _kinds(by_path["/audit"]) == [("alarm", "111111111111"), ("resolved", "222222222222")]
    payload = by_path["/pager"].json()
    assert payload["kind"] == "changes"
    assert payload["subject"] == "rootwatch: 1 new alarm in 1 account: root access key"
    http_sink.received.clear()

    # A restart with the same state: nothing new, nothing sent.
    code, _out, err = run_cli(*common, *after)
    assert code == 1 and http_sink.received == []
    assert "nothing to notify pager" in err and "nothing to notify audit" in err
    saved = json.loads(state.read_text())
    assert saved["rootwatch_state"] == 1 and set(saved["baselines"]) == {"pager", "audit"}
    assert oct(state.stat().st_mode & 0o777) == "0o600"


def test_a_notifier_that_failed_hears_it_again(run_cli, cli_mod: Path, config: Path, http_sink, tmp_path: Path) -> None:
    before = _snapshot(tmp_path / "before.duckdb", {"222222222222"})
    after = _snapshot(tmp_path / "after.duckdb", {"111111111111", "222222222222"})
    common = ("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--output", "none",
              "--notify-config", str(config), "--state", str(tmp_path / "s.json"), "--notify-new-only")  # fmt: skip
    assert run_cli(*common, "--snapshot", str(before))[0] == 1
    http_sink.received.clear()
    http_sink.refuse["/pager"] = 503
    code, _out, err = run_cli(*common, "--snapshot", str(after))
    assert code == 5 and "notifier pager" in err
    alarm, problem = http_sink.received  # audit hears the alarm, then that pager could not
    assert alarm.path == problem.path == "/audit"
    assert problem.json()["kind"] == "notifier_failed" and "notifier pager" in problem.json()["subject"]
    http_sink.received.clear()
    del http_sink.refuse["/pager"]
    code, _out, err = run_cli(*common, "--snapshot", str(after))
    assert code == 1, err
    (request,) = http_sink.received  # audit already knows; pager hears the alarm it missed
    assert request.path == "/pager" and _kinds(request) == [("alarm", "111111111111")]


def test_a_failed_run_is_reported_once_and_recovery_once(run_cli, cli_mod: Path, config: Path, http_sink, tmp_path: Path) -> None:
    snapshot = tmp_path / "org.duckdb"
    common = ("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--output", "none", "--snapshot", str(snapshot),
              "--notify-config", str(config), "--state", str(tmp_path / "s.json"), "--notify-new-only")  # fmt: skip
    code, _out, err = run_cli(*common)
    assert code == 3 and f"snapshot {snapshot} does not exist" in err
    assert sorted(r.path for r in http_sink.received) == ["/audit", "/pager"]  # level error: everyone hears it
    failed = http_sink.received[0].json()
    assert failed["kind"] == "failed" and failed["subject"] == "rootwatch: benchmark run demo failed"
    http_sink.received.clear()
    code, _out, err = run_cli(*common)
    assert code == 3 and http_sink.received == [] and "not notifying again" in err
    _snapshot(snapshot, {"222222222222"})
    code, _out, err = run_cli(*common)
    assert code == 1, err
    by_path = {r.path: r.json() for r in http_sink.received}
    assert [i["status"] for i in by_path["/pager"]["items"]] == ["recovered", "alarm"]
    assert by_path["/pager"]["subject"].startswith("rootwatch: run recovered, 1 new alarm in 1 account")
    http_sink.received.clear()
    assert run_cli(*common)[0] == 1 and http_sink.received == []


def test_state_files_that_cannot_be_trusted(run_cli, cli_mod: Path, cli_snapshot: Path, config: Path, http_sink, tmp_path: Path) -> None:
    state = tmp_path / "state.json"

    def run(*extra: str, benchmark: str = "demo") -> tuple[int, str, str]:
        return run_cli("benchmark", "run", benchmark, "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "none",
                       "--notify-config", str(config), "--state", str(state), *extra)  # fmt: skip

    state.write_text('{"rootwatch_state": 1,\n "selection": ')
    code, _out, err = run("--notify-new-only")
    assert code == 3 and f"{state}:2: corrupt state file: not valid JSON" in err and "start afresh" in err
    state.write_text(json.dumps({"group_id": "root_result_group"}))
    code, _out, err = run()
    assert code == 3 and "not a rootwatch state file" in err
    state.unlink()
    assert run()[0] == 1
    code, _out, err = run(benchmark="broken")
    assert code == 3
    assert "written for 'benchmark run demo', but this run is 'benchmark run broken'" in err
    code, _out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--notify-new-only", "--notify-config", str(config))
    assert code == 3 and "--notify-new-only needs --state FILE" in err
    # A second run on the same state file while one holds it: refused, not interleaved.
    from rootwatch.notify.state import StateFile

    holder = StateFile(state)
    holder.open({"command": "benchmark run", "targets": ["demo"], "tags": [], "where": []})
    try:
        code, _out, err = run()
        assert code == 3 and "another rootwatch run is using this state file" in err
    finally:
        holder.close()
    assert len(http_sink.received) == 2  # only the one good run notified (pager and audit)


def test_watch_the_bundled_example(run_cli, example: Path, http_sink, tmp_path: Path) -> None:
    state = tmp_path / "watch.json"
    args = ("watch", "root", "--snapshot", str(example), "--every", "1s", "--count", "1",
            "--state", str(state), "--notify", f"webhook:{http_sink.url}/hook")  # fmt: skip
    code, out, err = run_cli(*args)
    assert code == 1 and out == "", err
    (request,) = http_sink.received
    assert request.json()["kind"] == "changes" and request.json()["counts"] == {"alarm": 12}
    assert "rootwatch watch" in err and "run 1: 12 alarm, 0 error" in err
    http_sink.received.clear()
    assert run_cli(*args)[0] == 1 and http_sink.received == []


def test_watch_rereads_the_snapshot_and_stops_on_sigterm(cli_mod: Path, http_sink, tmp_path: Path) -> None:
    snapshot = _snapshot(tmp_path / "org.duckdb", {"222222222222"})
    changed = _snapshot(tmp_path / "next.duckdb", {"111111111111", "222222222222"})
    state = tmp_path / "watch.json"
    env = {**os.environ, "PYTHONPATH": str(REPO / "runner")}
    process = subprocess.Popen(
        [sys.executable, "-m", "rootwatch.cli.main", "watch", "demo", "--mod-location", str(cli_mod), "--snapshot", str(snapshot),
         "--every", "1s", "--state", str(state), "--notify", f"webhook:{http_sink.url}/hook"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        (first,) = http_sink.wait_for(1)
        assert _kinds(first) == [("alarm", "222222222222")]
        os.replace(changed, snapshot)  # another job refreshes the snapshot
        second = http_sink.wait_for(2)[1]
        assert _kinds(second) == [("alarm", "111111111111")]
        time.sleep(1.5)
        assert len(http_sink.received) == 2  # later runs find nothing new
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read() if process.stderr else ""
    assert "stopped" in stderr and "Traceback" not in stderr
    assert json.loads(state.read_text())["rootwatch_state"] == 1
