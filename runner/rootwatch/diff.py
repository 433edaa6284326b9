"""Comparing two runs: what started failing, what was fixed, what is still failing.

A result is keyed by (control id, resource, dimensions), so the same check of the same resource is
matched across runs whatever its reason says. Two runs are read from rootwatch JSON exports
(:meth:`ResultSet.from_json_file`) or from run results (:meth:`ResultSet.from_run`, used to grade two
snapshots the same way). Categories, for each key:

new alarms
    ``alarm`` now, and not ``alarm`` before (new resource, or it was ok, info, skip or error);
new errors
    ``error`` now, and not ``error`` before;
still failing
    ``alarm`` in both, or ``error`` in both;
resolved
    ``alarm`` or ``error`` before, and now ``ok`` or ``info``;
no longer assessed
    ``alarm`` or ``error`` before, and now ``skip`` or no longer reported: the evidence is gone,
    which says nothing about the finding. Counting it as resolved would let losing evidence turn a
    CI gate green.

:func:`should_fail` turns a diff into a CI verdict under a ``--fail-on`` policy; every policy but
``never`` also fails on a result no longer assessed, unless ``allow_unassessed``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rootwatch.errors import InputError, Problem, UsageError
from rootwatch.results import RunResult
from rootwatch.snapshot import strict_json
from rootwatch.status import Status

_QUALIFIED_CONTROL = re.compile(r"^[A-Za-z0-9_-]+\.control\.")
"""The ``<mod>.control.`` prefix of a qualified id, rootwatch's or another Powerpipe mod's."""
FAILING = (Status.ALARM, Status.ERROR)
RESOLVED = (Status.OK, Status.INFO)
"""What a failing result must become to count as resolved (skip or absent: no longer assessed)."""

FAIL_ON_POLICIES: dict[str, str] = {
    "new": "a new alarm or a new error (default)",
    "new-alarms": "a new alarm",
    "new-errors": "a new error",
    "failing": "anything in alarm or error in NEW, new or not",
    "never": "nothing: always exit 0 (report only)",
}


@dataclass(frozen=True, order=True)
class ResultKey:
    """What identifies one result across runs."""

    control_id: str
    resource: str
    dimensions: tuple[tuple[str, str | None], ...] = ()

    def label(self) -> str:
        """``control  resource  [dimension values]`` for a reader."""
        dims = " ".join(v for _, v in self.dimensions if v)
        resource = self.resource or "(control run)"
        return f"{self.control_id}  {resource}" + (f"  [{dims}]" if dims else "")

    def as_dict(self) -> dict[str, Any]:
        return {"control_id": self.control_id, "resource": self.resource, "dimensions": dict(self.dimensions)}


@dataclass(frozen=True)
class Outcome:
    """A result's status and reason in one run."""

    status: Status
    reason: str
    title: str = ""


@dataclass(frozen=True)
class ResultSet:
    """Every result of one run, by key, and where it came from."""

    source: str
    outcomes: Mapping[ResultKey, Outcome]
    as_of: str | None = None

    @classmethod
    def from_run(cls, result: RunResult, source: str) -> ResultSet:
        """The results of a run (a control that could not run is one ``error`` result)."""
        outcomes: dict[ResultKey, Outcome] = {}
        for record in result.records():
            key = ResultKey(record.control_id, record.resource, _dimensions(record.dimensions.items()))
            outcomes.setdefault(key, Outcome(record.status, record.reason, record.control_title))
        return cls(source, outcomes, result.context.as_of.isoformat())

    @classmethod
    def from_json_file(cls, path: Path) -> ResultSet:
        """The results in a rootwatch JSON export (``--export results.json``) or in Powerpipe's JSON
        export (``powerpipe benchmark run ... --export json``), whose shape rootwatch's follows: a
        team moving over keeps its baseline. Powerpipe's qualified control ids
        (``aws_compliance.control.cis_v400_1_4``) are read as the short ids rootwatch uses."""
        document = _read_json(path)
        if not (isinstance(document, dict) and document.get("group_id") == "root_result_group"):
            raise InputError(
                Problem(path, None, "not a rootwatch or Powerpipe JSON export (expected the object written by --export FILE.json)"),
                hint="write one with: rootwatch benchmark run ... --export results.json",
            )
        outcomes: dict[ResultKey, Outcome] = {}
        for where, control in _controls(document, path, "$"):
            _read_control(control, where, path, outcomes)
        ours = document.get("rootwatch")
        as_of = ours.get("as_of") if isinstance(ours, dict) else None  # Powerpipe records no as-of
        return cls(str(path), outcomes, as_of if isinstance(as_of, str) else None)


