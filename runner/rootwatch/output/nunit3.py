"""NUnit 3 test result XML, for CI systems and dashboards that read NUnit (Azure Pipelines'
``PublishTestResults`` with ``testResultsFormat: NUnit``, Jenkins' NUnit plugin, ReportPortal).

Shape (validated against tests/output/schemas/nunit3.xsd, written from NUnit's published
test-result schema):

- ``<test-run>`` → one ``<test-suite type="Assembly" name="rootwatch">`` → a ``type="TestSuite"``
  per benchmark and nested benchmark (a CIS section) → a ``type="TestFixture"`` per control node
  (its ``fullname`` the id path, ``cis_v700.cis_v700_2.cis_v700_2_4``) → a ``<test-case>`` per result
  row, named as in the JUnit export: the resource plus the dimension values it does not contain.
  Controls run on their own sit directly in the assembly.
- ok → ``Passed``; alarm → ``Failed`` with ``<failure><message>``; error → ``Failed`` with
  ``label="Error"`` (NUnit's word for an exception rather than a failed assertion); info →
  ``Inconclusive``; skip → ``Skipped`` with ``<reason><message>``; a benchmark item the mod does not
  assess → ``Skipped`` with ``label="Ignored"`` and ``runstate="Ignored"``. A control that could not
  run is one ``Failed``/``Error`` case named ``(control run)``, one that returned no rows one
  ``Skipped`` case named ``(no results)``: neither vanishes.
- every case carries its status, reason and dimensions in ``<output>`` and as properties (the
  account's display name too); suites add up their cases' counts and durations (a control's
  duration shared evenly between its cases), and the run's as-of instant, source and rootwatch
  version are properties of the assembly.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count

from rootwatch.output.junit import NO_RESULTS_NAME, NO_RESULTS_REASON, RUN_ERROR_NAME, case_name, details, xml_text
from rootwatch.results import ControlRun, GroupRun, RunResult
from rootwatch.status import Status

RESULTS = {Status.OK: "Passed", Status.ALARM: "Failed", Status.ERROR: "Failed", Status.INFO: "Inconclusive", Status.SKIP: "Skipped"}


@dataclass
class _Case:
    name: str
    status: Status
    reason: str
    dimensions: tuple[tuple[str, str | None], ...]
    seconds: float
    ignored: bool = False
    """A benchmark item the mod does not assess."""

    @property
    def result(self) -> str:
        return RESULTS[self.status]

    @property
    def label(self) -> str | None:
        if self.status is Status.ERROR:
            return "Error"
        return "Ignored" if self.ignored else None


@dataclass
class _Tally:
    """Counts of a suite's cases by NUnit result, and their duration."""

    passed: int = 0
    failed: int = 0
    inconclusive: int = 0
    skipped: int = 0
    seconds: float = 0.0
    cases: list[_Case] = field(default_factory=list)

    def add(self, other: _Tally) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.inconclusive += other.inconclusive
        self.skipped += other.skipped
        self.seconds += other.seconds

    def count(self, case: _Case) -> None:
        result = case.result
        self.passed += result == "Passed"
        self.failed += result == "Failed"
        self.inconclusive += result == "Inconclusive"
        self.skipped += result == "Skipped"
        self.seconds += case.seconds

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.inconclusive + self.skipped

    @property
    def result(self) -> str:
        """A suite fails when a case fails; it passes when one passes; else it is as its cases are."""
        if self.failed:
            return "Failed"
        if self.passed:
            return "Passed"
        if self.inconclusive:
            return "Inconclusive"
        return "Skipped" if self.skipped else "Passed"


def _cases(run: ControlRun) -> Iterator[_Case]:
    if run.error:
        yield _Case(RUN_ERROR_NAME, Status.ERROR, run.error, (), 0.0)
    for row in run.rows:
        yield _Case(case_name(row), row.status, row.reason, row.dimensions, 0.0, ignored=run.not_assessed)
    if not run.error and not run.rows:
        yield _Case(NO_RESULTS_NAME, Status.SKIP, NO_RESULTS_REASON, (), 0.0)


