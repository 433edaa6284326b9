"""Choosing what runs (``--where``) and what is shown (``--status``).

``--where EXPR`` is a boolean expression over a control's metadata, written like a SQL ``WHERE``
clause::

    severity = 'critical'
    tags.cis_level = '1' and control_id like 'cis_v700_2%'
    severity >= 'high' or tags.service in ('AWS/IAM', 'AWS/CloudTrail')

It is parsed by sqlglot and evaluated here, in Python, by walking a small whitelist of node types
(``and``, ``or``, ``not``, comparisons, ``like``/``ilike``, ``in``, ``between``, ``is [not] null``,
literals and the fields below); anything else is rejected with the offending text. Nothing is ever
passed to ``eval`` or to a database. Fields:

``control_id`` (or ``id``)
    the benchmark item or control id, e.g. ``cis_v700_2_4`` or ``root_no_access_keys``; an id
    written qualified, as the JSON and CSV exports print it (``rootwatch.control.cis_v700_2_4``),
    is compared by its short id
``control``
    the id of the SQL control behind the item (NULL for items the mod does not assess)
``title``, ``description``, ``severity``
    as in the metadata; ordered comparisons on ``severity`` follow low < medium < high < critical,
    case-insensitively, and text compared with ``severity`` must be one of those four
``tags.<key>``
    a tag value (always text); a tag the control does not carry is NULL

NULL follows SQL: a comparison with NULL is unknown, and a control whose expression is unknown does
not run (use ``tags.x is null`` to select controls without a tag).

``--status alarm,error`` filters the rows shown on stdout and written to exports; it never changes
what the exit code means, which always reflects the whole run (see :func:`shown_result`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rootwatch.errors import UsageError
from rootwatch.exitcodes import ExitCode
from rootwatch.results import ControlRun, GroupRun, RunResult, StatusSummary
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.where import WhereAll, WhereExpression

_WHERE_NAMES = ("FIELDS", "WhereAll", "WhereExpression", "control_metadata", "parse_where")


def __getattr__(name: str) -> Any:
    """The ``--where`` names, from :mod:`rootwatch.where` (imported on first use: it needs sqlglot)."""
    if name in _WHERE_NAMES:
        from rootwatch import where

        return getattr(where, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def where_predicate(expressions: Sequence[str]) -> WhereExpression | WhereAll | None:
    """One predicate for every ``--where`` given (all must hold), or None when there are none."""
    if not expressions:
        return None
    from rootwatch.where import where_predicate as parsed

    return parsed(expressions)


# --------------------------------------------------------------------------------------------
# --status


def parse_statuses(values: Iterable[str]) -> frozenset[Status] | None:
    """The statuses named by ``--status`` values (comma-separated, repeatable); None for all."""
    values = list(values)
    chosen: set[Status] = set()
    for value in values:
        for name in (part.strip().lower() for part in value.split(",")):
            if not name:
                continue
            status = Status.parse(name)
            if status is None:
                from rootwatch.suggest import did_you_mean  # difflib: only for a misspelt status

                known = [s.value for s in Status]
                suggestion = did_you_mean(name, known)
                hint = f"did you mean {suggestion!r}?" if suggestion else f"statuses: {', '.join(known)}"
                raise UsageError(f"--status {value!r}: unknown status {name!r}", hint=hint)
            chosen.add(status)
    if not chosen and values:
        raise UsageError("--status names no status", hint="for example --status alarm,error")
    return frozenset(chosen) if chosen else None


@dataclass(frozen=True)
class ShownRunResult(RunResult):
    """A run narrowed to some statuses for display, remembering the whole run.

    The tree (and so every summary a format prints) holds only the shown rows; :meth:`exit_code`
    and :attr:`whole_summary` still describe the whole run, so ``--status`` never changes the exit
    code or the ``exit_code`` written into the JSON export.
    """

    whole_summary: StatusSummary = StatusSummary()
    whole_exit_code: ExitCode = ExitCode.OK
    statuses: frozenset[Status] = frozenset()

    def exit_code(self) -> ExitCode:
        return self.whole_exit_code


def shown_result(result: RunResult, statuses: frozenset[Status] | None) -> RunResult:
    """``result`` with only rows in ``statuses`` (all rows when None).

    A control run error is shown when ``error`` is chosen; controls and groups left empty are
    dropped, so a report of alarms lists only the controls that have some.
    """
    if statuses is None:
        return result

    def narrow_run(run: ControlRun) -> ControlRun | None:
        rows = tuple(row for row in run.rows if row.status in statuses)
        error = run.error if Status.ERROR in statuses else None
        if not rows and error is None:
            return None
        return replace(run, rows=rows, error=error)

    def narrow_group(group: GroupRun) -> GroupRun | None:
        children: list[GroupRun | ControlRun] = []
        for child in group.children:
            kept = narrow_group(child) if isinstance(child, GroupRun) else narrow_run(child)
            if kept is not None:
                children.append(kept)
        if not children:
            return None
        return GroupRun(group.id, group.title, group.description, group.tags, tuple(children), group.benchmark)

    root = narrow_group(result.root) or GroupRun(
        result.root.id, result.root.title, result.root.description, result.root.tags, (), result.root.benchmark
    )
    return ShownRunResult(
        root=root,
        context=result.context,
        whole_summary=result.summary,
        whole_exit_code=result.exit_code(),
        statuses=statuses,
    )


def status_note(result: RunResult) -> str | None:
    """A line for stderr saying what ``--status`` hid, or None when nothing was narrowed."""
    if not isinstance(result, ShownRunResult):
        return None
    from rootwatch.status import STATUS_ORDER

    shown = ", ".join(s.value for s in STATUS_ORDER if s in result.statuses)
    whole = result.whole_summary.as_dict()
    totals = "  ".join(f"{s.value} {whole[s.value]}" for s in STATUS_ORDER)
    return (
        f"rootwatch: showing {shown} results only (--status); whole run: {totals}; "
        f"the exit code ({int(result.whole_exit_code)}) reflects the whole run"
    )
