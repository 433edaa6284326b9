"""Making a plan: findings in, the fresh state read, each finding's action asked, calls merged.

:func:`assemble` is the pure part (findings + fresh state + live reads → :class:`Plan`), so tests
can drive it with stubbed clients; :func:`make_plan` adds reaching the accounts and re-reading them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootwatch.remediate.actions import ACTIONS, PlanContext, Settings, action_for
from rootwatch.remediate.live import LiveReads
from rootwatch.remediate.model import AccountPlan, Call, Finding, Plan, Remark
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.mod.model import Mod
    from rootwatch.remediate.access import AwsAccess, ClientSource
    from rootwatch.remediate.state import FreshState


@dataclass(frozen=True)
class PlanRequest:
    """What to remediate: the input's findings of the chosen controls, and how."""

    controls: tuple[str, ...]
    findings: tuple[Finding, ...]
    source: str
    settings: Settings = Settings()
    regions: tuple[str, ...] = ()
    """Regions to re-read; empty: the findings' regions and ``--trail-region``."""
    management: Mapping[str, str] | None = None
    """Account → its organization's management account, as the input says."""


def make_plan(mod: Mod, variables: Mapping[str, Any], request: PlanRequest, access: AwsAccess, workdir: Path) -> tuple[Plan, FreshState]:
    """Reach the accounts, re-read them from AWS, and plan; the caller closes the fresh state."""
    from rootwatch.remediate.state import refresh

    management = request.management or {}
    accounts = {finding.account_id for finding in request.findings}
    masters = {management[a] for a in accounts if a in management}
    unreachable = access.reach(accounts | masters, management)
    reachable = sorted((accounts | masters) - set(unreachable))
    regions = request.regions or refresh_regions(request.findings, request.settings)
    state = refresh(mod, request.controls, variables, access.options, (reachable, access.profiles_of(reachable)), regions, workdir / "plan.duckdb")
    plan = assemble(request, state, access, unreachable)
    return plan, state


def refresh_regions(findings: Sequence[Finding], settings: Settings) -> set[str]:
    """Where the findings are, plus where a new trail would go (the global-service region of the
    ``aws`` partition in the default); IAM and Organizations are read in any case."""
    return {f.region for f in findings if f.region and f.region != "global"} | {settings.trail_region}


def assemble(request: PlanRequest, state: FreshState, clients: ClientSource, unreachable: Mapping[str, str]) -> Plan:
    """The plan: each finding asked of its action against ``state``, identical calls merged."""
    live = LiveReads(clients)
    admin: list[str | None] = []

    def admin_account() -> str | None:  # asked at most once, and only by the actions that need it
        if not admin:
            admin.append(clients.admin_account())
        return admin[0]

    order = {action.control: index for index, action in enumerate(ACTIONS)}
    calls: dict[str, Call] = {}
    remarks: list[Remark] = []
    for finding in sorted(request.findings, key=lambda f: (f.account_id, order.get(f.control, len(order)))):
        for call in _calls_or_remarks(finding, request, state, live, clients, unreachable, admin_account, remarks):
            if call.key in calls:
                calls[call.key] = _merge(calls[call.key], call)
            else:
                calls[call.key] = call
    return Plan(
        accounts=_by_account(request.findings, list(calls.values()), remarks),
        controls=request.controls,
        source=request.source,
        refreshed_at=state.refreshed_at,
    )


def _calls_or_remarks(
    finding: Finding,
    request: PlanRequest,
    state: FreshState,
    live: LiveReads,
    clients: ClientSource,
    unreachable: Mapping[str, str],
    admin_account: Any,
    remarks: list[Remark],
) -> tuple[Call, ...]:
    account_id = finding.account_id

    def remark(kind: str, message: str, hint: str | None = None) -> tuple[Call, ...]:
        remarks.append(Remark(kind, finding.control, account_id, message, hint))  # type: ignore[arg-type]
        return ()

    if account_id in unreachable:
        return remark("stopped", f"cannot reach account {account_id}: {unreachable[account_id]}", "see the credential options of 'rootwatch remediate --help'")
    if account_id not in state.captured:
        problem = state.problems.get(account_id, "no data came back")
        return remark("stopped", f"cannot re-read account {account_id} from AWS to plan against its current state: {problem}")
    fresh = state.grades.row(finding.control, account_id)
    if fresh is not None and fresh.status is Status.OK:
        return remark("passing", f"passes on a fresh read: {fresh.reason}")
    if fresh is not None and fresh.status is not Status.ALARM:
        remark("note", f"a fresh read grades it {fresh.status.value}: {fresh.reason}")
    ctx = PlanContext(
        finding=finding,
        fresh=fresh,
        facts=state.account(account_id),
        state=state,
        live=live,
        settings=request.settings,
        admin_account=admin_account,
        admin_region=clients.admin_region(),
    )
    proposal = action_for(finding.control).plan(ctx)
    remarks.extend(proposal.remarks)
    return proposal.calls


def _merge(kept: Call, again: Call) -> Call:
    fixes = tuple(dict.fromkeys(kept.fixes + again.fixes))
    why = kept.why if again.why in kept.why else f"{kept.why}; {again.why}"
    return replace(kept, fixes=fixes, why=why)


def _by_account(findings: Collection[Finding], calls: list[Call], remarks: list[Remark]) -> tuple[AccountPlan, ...]:
    accounts = sorted({f.account_id for f in findings} | {c.account_id for c in calls})
    return tuple(
        AccountPlan(
            account_id=account_id,
            findings=tuple(f for f in findings if f.account_id == account_id),
            calls=tuple(c for c in calls if c.account_id == account_id),
            remarks=tuple(r for r in remarks if r.account_id == account_id),
        )
        for account_id in accounts
    )
