"""JUnit XML, the test report every CI system reads (Jenkins, GitLab, GitHub Actions reporters).

Shape (validated against tests/output/schemas/junit.xsd, the Jenkins/Ant structure):

- one ``<testsuite>`` per benchmark that holds controls directly (a CIS section, say), named by its
  id path (``cis_v700.cis_v700_2``); controls run on their own share a suite named ``rootwatch``;
- one ``<testcase>`` per control and result row: ``classname`` is the group path plus the control id
  (``cis_v700.cis_v700_2.cis_v700_2_4``, so Jenkins shows package ``cis_v700.cis_v700_2`` and class
  ``cis_v700_2_4``) and ``name`` the resource, followed by ``[dimension values]`` that the resource
  does not already contain (a regional finding, say), so names stay unique within a class;
- alarm → ``<failure type="alarm">``, error → ``<error type="error">``, skip → ``<skipped>``; ok
  and info pass. A control that could not run is one ``<error>`` case named ``(control run)``, and
  one that returned no rows one ``<skipped>`` case named ``(no results)``, so neither vanishes;
- every case carries its status, reason and dimensions (the account's name after its id): in the
  ``<failure>`` or ``<error>`` body, else in ``<system-out>`` (so passes show their reason too); a
  case's ``time`` is its control's duration shared evenly between the control's cases, so suite
  times add up.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow, RunResult
from rootwatch.status import Status

RUN_ERROR_NAME = "(control run)"
"""The test case name of a control that could not run (it has no resource)."""
NO_RESULTS_NAME = "(no results)"
"""The test case name of a control that ran and returned no rows: skipped, so it stays visible."""
NO_RESULTS_REASON = "the control returned no rows: nothing was evaluated"

# Characters XML 1.0 cannot carry at all, even escaped; a reason read from a database may hold them.
_ILLEGAL_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` with characters XML 1.0 forbids replaced by U+FFFD."""
    return _ILLEGAL_XML.sub("\ufffd", value)


@dataclass
class _Case:
    classname: str
    name: str
    status: Status
    reason: str
    details: str
    seconds: float = 0.0


@dataclass
class _Suite:
    name: str
    titles: str
    cases: list[_Case] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for case in self.cases if case.status is status)

    @property
    def seconds(self) -> float:
        return sum(case.seconds for case in self.cases)


def case_name(row: ResultRow) -> str:
    """The resource, plus the dimension values it does not already contain."""
    extra = [value for _, value in row.dimensions if value and value not in row.resource]
    return f"{row.resource} [{', '.join(extra)}]" if extra else row.resource


def details(status: Status, reason: str, dimensions: tuple[tuple[str, str | None], ...], names: Mapping[str, str]) -> str:
    """A case's status, reason and dimensions, one per line, the account's name after its id."""
    lines = [f"status: {status.value}", f"reason: {reason}"]
    for key, value in dimensions:
        lines.append(f"{key}: {'' if value is None else value}")
        if key == "account_id" and value and names.get(value):
            lines.append(f"account_name: {names[value]}")
    return "\n".join(lines)


def _cases(path: tuple[GroupRun, ...], run: ControlRun, names: Mapping[str, str]) -> Iterator[_Case]:
    classname = ".".join([*(g.id for g in path if g.id != ROOT_GROUP_ID), run.node.id])
    if run.error:
        yield _Case(classname, RUN_ERROR_NAME, Status.ERROR, run.error, details(Status.ERROR, run.error, (), names))
    for row in run.rows:
        yield _Case(classname, case_name(row), row.status, row.reason, details(row.status, row.reason, row.dimensions, names))
    if not run.error and not run.rows:
        yield _Case(classname, NO_RESULTS_NAME, Status.SKIP, NO_RESULTS_REASON, details(Status.SKIP, NO_RESULTS_REASON, (), names))


def suites(result: RunResult) -> list[_Suite]:
    """The test suites of ``result``, in tree order."""
    by_path: dict[tuple[str, ...], _Suite] = {}
    for path, run in result.control_runs():
        groups = tuple(g for g in path if g.id != ROOT_GROUP_ID)
        key = tuple(g.id for g in groups) or ("rootwatch",)
        suite = by_path.setdefault(key, _Suite(".".join(key), " > ".join(g.title for g in groups) or "rootwatch"))
        cases = list(_cases(path, run, result.context.account_names))
        for case in cases:
            case.seconds = run.duration_s / len(cases)
        suite.cases.extend(cases)
    return list(by_path.values())


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC without an offset, the form the JUnit schema's timestamp takes."""
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _testcase(parent: ET.Element, case: _Case) -> None:
    element = ET.SubElement(
        parent, "testcase", {"classname": xml_text(case.classname), "name": xml_text(case.name), "time": _seconds(case.seconds)}
    )
    message, details = xml_text(case.reason), xml_text(case.details)
    if case.status is Status.ALARM:
        ET.SubElement(element, "failure", {"message": message, "type": "alarm"}).text = details
    elif case.status is Status.ERROR:
        ET.SubElement(element, "error", {"message": message, "type": "error"}).text = details
    else:  # a failure or error already carries the details; repeating them only adds noise
        if case.status is Status.SKIP:
            ET.SubElement(element, "skipped", {"message": message})
        ET.SubElement(element, "system-out").text = details


def render(result: RunResult) -> str:
    ctx = result.context
    all_suites = suites(result)
    cases = [case for suite in all_suites for case in suite.cases]
    root = ET.Element(
        "testsuites",
        {
            "name": "rootwatch",
            "tests": str(len(cases)),
            "failures": str(sum(1 for c in cases if c.status is Status.ALARM)),
            "errors": str(sum(1 for c in cases if c.status is Status.ERROR)),
            "time": _seconds(sum(suite.seconds for suite in all_suites)),
        },
    )
    for number, suite in enumerate(all_suites):
        element = ET.SubElement(
            root,
            "testsuite",
            {
                "name": xml_text(suite.name),
                "id": str(number),
                "tests": str(len(suite.cases)),
                "failures": str(suite.count(Status.ALARM)),
                "errors": str(suite.count(Status.ERROR)),
                "skipped": str(suite.count(Status.SKIP)),
                "time": _seconds(suite.seconds),
                "timestamp": _timestamp(ctx.started_at),
            },
        )
        properties = ET.SubElement(element, "properties")
        for name, value in (
            ("benchmark", suite.titles),
            ("as_of", ctx.as_of.isoformat()),
            ("source", ctx.engine_description),
            ("rootwatch_version", ctx.tool_version),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
        for case in suite.cases:
            _testcase(element, case)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
