"""Evidence a snapshot did not capture: grade ``skip``, never trust an empty table.

A snapshot built from a credential report alone holds no trails, alarms or MFA devices for its
account. Read as-is, the CloudTrail controls would alarm on "no trail" and the hardware MFA control
would pass on "no virtual device": verdicts about data nobody looked at. The builders record each
table they did not read as a ``not_captured`` issue per account; for a control that needs such a
table (one it reads, directly or through the shared relations it reads, that is not in its
``optional_evidence``), that account's rows become ``skip`` with a reason naming what is missing.
The exception is an ``alarm`` graded without a table whose rows could only have added alarms
(``alarms_stand_without``): a credential report that says MFA is off proves "no hardware MFA"
whether or not the virtual MFA devices were listed. Its mirror is an ``ok`` graded without a table
whose rows could only have added passes (``oks_stand_without``): a region whose trail list was not
captured can hide another trail, never undo the good multi-region trail another region shows.
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


def mask_uncaptured(control: Control, rows: tuple[ResultRow, ...], uncaptured: Mapping[str, frozenset[str]]) -> tuple[ResultRow, ...]:
    """``rows`` with each account that lacks a required table graded ``skip`` instead."""
    if not uncaptured:
        return rows
    needed = required_tables(control)
    masked: list[ResultRow] = []
    for row in rows:
        account = row.dimension("account_id")
        missing = sorted(needed & uncaptured.get(account or "", frozenset()))
        if row.status is Status.ALARM:
            missing = [table for table in missing if table not in control.alarms_stand_without]
        elif row.status is Status.OK:
            missing = [table for table in missing if table not in control.oks_stand_without]
        if not missing:
            masked.append(row)
            continue
        reason = (
            f"Not assessed: the snapshot did not capture {', '.join(missing)} for account {account}, "
            f"so {control.id} cannot grade it; rebuild the snapshot with that evidence "
            "(rootwatch snapshot from-aws, or from-files with the account's AWS CLI outputs)."
        )
        masked.append(ResultRow(row.resource, Status.SKIP, reason, row.dimensions))
    return tuple(dict.fromkeys(masked))
