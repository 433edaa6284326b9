"""Data and file names never drive the terminal or a spreadsheet: escape sequences are shown as
visible escapes in ``query run`` text, ``snapshot info`` and from-files messages, and ``query run
--output csv`` neutralises formula cells as the benchmark CSV outputs do."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

ESC = "\x1b"
CLEAR = f"{ESC}[2J"
TITLE = f"{ESC}]0;pwned\x07"


def _no_control_characters(text: str) -> None:
    assert ESC not in text and "\x07" not in text and "\x9b" not in text


def test_query_run_text_shows_escapes_visibly(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    sql = "select chr(27) || '[2J' || 'gone' as screen, chr(27) || ']0;pwned' || chr(7) as title, 'a' || chr(10) || 'b' as two_lines"
    for output in ("text", "md"):
        code, out, err = run_cli("query", "run", sql, "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", output)
        assert code == 0, err
        _no_control_characters(out)
        # Shown as visible escapes (Markdown doubles the backslash); the newline does not split the row.
        assert "x1b[2Jgone" in out and "x1b]0;pwned" in out and "x07" in out
        assert [line for line in out.splitlines() if "gone" in line][0].count("nb") == 1


def test_query_run_csv_neutralises_formulas(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    sql = (
        "select '=HYPERLINK(\"http://x\")' as eq, '+1' as plus, '-1' as minus, '@SUM(A1)' as at, "
        "chr(9) || '=1' as tab, chr(13) || '=1' as cr, -2 as number, 'plain' as text"
    )
    code, out, err = run_cli("query", "run", sql, "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--output", "csv")
    assert code == 0, err
    (header, row) = list(csv.reader(io.StringIO(out, newline="")))
    assert header[0] == "eq"
    assert row == ["'=HYPERLINK(\"http://x\")", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1", "-2", "plain"]


def test_query_run_csv_export_is_neutralised_too(run_cli, cli_mod: Path, cli_snapshot: Path, tmp_path: Path) -> None:
    export = tmp_path / "rows.csv"
    code, _, err = run_cli(
        "query", "run", "select '=1+1' as f", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot), "--export", str(export), "--output", "none"
    )
    assert code == 0, err
    assert export.read_text().splitlines()[1] == "'=1+1"


def _snapshot_with_hostile_text(path: Path) -> Path:
    from helpers.mods import CLI_ROWS
    from rootwatch.snapshot.metadata import AccountInfo, SnapshotIssue
    from rootwatch.snapshot.writer import SnapshotWriter

    with SnapshotWriter(path, source=f"test{CLEAR}", captured_at=None) as writer:
        for table, rows in CLI_ROWS.items():
            writer.add_rows(table, rows)
        writer.add_account(AccountInfo("111111111111", ("us-east-1",)))
        writer.add_issue(SnapshotIssue("skipped_file", f"bad file {TITLE}evil.json", "111111111111", None, f"x{CLEAR}.json"))
    return path


def test_snapshot_info_shows_escapes_visibly(run_cli, tmp_path: Path) -> None:
    snapshot = _snapshot_with_hostile_text(tmp_path / f"s{ESC}[31m.duckdb")
    code, out, err = run_cli("snapshot", "info", str(snapshot))
    assert code == 0, err
    _no_control_characters(out)
    assert "\\x1b[2J" in out and "\\x1b]0;pwned\\x07" in out
    code, out, _ = run_cli("snapshot", "info", str(snapshot), "--output", "json")
    assert code == 0 and json.loads(out)["issues"][0]["message"].endswith("evil.json")  # JSON escapes on its own


def test_from_files_messages_show_escapes_in_file_names(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / f"in{ESC}]0;pwned\x07"
    folder.mkdir()
    code, out, err = run_cli("snapshot", "from-files", str(folder / "missing"), "-o", str(tmp_path / "o.duckdb"))
    assert code == 3
    _no_control_characters(err)
    assert "\\x1b]0;pwned\\x07" in err


@pytest.mark.parametrize("name", [f"report{CLEAR}.csv", f"report{TITLE}.csv"])
def test_a_bad_input_file_name_is_shown_visibly(run_cli, tmp_path: Path, name: str) -> None:
    report = tmp_path / name
    report.write_text("not,a,credential,report\n1,2,3,4\n")
    code, _, err = run_cli("snapshot", "from-files", "--credential-report", str(report), "-o", str(tmp_path / "o.duckdb"))
    assert code == 3, err
    _no_control_characters(err)
    assert "\\x1b" in err
