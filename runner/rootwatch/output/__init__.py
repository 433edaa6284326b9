"""Output formats for run results: one module per format, one registry line per format.

A format module exposes ``render(result: RunResult) -> str`` (or ``bytes`` for binary formats);
formats for people (``takes_options``) take ``render(result, options: RenderOptions)`` too.
``--output NAME`` prints a format on stdout; ``--export FILE`` writes one, picking the format from
the file's extension or from an explicit ``FORMAT:FILE`` prefix. A file name whose suffixes name a
format rootwatch does not write (``x.sarif.json``, ``x.nunit.xml``) is an error, never a silent
JSON or JUnit file.
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
class RenderOptions:
    """How the formats for people lay a run out (the others ignore it)."""

    verbose: bool = False
    """List every benchmark item the mod does not assess, instead of one line per section."""
    width: int | None = None
    """Wrap reasons to this many columns; None: one line per result (a file, a pipe)."""


@dataclass(frozen=True)
class Format:
    """A registered output format."""

    name: str
    module: str
    description: str
    extensions: tuple[str, ...] = ()
    printable: bool = True
    """False for formats that only make sense as a file (``--export`` only)."""
    needs_cis_benchmark: bool = False
    """A table of a CIS benchmark's items: offered by ``benchmark run`` only."""
    takes_options: bool = False
    """``render(result, options)`` lays the run out by :class:`RenderOptions`."""

    def renderer(self) -> Callable[[RunResult], str | bytes]:
        return importlib.import_module(self.module).render

    def render(self, result: RunResult, options: RenderOptions | None = None) -> str | bytes:
        """``result`` in this format (laid out by ``options`` where the format takes them)."""
        render = importlib.import_module(self.module).render
        return render(result, options or RenderOptions()) if self.takes_options else render(result)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", "rootwatch.output.text", "the benchmark tree with per-control counts, reasons and a summary (default)", (".txt",), takes_options=True),
        Format("brief", "rootwatch.output.brief", "only alarms and errors, one line each, and the summary", takes_options=True),
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
            "nunit3",
            "rootwatch.output.nunit3",
            "NUnit 3 test result XML, one test case per control and resource (alarm Failed, error Failed with a message, skip Skipped)",
            (".nunit3.xml",),
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
            "one self-contained report: charts by section and account, each account's root-usage alerting chain, "
            "a root-activity timeline, a sortable, filterable table with alarms and errors first",
            (".html", ".htm"),
        ),
        Format("cis-csv", "rootwatch.output.cis_table_csv", "the CIS table for auditors, CSV", (".cis.csv",), needs_cis_benchmark=True),
        Format("cis-md", "rootwatch.output.cis_table_md", "the CIS table for auditors, Markdown", (".cis.md",), needs_cis_benchmark=True),
        Format("cis-html", "rootwatch.output.cis_table_html", "the CIS table for auditors, HTML", (".cis.html",), needs_cis_benchmark=True),
        Format(
            "cis-xlsx",
            "rootwatch.output.cis_table_xlsx",
            "the CIS table for auditors, an Excel workbook (one sheet per CIS version)",
            (".xlsx", ".cis.xlsx"),
            printable=False,
            needs_cis_benchmark=True,
        ),
    )
}


def printable_formats(*, cis: bool = True) -> list[str]:
    """Formats ``--output`` offers; without ``cis``, none that needs a CIS benchmark (``control run``)."""
    return [name for name, f in FORMATS.items() if f.printable and (cis or not f.needs_cis_benchmark)]


def format_named(name: str) -> Format:
    if name not in FORMATS:
        from rootwatch.errors import UnknownNameError

        raise UnknownNameError("output format", name, list(FORMATS))
    return FORMATS[name]


# Report formats of other tools: a file named after one (``x.sarif.json``) is not silently
# written as rootwatch's JSON or JUnit.
FOREIGN_FORMATS = frozenset({"sarif", "xunit", "xunit2", "nunit", "nunit2", "trx", "tap", "cucumber", "checkstyle", "gitlab", "sonarqube"})


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
            _refuse_foreign_suffix(spec, name[: -len(ext)], fmt)
            return fmt, path
    if name in FORMATS:  # "--export json" writes to a default file name, as Powerpipe does
        fmt = FORMATS[name]
        if fmt.extensions:
            return fmt, Path(f"rootwatch-export{fmt.extensions[0]}")
    raise UsageError(f"--export {spec}: cannot tell the format from the file name", hint=_EXPORT_HINT)


_EXPORT_HINT = (
    f"use one of the extensions {', '.join(sorted({ext for f in FORMATS.values() for ext in f.extensions}))}, "
    f"or FORMAT:FILE (formats: {', '.join(FORMATS)})"
)


def _refuse_foreign_suffix(spec: str, stem: str, fmt: Format) -> None:
    """UsageError when the suffix before the format's extension names another format:
    ``results.nunit.xml`` or ``results.sarif.json`` is a format rootwatch does not write (or a
    typo of one it does), and ``results.html.json`` one written under another extension; none of
    them is JUnit or JSON. A suffix naming no format (``results.2026-11.json``, ``org.prod.json``)
    is part of the file name."""
    from rootwatch.suggest import did_you_mean

    base, dot, inner = stem.rpartition(".")
    if not dot or not inner or inner == fmt.name:
        return
    if inner in FORMATS:
        other = FORMATS[inner]
        where = f"{base}{other.extensions[0]}" if other.extensions else f"--output {inner}"
        raise UsageError(f"--export {spec}: {inner} is not written as {fmt.extensions[0]}", hint=f"write it as {where}")
    close = did_you_mean(inner, [name for name in FORMATS if FORMATS[name].extensions])
    if close is not None and not _close_enough(inner, close):
        close = None
    if inner in FOREIGN_FORMATS or close is not None:
        suggestion = f"did you mean {close} ({base}{FORMATS[close].extensions[0]})? " if close else ""
        raise UsageError(
            f"--export {spec}: {inner!r} is not a format rootwatch writes",
            hint=f"{suggestion}to write {fmt.name} under this name anyway: --export {fmt.name}:{spec}",
        )


def _close_enough(inner: str, known: str) -> bool:
    """A near miss of a format name (``nunit`` for ``nunit3``, ``junt`` for ``junit``), not merely
    a word that shares a few letters with one."""
    import difflib

    return difflib.SequenceMatcher(None, inner, known).ratio() >= 0.75
