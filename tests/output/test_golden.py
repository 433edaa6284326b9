"""Every output format rendered from a fixture run matches its golden file exactly.

The run formats come from the fixture run in tests/output/conftest.py (html included); the CIS
tables from the two-version CIS run in tests/output/cis_fixtures.py. cis-csv and cis-md are compared
in test_cis_formats.py; cis-html is compared here as text, and cis-xlsx, a zip of XML parts, as a
readable dump of every sheet (:func:`xlsx_dump`) plus a check that its bytes depend on the run only.

After an intended change to a format: ``scripts/regen-output-golden`` (run formats) or
``scripts/regen-cis-golden`` (CIS tables), then review the diff. Both scripts import this module
for the golden files listed here, so the tests and the scripts cannot disagree on them.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cis_fixtures import AS_OF as CIS_AS_OF
from cis_fixtures import GOLDEN_BENCHMARKS as CIS_GOLDEN_BENCHMARKS
from cis_fixtures import GOLDEN_DIR
from cis_fixtures import GOLDEN_FILES as CIS_TEXT_GOLDEN_FILES
from cis_fixtures import sample_result as cis_sample_result

from rootwatch.output import FORMATS, format_named
from rootwatch.results import RunResult

REPO = Path(__file__).resolve().parents[2]
GOLDEN_FORMATS = ("text", "brief", "csv", "json", "md", "junit", "nunit3", "asff", "ocsf")

# Golden files the shared fixture modules do not list; format name -> file under tests/golden/output.
RUN_EXTRA_GOLDEN_FILES = {"html": "html.html"}
"""Run formats rendered from conftest.py's fixture run (scripts/regen-output-golden)."""
CIS_EXTRA_GOLDEN_FILES = {"cis-html": "cis_table.html", "cis-xlsx": "cis_table.xlsx.txt"}
"""CIS tables rendered from cis_fixtures.py's golden run (scripts/regen-cis-golden)."""

Render = Callable[[str, RunResult], str]
"""conftest.py's ``render`` fixture: format name and run -> output text."""

NO_OUTPUT_FORMATS = {"none"}
"""Formats that print nothing, so have no golden file (checked to print nothing instead)."""


# ---- what the CIS golden files hold (also used by scripts/regen-cis-golden) ----------------------


def cis_golden_run() -> RunResult:
    """The CIS run every CIS golden file shows: two CIS versions, so several sheets/sections."""
    return cis_sample_result(*CIS_GOLDEN_BENCHMARKS)


def cis_extra_golden_text(format_name: str, result: RunResult | None = None) -> str:
    """What the golden file of ``format_name`` (a key of CIS_EXTRA_GOLDEN_FILES) must hold."""
    rendered = format_named(format_name).renderer()(cis_golden_run() if result is None else result)
    if format_name == "cis-xlsx":
        assert isinstance(rendered, bytes)
        return xlsx_dump(rendered)
    assert isinstance(rendered, str)
    return rendered


# ---- a readable dump of a workbook ----------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return f"{value.isoformat()} UTC" if value else "-"  # openpyxl reads them as naive UTC


def _style(cell: Any) -> str:
    """The formatting rootwatch sets on a cell (font, fill, wrap, number format), compactly; empty
    for a default cell, so most lines stay short."""
    marks = []
    if cell.font is not None and cell.font.b:
        marks.append("bold" + (f" size={cell.font.sz:g}" if cell.font.sz and cell.font.sz != 11 else ""))
    if cell.fill is not None and cell.fill.fill_type:
        marks.append(f"fill={cell.fill.fill_type}:{cell.fill.fgColor.rgb}")
    if cell.alignment is not None and cell.alignment.wrap_text:
        marks.append("wrap" + (f" {cell.alignment.vertical}" if cell.alignment.vertical else ""))
    if cell.number_format != "General":
        marks.append(f"format={cell.number_format!r}")
    return f"  [{', '.join(marks)}]" if marks else ""


def _sheet_lines(sheet: Any) -> list[str]:
    """One sheet: layout (dimensions, frozen panes, filter, merged ranges, column widths), then
    every non-empty cell in row order as ``coordinate type value [style]``."""
    from openpyxl.utils import column_index_from_string

    widths = sorted(
        ((letter, dim.width) for letter, dim in sheet.column_dimensions.items() if dim.customWidth),
        key=lambda pair: column_index_from_string(pair[0]),
    )
    lines = [
        f"== sheet {sheet.title!r} ==",
        f"dimensions: {sheet.dimensions}",
        f"freeze panes: {sheet.freeze_panes or '-'}",
        f"auto-filter: {sheet.auto_filter.ref or '-'}",
        f"merged: {', '.join(sorted(str(r) for r in sheet.merged_cells.ranges)) or '-'}",
        f"column widths: {', '.join(f'{letter}={width:g}' for letter, width in widths) or '-'}",
    ]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                # repr shows newlines, quotes and replacement characters exactly as stored.
                lines.append(f"{cell.coordinate} {cell.data_type} {cell.value!r}{_style(cell)}")
    return lines


