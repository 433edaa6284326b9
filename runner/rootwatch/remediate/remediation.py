"""One remediation from start to end, as the command line drives it: read the failing rows, plan
against the accounts' current state, apply, re-read and judge.

    with Remediation(mod, request) as remediation:
        plan = remediation.plan()
        applied = remediation.apply(plan, journal)
        reports = remediation.verify(plan, applied)

The steps are separate so that the caller can show the plan and ask before applying.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rootwatch.errors import UsageError
from rootwatch.remediate.access import AccessOptions, AwsAccess
from rootwatch.remediate.actions import Settings, action_for, remediable_controls
from rootwatch.remediate.executor import Applied, apply_plan
from rootwatch.remediate.findings import grade_controls, management_accounts
from rootwatch.remediate.journal import Journal
from rootwatch.remediate.model import Finding, FindingReport, Plan
from rootwatch.remediate.planner import PlanRequest, make_plan, refresh_regions
from rootwatch.remediate.verify import judge, recapture

if TYPE_CHECKING:
    from rootwatch.engines.base import DataSource
    from rootwatch.mod.model import Mod
    from rootwatch.remediate.state import FreshState


@dataclass(frozen=True)
class RemediationRequest:
    """What the user asked for."""

    source: DataSource
    controls: tuple[str, ...] = ()
    """Controls to remediate; empty: every control that has an action."""
    accounts: tuple[str, ...] = ()
    """Only these accounts' findings; empty: every account's."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    access: AccessOptions = AccessOptions()
    settings: Settings = Settings()
    regions: tuple[str, ...] = ()
    as_of: datetime | None = None
    """The instant the input is graded at (its failing rows); the re-reads are graded as captured."""


def chosen_controls(mod: Mod, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` in planning order (every remediable control when empty); an unknown name or one
    without a remediation is a usage error."""
    for name in names:
        mod.control(name)  # an unknown id fails with "did you mean"
        action_for(name)
    wanted = set(names) or set(remediable_controls())
    return tuple(control for control in remediable_controls() if control in wanted)


def check_request(request: RemediationRequest) -> None:
    for account_id in request.accounts:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise UsageError(f"--account {account_id!r} is not a 12-digit AWS account id")
    email = request.settings.notify_email
    if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
        raise UsageError(f"--notify-email {email!r} is not an e-mail address")
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise UsageError("rootwatch remediate needs boto3", hint="pip install 'rootwatch[aws]'") from None


class Remediation:
    """Holds the credentials and the re-reads of one remediation (a temporary directory)."""

    def __init__(self, mod: Mod, request: RemediationRequest) -> None:
        check_request(request)
        self.mod = mod
        self.request = request
        self.controls = chosen_controls(mod, request.controls)
        self.access = AwsAccess(request.access)
        self._workdir = Path(tempfile.mkdtemp(prefix="rootwatch-remediate-"))
        self._states: list[FreshState] = []
        self.findings: tuple[Finding, ...] = ()
        self.management: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.input_errors: dict[str, str] = {}
        """Control → why it could not run on the user's source (its failing rows are unknown)."""
        self.source = ""

    def __enter__(self) -> Remediation:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for state in self._states:
            state.close()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def read_findings(self) -> tuple[Finding, ...]:
        """The ``alarm`` rows of the chosen controls (and accounts) in the user's source."""
        from rootwatch import api

        with api.open_engine(self.request.source) as engine:
            grades = grade_controls(self.mod, engine, self.controls, self.request.variables, self.request.as_of)
            self.findings = tuple(grades.failing(self.request.accounts))
            self.management = management_accounts(self.mod, engine, {f.account_id for f in self.findings})
            self.source = engine.description
            self.names = dict(grades.names)
            self.input_errors = dict(grades.run_errors)
        return self.findings

    def plan(self) -> Plan:
        """Re-read the accounts with findings from AWS and plan against what is there now."""
        if not self.source:
            self.read_findings()
        request = PlanRequest(self.controls, self.findings, self.source, self.request.settings, self.request.regions, self.management)
        plan, state = make_plan(self.mod, self.request.variables, request, self.access, self._workdir)
        self._states.append(state)
        return plan

    def apply(self, plan: Plan, journal: Journal, progress: Callable[[str], None] | None = None) -> Applied:
        return apply_plan(plan, self.access, journal, progress=progress)

    def verify(self, plan: Plan, applied: Applied, save_to: Path | None = None) -> list[FindingReport]:
        """Re-read the touched accounts (``snapshot from-aws``'s capture), grade, judge each finding.
        ``save_to`` keeps the re-read as a snapshot file."""
        if applied.interrupted:
            return judge(plan, applied, None)
        output = self._workdir / "after.duckdb"
        regions = self.request.regions or refresh_regions(plan.findings, self.request.settings)
        state = recapture(self.mod, self.request.variables, plan, applied, self.access, regions, self.management, output)
        if state is not None:
            self._states.append(state)
            if save_to is not None and state.path is not None:
                from rootwatch.atomic import write_atomic

                write_atomic(save_to, state.path.read_bytes())
        return judge(plan, applied, state)
