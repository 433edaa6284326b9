"""Options that are bad input stop with exit 3 before anything runs, naming the option: never an
internal error (exit 4), a traceback, or a run that starts and fails later."""

from __future__ import annotations

from pathlib import Path

import pytest

DEEP_WHERE = "(" * 3000 + "severity = 'low'" + ")" * 3000
WIDE_WHERE = " or ".join(["severity = 'low'"] * 5000)
RUN = ("control", "run", "root_no_access_keys", "--mod-location", "{mod}", "--snapshot", "{snapshot}")
LIVE = ("query", "run", "select 1 as one", "--mod-location", "{mod}", "--database", "postgresql://u@127.0.0.1:1/db")

CASES = {
    "as-of after year 9999 in UTC": (RUN + ("--as-of", "9999-12-31T23:59:59-12:00"), "--as-of"),
    "as-of before year 1 in UTC": (RUN + ("--as-of", "0001-01-01T00:00:00+01:00"), "--as-of"),
    "captured-at after year 9999 in UTC": (
        ("snapshot", "from-files", "{tmp}", "--captured-at", "9999-12-31T23:59:59-12:00", "-o", "{tmp}/o.duckdb"),
        "--captured-at",
    ),
    "where nested 3,000 deep": (RUN + ("--where", DEEP_WHERE), "--where"),
    "where with 5,000 or terms": (RUN + ("--where", WIDE_WHERE), "--where"),
    "search path with a semicolon": (LIVE + ("--search-path", "aws; x"), "--search-path"),
    "query timeout nan": (RUN + ("--query-timeout", "nan"), "--query-timeout"),
    "query timeout inf on a snapshot": (RUN + ("--query-timeout", "inf"), "--query-timeout"),
    "query timeout inf live": (LIVE + ("--query-timeout", "inf"), "--query-timeout"),
    "query timeout of a century": (RUN + ("--query-timeout", "3153600000"), "--query-timeout"),
    "integer variable beyond 64 bits": (RUN + ("--var", "root_recent_days=99999999999999999999999"), "root_recent_days"),
    "integer variable of 5,000 digits": (RUN + ("--var", "root_recent_days=" + "9" * 5000), "root_recent_days"),
    "integer variable beyond 64 bits, query": (
        ("query", "run", "root_activity", "--mod-location", "{repo}", "--snapshot", "{snapshot}", "--var", "root_recent_days=99999999999999999999999"),
        "root_recent_days",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_option_is_exit_3_naming_it(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path, repo: Path, case: str) -> None:
    template, option = CASES[case]
    args = [part.format(mod=cli_mod, snapshot=cli_snapshot, tmp=tmp_path, repo=repo) for part in template]
    code, out, err = run_cli(*args)
    assert (code, out) == (3, ""), err[:500]
    assert option in err and "internal error" not in err and "Traceback" not in err
    assert len(err) < 2000, "the message quotes a huge option whole"
    assert not (tmp_path / "o.duckdb").exists()


def test_a_malformed_aws_credentials_file_is_exit_3_naming_it(run_cli, tmp_path: Path, monkeypatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[default\naws_access_key_id = x\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    code, out, err = run_cli("snapshot", "from-aws", "--endpoint-url", "http://127.0.0.1:1", "-o", str(tmp_path / "a.duckdb"))
    assert (code, out) == (3, ""), err
    assert str(credentials) in err and "internal error" not in err
    assert not (tmp_path / "a.duckdb").exists()


def test_sensible_values_still_run(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    code, _, err = run_cli(
        *[part.format(mod=cli_mod, snapshot=cli_snapshot) for part in RUN],
        "--as-of", "2026-11-25T12:00:00-05:00", "--query-timeout", "30", "--where", "(severity = 'low') or (severity = 'critical')",
    )
    assert code in (0, 1), err
