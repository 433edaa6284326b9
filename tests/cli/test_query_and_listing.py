"""``query run``, ``var list``, ``control list|show``, ``benchmark list`` and every command's help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_adhoc_query_binds_variables_and_pins_the_clock(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, _ = run_cli(
        "query", "run", "select :root_recent_days as days, now() as t, count(*) as accounts from aws_account",
        "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--var", "root_recent_days=7",
    )
    assert code == 0
    assert out == (
        "days    t                          accounts\n"
        "------  -------------------------  ----------\n"
        "7       2026-11-25T12:00:00+00:00  2\n"
        "\n"
        "1 row\n"
    )


def test_query_output_formats(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    sql = "select account_id, account_access_keys_present as keys from aws_iam_account_summary order by 1"
    base = ("query", "run", sql, "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    _, csv_out, _ = run_cli(*base, "--output", "csv")
    assert csv_out == "account_id,keys\n111111111111,0\n222222222222,1\n"
    _, json_out, _ = run_cli(*base, "--output", "json")
    assert json.loads(json_out) == [{"account_id": "111111111111", "keys": 0}, {"account_id": "222222222222", "keys": 1}]


def test_failing_query_exits_2_with_the_database_message(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, out, err = run_cli("query", "run", "select nope from aws_account", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert (code, out) == (2, "")
    assert err.startswith('rootwatch: error: query command-line query failed: Binder Error: Referenced column "nope" not found')


def test_unknown_query_name(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, _, err = run_cli("query", "run", "root_inventory", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert code == 3 and "unknown query 'root_inventory'" in err


def test_var_list_shows_effective_values(run_cli, cli_mod: Path) -> None:
    code, out, _ = run_cli("var", "list", "--mod-location", str(cli_mod), "--var", "root_recent_days=7", "--output", "csv")
    assert code == 0
    assert out == (
        "variable,type,default,value,description\n"
        "root_recent_days,integer,30,7,window\n"
        "owner_label,string,security,security,free text shown in a reason\n"
    )


def test_listings(run_cli, cli_mod: Path) -> None:
    _, out, _ = run_cli("benchmark", "list", "--mod-location", str(cli_mod), "--output", "csv")
    assert out == "benchmark,title,controls,assessed,not assessed\ndemo,Demo benchmark,2,2,0\nbroken,Broken controls,4,4,0\n"
    _, out, _ = run_cli("control", "list", "--mod-location", str(cli_mod), "--tag", "service=AWS/IAM", "--output", "csv")
    assert out == "control,severity,title\nroot_no_access_keys,critical,Root user has no access keys\n"
    _, out, _ = run_cli("control", "show", "root_no_access_keys", "--mod-location", str(cli_mod))
    assert out.startswith("Root user has no access keys\nid: root_no_access_keys    severity: critical")
    assert "Remediation\n" in out and "demo: Root user has no access keys" in out


COMMANDS = [
    (), ("benchmark",), ("benchmark", "run"), ("benchmark", "list"), ("control",), ("control", "run"),
    ("control", "list"), ("control", "show"), ("query",), ("query", "run"), ("query", "list"),
    ("var",), ("var", "list"), ("check",), ("snapshot",), ("snapshot", "info"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "rootwatch" for c in COMMANDS])
def test_every_command_has_help(run_cli, command: tuple[str, ...]) -> None:
    code, out, _ = run_cli(*command, "--help")
    assert code == 0
    assert out.startswith("usage: rootwatch")
    assert len(out.splitlines()) > 3
