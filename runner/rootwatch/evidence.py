"""Evidence a snapshot did not capture: grade ``skip``, never trust an empty table.

A snapshot built from a credential report alone holds no trails, alarms or MFA devices for its
account. Read as-is, the CloudTrail controls would alarm on "no trail" and the hardware MFA control
would pass on "no virtual device": verdicts about data nobody looked at. The builders record each
table they did not read as a ``not_captured`` issue per account; for a control that needs such a
table (one it reads, directly or through the shared relations it reads, that is not in its
``optional_evidence``), that account's rows become ``skip`` with a reason naming what is missing.
The exception is an ``alarm`` graded without a table whose rows could only have added alarms
(``alarms_stand_without``): a credential report that says MFA is off proves "no hardware MFA"
whether or not the virtual MFA devices were listed. Its mirror is ``passes_stand_without``, for a
table whose rows could only have added passes: an ``ok`` stands without it, and where it was missed
only in some regions (EventBridge rules are read region by region), a verdict whose ``region``
dimension names a captured region stands too.
"""

from __future__ import annotations

from collections.abc import Mapping

from rootwatch.mod.model import Control
from rootwatch.results import ResultRow
from rootwatch.status import Status


def required_tables(control: Control) -> frozenset[str]:
    """Tables without which ``control`` cannot grade an account, including those it reads through
    shared relations."""
    from rootwatch.sql.parsing import tables_read

    return tables_read(control.source) - control.optional_evidence - {"aws_account"}


def mask_uncaptured(
    control: Control,
    rows: tuple[ResultRow, ...],
    uncaptured: Mapping[str, frozenset[str]],
    uncaptured_regions: Mapping[str, Mapping[str, frozenset[str]]] | None = None,
) -> tuple[ResultRow, ...]:
    """``rows`` with each account that lacks a required table graded ``skip`` instead.

    ``uncaptured_regions`` (per account and table, see ``SnapshotInfo.uncaptured_regions``) tells a
    table missed only in some regions apart from one missed for the whole account; it matters only
    for the control's ``passes_stand_without`` tables.
    """
    if not uncaptured:
        return rows
    needed = required_tables(control)
    masked: list[ResultRow] = []
    for row in rows:
        account = row.dimension("account_id") or ""
        missing = sorted(needed & uncaptured.get(account, frozenset()))
        if row.status is Status.ALARM:
            missing = [table for table in missing if table not in control.alarms_stand_without]
        if row.status is Status.OK:
            missing = [table for table in missing if table not in control.passes_stand_without]
        regions = (uncaptured_regions or {}).get(account, {})
        missing = [table for table in missing if not _captured_where_row_looks(control, table, row, regions)]
        if not missing:
            masked.append(row)
            continue
        what = ", ".join(_named(table, regions) for table in missing)
        reason = (
            f"Not assessed: the snapshot did not capture {what} for account {account}, "
            f"so {control.id} cannot grade it; rebuild the snapshot with that evidence "
            "(rootwatch snapshot from-aws, or from-files with the account's AWS CLI outputs)."
        )
        masked.append(ResultRow(row.resource, Status.SKIP, reason, row.dimensions))
    return tuple(dict.fromkeys(masked))


def _captured_where_row_looks(
    control: Control, table: str, row: ResultRow, regions: Mapping[str, frozenset[str]]
) -> bool:
    """Whether ``row`` rests only on a region where ``table`` was captured: the table is one of the
    control's ``passes_stand_without``, it was missed only in some regions, and the row's region
    dimension names another one."""
    region = row.dimension("region")
    return table in control.passes_stand_without and table in regions and bool(region) and region not in regions[table]


def _named(table: str, regions: Mapping[str, frozenset[str]]) -> str:
    """The table, with the regions it was missed in when it was missed only there."""
    if table not in regions:
        return table
    return f"{table} in {', '.join(sorted(regions[table]))}"