def _dimensions(items: Any) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted((str(k), None if v is None else str(v)) for k, v in items))


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Problem(path, None, "no such file")) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(Problem(path, None, f"cannot read: {reason}")) from None
    try:
        return strict_json.loads(text)
    except strict_json.StrictJsonError as exc:
        column = f" (column {exc.column})" if exc.column is not None else ""
        raise InputError(Problem(path, exc.line, f"not valid JSON: {exc.message}{column}")) from None


def _malformed(path: Path, where: str, what: str) -> InputError:
    return InputError(Problem(path, None, f"malformed rootwatch JSON export at {where}: {what}"))


def _list(value: Any, path: Path, where: str) -> list[Any]:
    """A JSON array, with null read as empty (Powerpipe writes null for no results)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _malformed(path, where, "expected an array")
    return value


def _controls(group: Any, path: Path, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(group, dict):
        raise _malformed(path, where, "expected a group object")
    for index, control in enumerate(_list(group.get("controls"), path, f"{where}.controls")):
        if not isinstance(control, dict):
            raise _malformed(path, f"{where}.controls[{index}]", "expected a control object")
        yield f"{where}.controls[{index}]", control
    for index, child in enumerate(_list(group.get("groups"), path, f"{where}.groups")):
        yield from _controls(child, path, f"{where}.groups[{index}]")


def _read_control(control: dict[str, Any], where: str, path: Path, outcomes: dict[ResultKey, Outcome]) -> None:
    control_id = control.get("control_id")
    if not isinstance(control_id, str) or not control_id:
        raise _malformed(path, f"{where}.control_id", "expected the control's id")
    control_id = _QUALIFIED_CONTROL.sub("", control_id)  # rootwatch.control.x, aws_compliance.control.x
    title = control["title"] if isinstance(control.get("title"), str) else ""
    run_error = control.get("run_error")
    if isinstance(run_error, str) and run_error:
        outcomes.setdefault(ResultKey(control_id, ""), Outcome(Status.ERROR, run_error, title))
    for index, row in enumerate(_list(control.get("results"), path, f"{where}.results")):
        at = f"{where}.results[{index}]"
        if not isinstance(row, dict):
            raise _malformed(path, at, "expected a result object")
        status = Status.parse(row.get("status"))
        if status is None:
            raise _malformed(path, f"{at}.status", f"{row.get('status')!r} is not one of ok, alarm, info, skip, error")
        resource, reason = row.get("resource"), row.get("reason")
        if not isinstance(resource, str) or not isinstance(reason, str):
            raise _malformed(path, at, "resource and reason must be strings")
        pairs = []
        for number, pair in enumerate(_list(row.get("dimensions"), path, f"{at}.dimensions")):
            if not isinstance(pair, dict) or not isinstance(pair.get("key"), str):
                raise _malformed(path, f"{at}.dimensions[{number}]", "expected {\"key\": ..., \"value\": ...}")
            pairs.append((pair["key"], pair.get("value")))
        outcomes.setdefault(ResultKey(control_id, resource, _dimensions(pairs)), Outcome(status, reason, title))


@dataclass(frozen=True)
class Change:
    """One key whose outcome matters to the comparison: before (None: absent) and now."""

    key: ResultKey
    old: Outcome | None
    new: Outcome | None

    def as_dict(self) -> dict[str, Any]:
        def side(outcome: Outcome | None) -> dict[str, str] | None:
            return None if outcome is None else {"status": outcome.status.value, "reason": outcome.reason}

        return {**self.key.as_dict(), "title": self.latest.title, "old": side(self.old), "new": side(self.new)}

    @property
    def latest(self) -> Outcome:
        """The newest outcome known (the old one when the result is gone)."""
        outcome = self.new or self.old
        assert outcome is not None, "a change has an outcome on at least one side"
        return outcome


@dataclass(frozen=True)
class RunDiff:
    """Two runs compared."""

    old: ResultSet
    new: ResultSet
    new_alarms: tuple[Change, ...] = ()
    new_errors: tuple[Change, ...] = ()
    still_failing: tuple[Change, ...] = ()
    resolved: tuple[Change, ...] = ()
    no_longer_assessed: tuple[Change, ...] = ()
    """Failing before; skipped or no longer reported now."""
    unchanged: int = 0
    """Keys in neither category (passing in both, or not failing now and not before)."""
    categories: ClassVar[tuple[str, ...]] = ("new_alarms", "new_errors", "still_failing", "resolved", "no_longer_assessed")

    def as_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (``rootwatch diff --output json``)."""
        return {
            "old": {"source": self.old.source, "as_of": self.old.as_of, "results": len(self.old.outcomes)},
            "new": {"source": self.new.source, "as_of": self.new.as_of, "results": len(self.new.outcomes)},
            "summary": {name: len(getattr(self, name)) for name in self.categories} | {"unchanged": self.unchanged},
            **{name: [change.as_dict() for change in getattr(self, name)] for name in self.categories},
        }


