"""``rootwatch control test``: mod authors run their YAML cases with the loader the tests use."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FAILING_CASE = """\
as_of: 2026-11-25T12:00:00Z
cases:
  - name: wrong_expectation
    given:
      aws_account: [{account_id: "111111111111", partition: aws}]
      aws_iam_account_summary: [{account_id: "111111111111", account_access_keys_present: 0}]
    expect:
      - {resource: "arn:aws:iam::111111111111:root", status: alarm}
"""


def test_passing_and_failing_cases(run_cli, cli_mod: Path, tmp_path: Path, pg_dsn: str) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(REPO / "tests" / "cases" / "root_no_access_keys.yaml", cases)
    code, out, _ = run_cli("control", "test", "--mod-location", str(cli_mod), "--cases", str(cases), "--database", pg_dsn)
    assert code == 0, out
    assert "ok    root_no_access_keys_inactive_key_still_fails  [postgres]" in out
    assert out.endswith(" cases, 0 failures\n")

    (cases / "root_no_access_keys.yaml").write_text(FAILING_CASE)
    code, out, _ = run_cli("control", "test", "root_no_access_keys", "--mod-location", str(cli_mod), "--cases", str(cases))
    assert code == 1
    assert out == (
        "FAIL  root_no_access_keys_wrong_expectation  [duckdb]\n"
        "        expected alarm for arn:aws:iam::111111111111:root; got ok: Root user has no access keys.\n"
        "1 cases, 1 failure\n"
    )


def test_malformed_case_file_names_file_and_line(run_cli, cli_mod: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "root_no_access_keys.yaml").write_text("as_of: 2026-01-01T00:00:00Z\ncases:\n  - name: x\n    given:\n      aws_acount: []\n")
    code, _, err = run_cli("control", "test", "--mod-location", str(cli_mod), "--cases", str(cases))
    assert code == 3
    assert err == f"rootwatch: error: {cases / 'root_no_access_keys.yaml'}:5: unknown table aws_acount\n"