class _Writer:
    """Builds the element tree, numbering every suite and case uniquely (the schema requires it)."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self.ids = count(1)
        self.started = _time(result.context.started_at)
        self.ended = _time(result.context.ended_at)

    def suite(self, parent: ET.Element, kind: str, name: str, fullname: str) -> ET.Element:
        return ET.SubElement(
            parent,
            "test-suite",
            {"type": kind, "id": str(next(self.ids)), "name": xml_text(name), "fullname": xml_text(fullname), "runstate": "Runnable"},
        )

    def group(self, parent: ET.Element, group: GroupRun, path: tuple[str, ...]) -> _Tally:
        element = self.suite(parent, "TestSuite", group.id, ".".join((*path, group.id)))
        _properties(element, [("title", group.title)])
        tally = self.children(element, group.children, (*path, group.id))
        self.finish(element, tally)
        return tally

    def children(self, element: ET.Element, children: tuple[GroupRun | ControlRun, ...], path: tuple[str, ...]) -> _Tally:
        tally = _Tally()
        for child in children:
            tally.add(self.group(element, child, path) if isinstance(child, GroupRun) else self.fixture(element, child, path))
        return tally

    def fixture(self, parent: ET.Element, run: ControlRun, path: tuple[str, ...]) -> _Tally:
        node = run.node
        fullname = ".".join((*path, node.id))
        element = self.suite(parent, "TestFixture", node.id, fullname)
        element.set("classname", xml_text(fullname))
        if run.not_assessed:
            element.set("runstate", "Ignored")
        _properties(
            element,
            [("title", node.title), ("control", node.control.id if node.control else ""), ("severity", node.severity or "")]
            + [(f"tag.{key}", value) for key, value in sorted(node.tags.items())],
        )
        cases = list(_cases(run))
        tally = _Tally()
        for case in cases:
            case.seconds = run.duration_s / len(cases)
            self.case(element, case, fullname)
            tally.count(case)
        self.finish(element, tally)
        return tally

    def case(self, parent: ET.Element, case: _Case, classname: str) -> None:
        attributes = {
            "id": str(next(self.ids)),
            "name": xml_text(case.name),
            "fullname": xml_text(f"{classname}.{case.name}"),
            "classname": xml_text(classname),
            "runstate": "Ignored" if case.ignored else "Runnable",
            "seed": "0",
            "result": case.result,
        }
        if case.label:
            attributes["label"] = case.label
        attributes.update({"start-time": self.started, "end-time": self.ended, "duration": _seconds(case.seconds), "asserts": "0"})
        element = ET.SubElement(parent, "test-case", attributes)
        names = self.result.context.account_names
        account = dict(case.dimensions).get("account_id")
        _properties(
            element,
            [("status", case.status.value)]
            + [(key, value or "") for key, value in case.dimensions]
            + ([("account_name", names[account])] if account and account in names else []),
        )
        message = xml_text(case.reason)
        if case.result == "Failed":
            ET.SubElement(ET.SubElement(element, "failure"), "message").text = message
        elif case.result in ("Skipped", "Inconclusive"):
            ET.SubElement(ET.SubElement(element, "reason"), "message").text = message
        ET.SubElement(element, "output").text = xml_text(details(case.status, case.reason, case.dimensions, names))

    def finish(self, element: ET.Element, tally: _Tally) -> None:
        """Set a suite's result, counts and times, once its cases are known."""
        element.set("testcasecount", str(tally.total))
        element.set("result", tally.result)
        if tally.failed:
            element.set("site", "Child")
        element.set("start-time", self.started)
        element.set("end-time", self.ended)
        element.set("duration", _seconds(tally.seconds))
        for name in ("total", "passed", "failed"):
            element.set(name, str(getattr(tally, name)))
        element.set("warnings", "0")
        element.set("inconclusive", str(tally.inconclusive))
        element.set("skipped", str(tally.skipped))
        element.set("asserts", "0")


def _properties(element: ET.Element, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    properties = ET.SubElement(element, "properties")
    for name, value in pairs:
        ET.SubElement(properties, "property", {"name": xml_text(name), "value": xml_text(value)})


def _time(moment: datetime) -> str:
    """UTC as NUnit writes it: ``2026-11-25 12:00:05Z``."""
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _seconds(value: float) -> str:
    return f"{value:.6f}"


def render(result: RunResult) -> str:
    ctx = result.context
    writer = _Writer(result)
    run = ET.Element("test-run", {"id": "0", "name": "rootwatch", "fullname": "rootwatch"})
    ET.SubElement(run, "filter")
    assembly = writer.suite(run, "Assembly", "rootwatch", "rootwatch")
    _properties(
        assembly,
        [
            ("benchmarks", ", ".join(child.id if isinstance(child, GroupRun) else child.node.id for child in result.root.children)),
            ("as_of", ctx.as_of.isoformat()),
            ("source", ctx.engine_description),
            ("rootwatch_version", ctx.tool_version),
        ],
    )
    tally = writer.children(assembly, result.root.children, ())
    writer.finish(assembly, tally)
    for name, value in (
        ("testcasecount", str(tally.total)),
        ("result", tally.result),
        ("total", str(tally.total)),
        ("passed", str(tally.passed)),
        ("failed", str(tally.failed)),
        ("inconclusive", str(tally.inconclusive)),
        ("skipped", str(tally.skipped)),
        ("asserts", "0"),
        ("random-seed", "0"),
        ("start-time", writer.started),
        ("end-time", writer.ended),
        ("duration", _seconds((ctx.ended_at - ctx.started_at).total_seconds())),
    ):
        run.set(name, value)
    ET.indent(run, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(run, encoding="unicode") + "\n"
