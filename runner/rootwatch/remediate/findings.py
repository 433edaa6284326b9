"""Reading what fails: the remediable controls graded on a snapshot or a live endpoint.

The same grading reads the user's input (which findings to answer) and each re-read of the
accounts from AWS (what still fails now, and after applying), so "fixed" means exactly what the
control means.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rootwatch.errors import ConfigError
from rootwatch.remediate.model import Finding, FindingKey
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.engines.base import Engine
    from rootwatch.mod.model import Mod
    from rootwatch.results import ResultRow


@dataclass(frozen=True)
class Grades:
    """The graded rows of some controls, one per (control, account)."""

    rows: Mapping[FindingKey, ResultRow]
    run_errors: Mapping[str, str]
    """Control id → why it could not run (its rows are then missing)."""
    as_of: datetime | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    """Account id → display name (Organizations name or IAM alias), where the source has one."""

    def row(self, control: str, account_id: str) -> ResultRow | None:
        return self.rows.get((control, account_id))

    def status(self, control: str, account_id: str) -> Status | None:
        row = self.row(control, account_id)
        return row.status if row is not None else None

    def failing(self, accounts: Collection[str] = ()) -> list[Finding]:
        """The ``alarm`` rows (of ``accounts`` only, when given) as findings, by account then control."""
        found = [
            Finding(control, account_id, row.resource, row.reason, row.dimension("region"))
            for (control, account_id), row in self.rows.items()
            if row.status is Status.ALARM and (not accounts or account_id in accounts)
        ]
        return sorted(found, key=lambda f: (f.account_id, f.control))


def grade_controls(mod: Mod, engine: Engine, controls: Sequence[str], variables: Mapping[str, Any], as_of: datetime | None = None) -> Grades:
    """Run ``controls`` on ``engine``; a row without an ``account_id`` dimension is a broken contract."""
    from rootwatch import api
    from rootwatch.options import RunOptions

    result = api.run_controls(mod, engine, controls, RunOptions(variables=variables, as_of=as_of))
    rows: dict[FindingKey, ResultRow] = {}
    errors: dict[str, str] = {}
    for _path, run in result.control_runs():
        control = run.node.control.id if run.node.control else run.node.id
        if run.error:
            errors[control] = run.error
        for row in run.rows:
            account_id = row.dimension("account_id")
            if not account_id:
                raise ConfigError(f"control {control} returned a row without account_id ({row.resource}); remediation needs one row per account")
            rows[(control, account_id)] = row
    return Grades(rows, errors, result.context.as_of, dict(result.context.account_names))


def management_accounts(mod: Mod, engine: Engine, account_ids: Collection[str]) -> dict[str, str]:
    """Account id → the management account of its organization, for the given accounts, as the
    data source's ``aws_account`` rows say (accounts outside an organization are left out)."""
    from rootwatch import api
    from rootwatch.options import RunOptions

    if not account_ids:
        return {}
    found = api.run_query(mod, engine, "select account_id, organization_master_account_id from aws_account", RunOptions())
    return {
        str(account_id): str(master)
        for account_id, master in found.rows
        if account_id in account_ids and master
    }
