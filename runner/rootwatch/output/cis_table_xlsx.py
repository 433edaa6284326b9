"""The ``cis-xlsx`` format: the CIS table for auditors as an Excel workbook (export only).

One sheet per CIS benchmark of the run (named after its CIS version). Each sheet starts with an
info block (benchmark, CIS version, as-of instant, snapshot capture time, data source, item counts,
then one line per evidence prerequisite, which is not a CIS item), then the header row, frozen,
with an auto-filter, then one row per recommendation in benchmark order. Long texts wrap; counts
are numbers; everything else is text, never a formula. Needs openpyxl (``rootwatch[xlsx]``).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rootwatch.errors import UsageError
from rootwatch.install import extra_hint
from rootwatch.output.cis_table import FLAT_COLUMNS, CisReport, CisResult, CisTable, cis_report, counts_text, prerequisite_text
from rootwatch.results import RunResult
from rootwatch.wording import instant

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# Excel's limit for one cell; longer evidence is cut with a pointer to the full CSV.
MAX_CELL = 32767
NUMERIC_COLUMNS = {"passing", "failing"}
RESULT_FILLS = {
    CisResult.PASS: "C8E6C9",
    CisResult.FAIL: "FFCDD2",
    CisResult.ERROR: "E1BEE7",
    CisResult.REVIEW: "B3E5FC",
    CisResult.NOT_ASSESSED: "EEEEEE",
}


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise UsageError(
            "the cis-xlsx format needs the openpyxl package, which is not installed",
            hint=f"{extra_hint('xlsx', 'openpyxl')}; or export cis-csv instead",
        ) from None
    return openpyxl


def sheet_title(version: str, taken: set[str]) -> str:
    """'CIS v7.0.0', unique within the workbook and within Excel's rules (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", f"CIS {version}".strip())[:31]
    title, number = base, 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(text) > MAX_CELL:
        note = "\n... (cut at Excel's cell limit; the cis-csv export has the full text)"
        text = text[: MAX_CELL - len(note)] + note
    return text


def _put(sheet: Worksheet, row: int, column: int, value: str | int) -> Any:
    cell = sheet.cell(row=row, column=column)
    cell.value = value if isinstance(value, int) else _text(value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
    return cell


def _info_lines(report: CisReport, table: CisTable) -> list[str]:
    captured = instant(report.captured_at) if report.captured_at else "live endpoint (no snapshot)"
    lines = [
        f"CIS version: {table.cis_version}   Benchmark: {table.benchmark_id}",
        f"As of: {instant(report.as_of)}   Snapshot captured at: {captured}",
        f"Data source: {report.source}   rootwatch {report.tool_version}",
        f"Items: {table.items_text()}; results: {counts_text(table)}",
    ]
    lines += [f"{note.group_title}: {prerequisite_text(note)}" for note in table.prerequisites]
    if report.narrowed:
        lines.append(f"Partial table: {report.narrowed}")
    return lines


def _sheet(openpyxl: Any, sheet: Worksheet, report: CisReport, table: CisTable) -> None:
    styles = openpyxl.styles
    wrap = styles.Alignment(wrap_text=True, vertical="top")
    width = len(FLAT_COLUMNS)
    title = _put(sheet, 1, 1, table.benchmark_title)
    title.font = styles.Font(bold=True, size=14)
    row_number = 1
    for line in _info_lines(report, table):
        row_number += 1
        _put(sheet, row_number, 1, line)
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=width)
    header_row = row_number + 1
    fill = styles.PatternFill("solid", fgColor="DDE3EA")
    for column, spec in enumerate(FLAT_COLUMNS, start=1):
        cell = _put(sheet, header_row, column, spec.header)
        cell.font, cell.fill, cell.alignment = styles.Font(bold=True), fill, wrap
        sheet.column_dimensions[openpyxl.utils.get_column_letter(column)].width = spec.width
    for offset, item in enumerate(table.rows, start=1):
        for column, spec in enumerate(FLAT_COLUMNS, start=1):
            text = spec.cell(item)
            cell = _put(sheet, header_row + offset, column, int(text) if spec.key in NUMERIC_COLUMNS else text)
            cell.alignment = wrap
            if spec.key == "result":
                cell.fill = styles.PatternFill("solid", fgColor=RESULT_FILLS[item.result])
    last = openpyxl.utils.get_column_letter(width)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(table.rows), 1)}"


def render(result: RunResult) -> bytes:
    report = cis_report(result, "cis-xlsx")
    openpyxl = _openpyxl()
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for table in report.tables:
        _sheet(openpyxl, workbook.create_sheet(sheet_title(table.cis_version, taken)), report, table)
    # The workbook's own dates are the as-of instant, so one run exports the same workbook twice.
    stamp = report.as_of.astimezone(timezone.utc).replace(tzinfo=None)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.title = "CIS table for auditors"
    workbook.properties.creator = f"rootwatch {report.tool_version}".strip()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _pinned(buffer.getvalue(), stamp)


# Zip entries carry a date-time without zone, from 1980 to 2107 only; they get the as-of instant in UTC.
ZIP_EARLIEST = datetime(1980, 1, 1)
ZIP_LATEST = datetime(2107, 12, 31, 23, 59, 58)
CORE_PART = "docProps/core.xml"


def _pinned(saved: bytes, stamp: datetime) -> bytes:
    """``saved`` rewritten so that it depends on the run alone: every zip entry dated ``stamp``
    and the workbook's ``modified`` property set to ``stamp``.

    openpyxl's save sets ``modified`` to the current time (whatever the workbook says) and dates
    each zip entry with the clock, so two exports of one run would differ. Only the dates change;
    entry names, order, contents and compression stay openpyxl's.
    """
    date_time = min(max(stamp, ZIP_EARLIEST), ZIP_LATEST).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved)) as source, zipfile.ZipFile(out, "w", allowZip64=True) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == CORE_PART:
                data = _core_modified(data, stamp)
            pinned = zipfile.ZipInfo(entry.filename, date_time=date_time)
            pinned.compress_type = entry.compress_type
            # Fixed rather than copied: ZipInfo records the writing platform otherwise.
            pinned.create_system = 3
            pinned.external_attr = entry.external_attr
            target.writestr(pinned, data)
    return out.getvalue()


def _core_modified(core_xml: bytes, stamp: datetime) -> bytes:
    """The core properties part with ``modified`` set to ``stamp`` (parsed and written back by
    openpyxl, so the part keeps openpyxl's exact form)."""
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.xml.functions import fromstring, tostring

    properties = DocumentProperties.from_tree(fromstring(core_xml))
    properties.modified = stamp
    return tostring(properties.to_tree())
