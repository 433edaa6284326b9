"""Output formats for run results: one module per format, one registry line per format.

A format module exposes ``render(result: RunResult) -> str`` (or ``bytes`` for binary formats).
``--output NAME`` prints a format on stdout; ``--export FILE`` writes one, picking the format from
the file's extension or from an explicit ``FORMAT:FILE`` prefix.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rootwatch.errors import UsageError

if TYPE_CHECKING:
    from rootwatch.results import RunResult


@dataclass(frozen=True)
class Format:
    """A registered output format."""

    name: str
    module: str
    description: str
    extensions: tuple[str, ...] = ()
    binary: bool = False
    printable: bool = True
    """False for formats that only make sense as a file (``--export`` only)."""

    def renderer(self) -> Callable[[RunResult], str | bytes]:
        return importlib.import_module(self.module).render


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", "rootwatch.output.text", "the benchmark tree with per-control counts, reasons and a summary (default)", (".txt",)),
        Format("brief", "rootwatch.output.brief", "only alarms and errors, one line each, and the summary"),
        Format(
            "csv",
            "rootwatch.output.csv_format",
            "Powerpipe's column order: group_id, title, description, control_id, control_title, control_description, "
            "reason, resource, status, severity, dimensions, tags",
            (".csv",),
        ),
        Format("json", "rootwatch.output.json_format", "Powerpipe's export shape (groups, controls, results with dimensions, tags, summaries)", (".json",)),
        Format("md", "rootwatch.output.markdown", "Markdown report", (".md", ".markdown")),
        Format("none", "rootwatch.output.none", "nothing on stdout (exports only)"),
        Format(
            "junit",
            "rootwatch.output.junit",
            "one test case per control and resource: alarm is a failure, error an error, skip skipped",
            (".junit.xml", ".xml"),
        ),
        Format(
            "asff",
            "rootwatch.output.asff",
            "AWS Security Hub findings (ok PASSED, alarm FAILED, error WARNING, info/skip NOT_AVAILABLE)",
            (".asff.json",),
        ),
        Format("ocsf", "rootwatch.output.ocsf", "OCSF 1.3.0 Compliance Finding (class 2003) per result", (".ocsf.json",)),
        Format(
            "html",
            "rootwatch.output.html",
            "one self-contained report: charts by section and account, a sortable, filterable table",
            (".html", ".htm"),
        ),
        Format("cis-csv", "rootwatch.output.cis_table_csv", "the CIS table for auditors, CSV", (".cis.csv",)),
        Format("cis-md", "rootwatch.output.cis_table_md", "the CIS table for auditors, Markdown", (".cis.md",)),
        Format("cis-html", "rootwatch.output.cis_table_html", "the CIS table for auditors, HTML", (".cis.html",)),
        Format(
            "cis-xlsx",
            "rootwatch.output.cis_table_xlsx",
            "the CIS table for auditors, an Excel workbook (one sheet per CIS version)",
            (".xlsx", ".cis.xlsx"),
            binary=True,
            printable=False,
        ),
    )
}


def register(fmt: Format) -> None:
    """Add a format (used by format modules that ship as extras)."""
    FORMATS[fmt.name] = fmt


def printable_formats() -> list[str]:
    return [name for name, f in FORMATS.items() if f.printable]


def format_named(name: str) -> Format:
    if name not in FORMATS:
        from rootwatch.errors import UnknownNameError

        raise UnknownNameError("output format", name, list(FORMATS))
    return FORMATS[name]


def export_target(spec: str) -> tuple[Format, Path]:
    """The format and path named by an ``--export`` value (``FILE`` or ``FORMAT:FILE``)."""
    head, sep, tail = spec.partition(":")
    if sep and head in FORMATS and tail:
        return FORMATS[head], Path(tail)
    path = Path(spec)
    name = path.name.lower()
    # Longest extension first, so "x.ocsf.json" picks ocsf before json.
    candidates = sorted(
        ((ext, f) for f in FORMATS.values() for ext in f.extensions), key=lambda pair: len(pair[0]), reverse=True
    )
    for ext, fmt in candidates:
        if name.endswith(ext):
            return fmt, path
    if name in FORMATS:  # "--export json" writes to a default file name, as Powerpipe does
        fmt = FORMATS[name]
        if fmt.extensions:
            return fmt, Path(f"rootwatch-export{fmt.extensions[0]}")
    known = ", ".join(sorted({ext for f in FORMATS.values() for ext in f.extensions}))
    raise UsageError(
        f"--export {spec}: cannot tell the format from the file name",
        hint=f"use one of the extensions {known}, or FORMAT:FILE (formats: {', '.join(FORMATS)})",
    )