def xlsx_dump(data: bytes) -> str:
    """A line-per-cell text dump of the workbook ``data``, read back with openpyxl: workbook
    properties, then each sheet's layout and cells. Diffs of it read like a diff of the sheets."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    props = workbook.properties
    lines = [
        "# cis-xlsx workbook dump (tests/output/test_golden.py: xlsx_dump); cell lines: coordinate, type, value, [style]",
        f"title: {props.title!r}",
        f"creator: {props.creator!r}",
        f"created: {_when(props.created)}",
        f"modified: {_when(props.modified)}",
        f"sheets: {', '.join(repr(name) for name in workbook.sheetnames)}",
    ]
    for sheet in workbook.worksheets:
        lines += ["", *_sheet_lines(sheet)]
    return "\n".join(lines) + "\n"


# ---- run formats ---------------------------------------------------------------------------------


def test_golden_formats_are_the_fixture_formats(golden_names: list[str]) -> None:
    assert tuple(golden_names) == GOLDEN_FORMATS


@pytest.mark.parametrize("name", GOLDEN_FORMATS)
def test_format_matches_golden_file(name: str, sample_result: RunResult, render: Render, golden_text: Callable[[str], str]) -> None:
    actual = render(name, sample_result)
    assert actual == golden_text(name), f"{name} differs from its golden file; rerun scripts/regen-output-golden if intended"


@pytest.mark.parametrize("name", sorted(RUN_EXTRA_GOLDEN_FILES))
def test_extra_run_format_matches_golden_file(name: str, sample_result: RunResult, render: Render) -> None:
    path = GOLDEN_DIR / RUN_EXTRA_GOLDEN_FILES[name]
    assert path.exists(), f"{path} is missing: run scripts/regen-output-golden"
    expected = path.read_text(encoding="utf-8")
    assert render(name, sample_result) == expected, f"{name} differs from {path.name}; rerun scripts/regen-output-golden if intended"


def test_rendering_is_deterministic(build_sample: Callable[[], RunResult], render: Render) -> None:
    first, second = build_sample(), build_sample()
    assert first is not second
    for name in (*GOLDEN_FORMATS, *RUN_EXTRA_GOLDEN_FILES):
        assert render(name, first) == render(name, second)


def test_none_prints_nothing(sample_result: RunResult, render: Render) -> None:
    for name in NO_OUTPUT_FORMATS:
        assert render(name, sample_result) == ""


def test_every_format_has_a_golden_file() -> None:
    pinned = {*GOLDEN_FORMATS, *RUN_EXTRA_GOLDEN_FILES, *CIS_TEXT_GOLDEN_FILES, *CIS_EXTRA_GOLDEN_FILES}
    assert set(FORMATS) - NO_OUTPUT_FORMATS == pinned


# ---- CIS tables: html and xlsx -------------------------------------------------------------------


@pytest.mark.parametrize("format_name", sorted(CIS_EXTRA_GOLDEN_FILES))
def test_cis_format_matches_golden_file(format_name: str) -> None:
    if format_name == "cis-xlsx":
        pytest.importorskip("openpyxl", reason="the xlsx extra is not installed")
    path = GOLDEN_DIR / CIS_EXTRA_GOLDEN_FILES[format_name]
    assert path.exists(), f"{path} is missing: run scripts/regen-cis-golden"
    assert cis_extra_golden_text(format_name) == path.read_text(encoding="utf-8"), (
        f"{format_name} output changed: run scripts/regen-cis-golden and review the diff of {path.name}"
    )


def test_cis_html_rendering_is_deterministic() -> None:
    first, second = cis_golden_run(), cis_golden_run()
    assert first is not second
    assert cis_extra_golden_text("cis-html", first) == cis_extra_golden_text("cis-html", second)


def _xlsx_bytes() -> bytes:
    pytest.importorskip("openpyxl", reason="the xlsx extra is not installed")
    data = format_named("cis-xlsx").renderer()(cis_golden_run())
    assert isinstance(data, bytes)
    return data


def test_xlsx_is_byte_identical_for_the_same_run() -> None:
    assert _xlsx_bytes() == _xlsx_bytes()


def test_xlsx_dates_are_the_as_of_instant_not_the_clock() -> None:
    import openpyxl

    data = _xlsx_bytes()
    as_of = CIS_AS_OF.astimezone(timezone.utc).replace(tzinfo=None)
    props = openpyxl.load_workbook(io.BytesIO(data)).properties
    assert (props.created, props.modified) == (as_of, as_of)
    # Two renders within one second would match even with clock dates: check the zip dates too.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {as_of.timetuple()[:6]}
        assert archive.testzip() is None


# ---- the regeneration scripts --------------------------------------------------------------------


def _script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_regen_script_reports_golden_files_up_to_date() -> None:
    completed = _script("regen-output-golden", "--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip() == "golden output files are up to date"


def test_regen_script_rejects_an_unknown_format() -> None:
    completed = _script("regen-output-golden", "--check", "pdf")
    assert completed.returncode == 2
    assert "unknown format pdf" in completed.stderr


def test_regen_cis_script_reports_golden_files_up_to_date() -> None:
    pytest.importorskip("openpyxl", reason="the xlsx extra is not installed")
    completed = _script("regen-cis-golden", "--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip() == "CIS golden files are up to date"
