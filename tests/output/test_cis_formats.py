"""The four CIS table renderers: golden files (csv, md), spreadsheet checks (xlsx), escaping, and a
command-line export on a real DuckDB database with a mod loaded from files."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.mods import CIS_SHARED, copy_controls, repository_catalogue, stub_controls, write_files
from cis_fixtures import GOLDEN_BENCHMARKS, GOLDEN_DIR, GOLDEN_FILES, Fixture, golden_text, grade, sample_result

from rootwatch.errors import UsageError
from rootwatch.mod.cis import benchmark_id, version_files
from rootwatch.mod.model import Benchmark, ControlDocs
from rootwatch.output import cis_table_csv, cis_table_md, cis_table_xlsx, export_target
from rootwatch.output.cis_table import FLAT_COLUMNS
from rootwatch.results import ResultRow
from rootwatch.status import Status

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("format_name", sorted(GOLDEN_FILES))
def test_golden_file(format_name: str) -> None:
    path = GOLDEN_DIR / GOLDEN_FILES[format_name]
    assert path.exists(), f"{path} is missing: run scripts/regen-cis-golden"
    assert golden_text(format_name) == path.read_text("utf-8"), (
        f"{format_name} output changed: run scripts/regen-cis-golden and review the diff of {path.name}"
    )


def _cis_items(bench: Benchmark) -> list[str]:
    return [n.tags["cis_item_id"] for n in bench.control_nodes() if "cis_item_id" in n.tags]


def test_csv_is_one_rectangular_row_per_item() -> None:
    rows = list(csv.DictReader(io.StringIO(cis_table_csv.render(sample_result(*GOLDEN_BENCHMARKS)))))
    fixture = Fixture()
    assert [(r["cis_version"], r["item"]) for r in rows] == [
        *(("v7.0.0", i) for i in _cis_items(fixture.cis_v700())),
        *(("v1.2.0", i) for i in _cis_items(fixture.cis_v120())),
    ]
    first = rows[0]
    assert list(first) == ["cis_version", "benchmark", *(c.key for c in FLAT_COLUMNS), "as_of", "snapshot_captured_at", "source", "prerequisites"]
    assert (first["as_of"], first["snapshot_captured_at"]) == ("2026-03-01T12:00:00+00:00", "2026-03-01T06:30:00+00:00")
    by_item = {r["item"]: r for r in rows if r["cis_version"] == "v7.0.0"}
    assert (by_item["2.4"]["result"], by_item["2.4"]["passing"], by_item["2.4"]["failing_accounts"]) == ("fail", "1", "222222222222")
    assert "no root password\n(MFA not needed)" in by_item["2.5"]["evidence"]


def _result_with_reason(reason: str):
    fixture = Fixture()
    outcomes = fixture.outcomes()
    outcomes["root_mfa_enabled_or_no_password"] = ((ResultRow("arn:aws:iam::1:root", Status.OK, reason, (("account_id", "1"),)),), None)
    return grade([fixture.cis_v700()], outcomes)


def test_csv_cells_never_start_a_formula() -> None:
    text = cis_table_csv.render(_result_with_reason("=HYPERLINK(\"http://x\")"))
    rows = list(csv.DictReader(io.StringIO(text)))
    evidence = next(r for r in rows if r["item"] == "2.5")["evidence"]
    assert evidence == '1 ok: =HYPERLINK("http://x")'  # not at the start of the cell: left alone
    assert cis_table_csv.spreadsheet_safe("=1+1") == "'=1+1"
    assert cis_table_csv.spreadsheet_safe("-2") == "'-2"
    assert cis_table_csv.spreadsheet_safe("111111111111 ok") == "111111111111 ok"


def test_markdown_cells_cannot_break_the_table() -> None:
    text = cis_table_md.render(sample_result())
    header = next(line for line in text.splitlines() if line.startswith("| Item |"))
    rows = [line for line in text.splitlines() if re.match(r"^\| \d", line)]
    assert len(rows) == 16
    unescaped = lambda line: len(re.findall(r"(?<!\\)\|", line))  # noqa: E731
    assert {unescaped(line) for line in rows} == {unescaped(header)}
    row = next(line for line in rows if line.startswith("| 2.5 |"))
    assert 'MFA active \\| policy "\\*:\\*" \\_noted\\_ \\[x\\](y) \\<b\\>' in row
    assert "no root password (MFA not needed)" not in row  # newline became a <br>, not a space
    assert "333333333333 ok: no root password<br>(MFA not needed)" in row


def test_markdown_remediation_keeps_its_lines_in_a_fence() -> None:
    fixture = Fixture()
    keys = fixture.controls["root_no_access_keys"]
    fixture.controls[keys.id] = replace(keys, docs=ControlDocs("r", "use ```this```\n  and that"))
    text = cis_table_md.render(fixture.result())
    assert "````text\nuse ```this```\n  and that\n````" in text


def test_markdown_and_xlsx_say_when_the_run_was_narrowed_by_status() -> None:
    selection = pytest.importorskip("rootwatch.selection", reason="--status lives in rootwatch.selection")
    shown = selection.shown_result(sample_result(), frozenset({Status.ALARM}))
    assert "- **Partial table**: only results in alarm are included (--status)" in cis_table_md.render(shown)


# ---- xlsx -----------------------------------------------------------------------------------


def _workbook(result):
    openpyxl = pytest.importorskip("openpyxl", reason="the xlsx extra is not installed")
    return openpyxl.load_workbook(io.BytesIO(cis_table_xlsx.render(result)))


def _sheet_table(sheet):
    """(header row number, items in order, rows as dicts) of a CIS sheet."""
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Item")
    headers = [sheet.cell(header_row, c).value for c in range(1, sheet.max_column + 1)]
    rows = [dict(zip(headers, values)) for values in sheet.iter_rows(min_row=header_row + 1, values_only=True)]
    return header_row, [r["Item"] for r in rows], rows


def test_xlsx_has_a_sheet_per_version_with_every_item_in_order() -> None:
    workbook = _workbook(sample_result(*GOLDEN_BENCHMARKS))
    assert workbook.sheetnames == ["CIS v7.0.0", "CIS v1.2.0"]
    fixture = Fixture()
    for sheet, tree in zip(workbook.worksheets, (fixture.cis_v700(), fixture.cis_v120())):
        _, items, _ = _sheet_table(sheet)
        assert items == _cis_items(tree)


def test_xlsx_sheet_layout() -> None:
    sheet = _workbook(sample_result()).worksheets[0]
    header_row, _, rows = _sheet_table(sheet)
    assert [sheet.cell(header_row, c).value for c in range(1, len(FLAT_COLUMNS) + 1)] == [c.header for c in FLAT_COLUMNS]
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.auto_filter.ref == f"A{header_row}:N{header_row + 16}"
    assert sheet.column_dimensions["C"].width == 50 and sheet.column_dimensions["L"].width == 70
    assert sheet.cell(header_row + 1, 12).alignment.wrap_text
    info = [sheet.cell(r, 1).value for r in range(1, header_row)]
    assert info[0] == "CIS AWS Foundations Benchmark v7.0.0"
    assert "As of: 2026-03-01 12:00 UTC   Snapshot captured at: 2026-03-01 06:30 UTC" in info
    assert any(line.startswith("Evidence prerequisites (rootwatch, not a CIS section): Credential report") for line in info)
    by_item = {r["Item"]: r for r in rows}
    assert (by_item["2.4"]["Result"], by_item["2.4"]["Passing"], by_item["2.4"]["Failing accounts"]) == ("fail", 1, "222222222222")
    assert by_item["5.3"]["Result"] == "error" and by_item["2.2"]["Result"] == "not assessed"
    assert by_item["2.4"]["Remediation"].startswith("Fix root_no_access_keys:\n  aws iam")


def test_xlsx_keeps_formulas_and_control_characters_as_text() -> None:
    result = _result_with_reason("=1+1\x07bell")
    workbook = _workbook(result)
    _, _, rows = _sheet_table(workbook.worksheets[0])
    assert next(r for r in rows if r["Item"] == "2.5")["Evidence"] == "1 ok: =1+1\ufffdbell"
    sheet = workbook.worksheets[0]
    cell = next(c for c in sheet["L"] if c.value == "1 ok: =1+1\ufffdbell")
    assert cell.data_type == "s"


def test_xlsx_sheet_titles_follow_excel_rules() -> None:
    taken: set[str] = set()
    assert cis_table_xlsx.sheet_title("v7.0.0", taken) == "CIS v7.0.0"
    assert cis_table_xlsx.sheet_title("v7.0.0", taken) == "CIS v7.0.0 (2)"
    assert cis_table_xlsx.sheet_title("a/b:c" + "x" * 40, taken) == "CIS a-b-c" + "x" * 22


def test_xlsx_without_openpyxl_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(UsageError, match="the cis-xlsx format needs the openpyxl package"):
        cis_table_xlsx.render(sample_result())


def test_export_names_pick_the_cis_formats() -> None:
    assert export_target("audit.xlsx")[0].name == "cis-xlsx"
    assert export_target("audit.cis.csv")[0].name == "cis-csv"
    assert export_target("audit.cis.md")[0].name == "cis-md"
    assert export_target("audit.cis.html")[0].name == "cis-html"


# ---- the real mod.yaml trees ----------------------------------------------------------------


def _scratch_mod(tmp_path: Path) -> Path:
    """The repository's mod.yaml and CIS catalogue beside a stub for every control they name
    (loads whatever others are still writing), so the CIS trees are the real ones."""
    shutil.copy(REPO / "mod.yaml", tmp_path / "mod.yaml")
    names = set(re.findall(r"control: ([a-z0-9_]+)", (REPO / "mod.yaml").read_text("utf-8")))
    stub_controls(tmp_path, names | repository_catalogue(tmp_path))
    return tmp_path


def test_xlsx_of_every_cis_version_holds_every_item(tmp_path: Path) -> None:
    from rootwatch.mod.loader import load_mod

    mod = load_mod(_scratch_mod(tmp_path))
    cis = [b for b in mod.benchmarks.values() if b.cis_version]
    assert [b.id for b in cis] == [benchmark_id(p.stem) for p in version_files(REPO)]
    outcomes = {name: ((ResultRow("r", Status.OK, "fine", (("account_id", "1"),)),), None) for name in mod.controls}
    workbook = _workbook(grade(cis, outcomes))
    assert workbook.sheetnames == [f"CIS {b.cis_version}" for b in cis]
    for sheet, bench in zip(workbook.worksheets, cis):
        _, items, rows = _sheet_table(sheet)
        assert items == _cis_items(bench), sheet.title
        assert all(r["Result"] in ("pass", "not assessed") for r in rows)


def test_cli_exports_the_cis_table_from_a_duckdb_database(tmp_path: Path, capsys) -> None:
    """rootwatch benchmark run ... --export audit.xlsx --export audit.cis.csv, end to end."""
    import duckdb

    from rootwatch.cases import duckdb_with_rows
    from rootwatch.cli.main import main

    mod_dir = tmp_path / "mod"
    copy_controls(mod_dir, ["root_no_access_keys", "credential_report_fresh"])
    mod_yaml = (REPO / "mod.yaml").read_text("utf-8")
    write_files(
        mod_dir,
        {
            "mod.yaml": mod_yaml[: mod_yaml.index("\nbenchmarks:")] + "\n",
            "cis/cis.yaml": CIS_SHARED,
            "cis/v4.0.0.yaml": SCRATCH_CIS_V400,
        },
    )
    snapshot = tmp_path / "org.duckdb"
    memory = duckdb_with_rows(
        {
            "aws_account": [{"account_id": "111111111111", "partition": "aws", "region": "global"}],
            "aws_iam_account_summary": [
                {"account_id": "111111111111", "partition": "aws", "region": "global", "account_access_keys_present": 1}
            ],
        }
    )
    memory.execute(f"ATTACH '{snapshot}' AS out")
    memory.execute("COPY FROM DATABASE memory TO out")
    memory.close()
    assert duckdb.connect(str(snapshot), read_only=True).execute("select count(*) from aws_account").fetchone() == (1,)

    xlsx, cis_csv = tmp_path / "audit.xlsx", tmp_path / "audit.cis.csv"
    code = main(
        [
            "benchmark", "run", "cis_v400", "--mod-location", str(mod_dir), "--snapshot", str(snapshot),
            "--as-of", "2026-03-01T12:00:00Z", "--export", str(xlsx), "--export", str(cis_csv), "--output", "cis-md",
        ]
    )
    out = capsys.readouterr().out
    assert code in (1, 2)  # an access key present: alarm; no credential report: error
    assert "| 1.4 | 1 IAM | Ensure no root key | 1 | automated | **fail** |" in out
    rows = list(csv.DictReader(io.StringIO(cis_csv.read_text("utf-8"))))
    assert [(r["item"], r["result"]) for r in rows] == [("1.4", "fail"), ("1.5", "not assessed")]
    _, items, _ = _sheet_table(_workbook_file(xlsx).worksheets[0])
    assert items == ["1.4", "1.5"]


def _workbook_file(path: Path):
    openpyxl = pytest.importorskip("openpyxl", reason="the xlsx extra is not installed")
    return openpyxl.load_workbook(path)


SCRATCH_CIS_V400 = """
sections:
  "1": IAM
recommendations:
  - {item: "1.4", title: "Ensure no root key", level: 1, type: automated, control: root_no_access_keys}
  - {item: "1.5", title: "Ensure MFA", level: 1, type: automated}
"""