def diff_results(old: ResultSet, new: ResultSet) -> RunDiff:
    """Compare ``old`` and ``new``; every list is sorted by key."""
    buckets: dict[str, list[Change]] = {name: [] for name in RunDiff.categories}
    unchanged = 0
    for key in sorted(set(old.outcomes) | set(new.outcomes)):
        before, now = old.outcomes.get(key), new.outcomes.get(key)
        was = before.status if before else None
        status = now.status if now else None
        change = Change(key, before, now)
        if status in FAILING and was == status:
            buckets["still_failing"].append(change)
        elif status is Status.ALARM:
            buckets["new_alarms"].append(change)
        elif status is Status.ERROR:
            buckets["new_errors"].append(change)
        elif was in FAILING and status in RESOLVED:
            buckets["resolved"].append(change)
        elif was in FAILING:
            buckets["no_longer_assessed"].append(change)
        else:
            unchanged += 1
    return RunDiff(
        old,
        new,
        new_alarms=tuple(buckets["new_alarms"]),
        new_errors=tuple(buckets["new_errors"]),
        still_failing=tuple(buckets["still_failing"]),
        resolved=tuple(buckets["resolved"]),
        no_longer_assessed=tuple(buckets["no_longer_assessed"]),
        unchanged=unchanged,
    )


def should_fail(diff: RunDiff, policy: str, *, allow_unassessed: bool = False) -> bool:
    """Whether ``diff`` fails the ``--fail-on`` policy (see :data:`FAIL_ON_POLICIES`). A finding no
    longer assessed fails every policy but ``never`` unless ``allow_unassessed``."""
    if policy not in FAIL_ON_POLICIES:
        raise UsageError(f"--fail-on {policy!r} is not a policy", hint=f"one of {', '.join(FAIL_ON_POLICIES)}")
    if policy != "never" and diff.no_longer_assessed and not allow_unassessed:
        return True
    return {
        "new": bool(diff.new_alarms or diff.new_errors),
        "new-alarms": bool(diff.new_alarms),
        "new-errors": bool(diff.new_errors),
        "failing": bool(diff.new_alarms or diff.new_errors or diff.still_failing),
        "never": False,
    }[policy]


_HEADINGS = {
    "new_alarms": "New alarms",
    "new_errors": "New errors",
    "still_failing": "Still failing",
    "resolved": "Resolved",
    "no_longer_assessed": "No longer assessed",
}


def render_text(diff: RunDiff) -> str:
    """The comparison for a reader: one section per non-empty category, then the counts."""
    lines = [
        f"Old  {diff.old.source}" + (f"  (as of {diff.old.as_of})" if diff.old.as_of else ""),
        f"New  {diff.new.source}" + (f"  (as of {diff.new.as_of})" if diff.new.as_of else ""),
        "",
    ]
    for name, heading in _HEADINGS.items():
        changes: tuple[Change, ...] = getattr(diff, name)
        if not changes:
            continue
        lines.append(f"{heading} ({len(changes)})")
        for change in changes:
            was = change.old.status.value if change.old else "absent"
            now = change.new.status.value if change.new else "absent"
            lines.append(f"  {was} -> {now}  {change.key.label()}")
            lines.append(f"      {' '.join(change.latest.reason.split())}")
        lines.append("")
    counts = "  ".join(f"{_HEADINGS[name].lower()} {len(getattr(diff, name))}" for name in _HEADINGS)
    lines.append(f"Summary  {counts}  unchanged {diff.unchanged}")
    return "\n".join(lines) + "\n"


def render_json(diff: RunDiff) -> str:
    return json.dumps(diff.as_dict(), indent=2, ensure_ascii=False) + "\n"
