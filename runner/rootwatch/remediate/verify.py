"""After applying: re-read the touched accounts, grade the controls again, and give each finding a
verdict (fixed, still failing, failed to apply, awaiting confirmation, unverified), with exit codes.

Exit codes of ``rootwatch remediate`` (the highest applicable wins):

* plan only: 0 nothing fails on a fresh read; 1 calls are planned (or a subscription awaits
  confirmation); 2 a finding cannot be planned (the plan says why and what to do), or a control
  could not run on the user's source (the command line raises any code to 2 then);
* with ``--apply``: 0 every finding is fixed; 1 every call was made but a finding still fails or
  awaits confirmation; 2 a call failed, a finding could not be planned, or a result could not be
  verified; 3 usage, input or connection error before anything changed; 130 interrupted (what was
  done is in the report and the log).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootwatch.exitcodes import ExitCode
from rootwatch.remediate.executor import Applied
from rootwatch.remediate.model import Finding, FindingReport, Plan, Remark
from rootwatch.status import Status

if TYPE_CHECKING:
    from rootwatch.mod.model import Mod
    from rootwatch.remediate.access import AwsAccess
    from rootwatch.remediate.state import FreshState

AWAITED_CODE = "SNS_SUBSCRIPTION_NOT_PRESENT"
"""The reason code of ``root_usage_monitored`` when only the confirmation is missing."""
PENDING_SUBSCRIPTION = "pending confirmation"
"""SNS's SubscriptionArn for a subscription that waits for its endpoint to confirm."""


def touched_accounts(plan: Plan, applied: Applied, management: Mapping[str, str]) -> set[str]:
    """Accounts where a call was made (or tried), the accounts whose findings those calls fix, and
    their management accounts (where the organization's features are read)."""
    accounts: set[str] = set()
    for outcome in applied.outcomes:
        if outcome.status != "skipped":
            accounts.add(outcome.call.account_id)
            accounts.update(account for _control, account in outcome.call.fixes)
    return accounts | {management[a] for a in accounts if a in management}


def recapture(mod: Mod, variables: Mapping[str, Any], plan: Plan, applied: Applied, access: AwsAccess, regions: Collection[str], management: Mapping[str, str], output: Path) -> FreshState | None:
    """The touched accounts re-read with ``snapshot from-aws``'s capture and graded (None when
    nothing was changed)."""
    from rootwatch.remediate.state import refresh

    accounts = sorted(touched_accounts(plan, applied, management) & set(access.reachable()))
    if not accounts:
        return None
    where = set(regions) | {outcome.call.region for outcome in applied.outcomes}
    return refresh(mod, plan.controls, variables, access.options, (accounts, access.profiles_of(accounts)), where, output)


def judge(plan: Plan, applied: Applied | None, fresh: FreshState | None) -> list[FindingReport]:
    """A verdict per finding of ``plan`` from the outcomes of its calls and the re-read."""
    return [_judge(finding, plan, applied, fresh) for finding in plan.findings]


def _judge(finding: Finding, plan: Plan, applied: Applied | None, fresh: FreshState | None) -> FindingReport:
    calls = [call for call in plan.calls if finding.key in call.fixes]
    outcomes = [o for o in (applied.of(call) for call in calls) if o is not None] if applied else []
    failed = tuple(o.error for o in outcomes if o.status == "failed" and o.error)
    remarks = [r for r in plan.remarks if (r.control, r.account_id) == finding.key]
    stops = [r for r in remarks if r.kind == "stopped"]
    awaited = any(r.kind == "awaiting_confirmation" for r in remarks) or any(
        o.status == "applied" and o.call.operation == "Subscribe" and o.result.get("SubscriptionArn") == PENDING_SUBSCRIPTION for o in outcomes
    )
    row = fresh.grades.row(*finding.key) if fresh is not None and finding.account_id in fresh.captured else None

    def report(verdict: str, detail: str, *, stopped: bool = False) -> FindingReport:
        return FindingReport(finding.control, finding.account_id, verdict, detail, failed, stopped)  # type: ignore[arg-type]

    if failed:
        return report("failed_to_apply", row.reason if row else "not re-read after the failure")
    if row is None:
        if stops:
            return report("still_failing", _stopped(stops), stopped=True)
        passing = next((r for r in remarks if r.kind == "passing"), None)
        if passing is not None and not calls:
            return report("fixed", f"already {passing.message}")
        if awaited and not calls:
            return report("awaiting_confirmation", next(r.message for r in remarks if r.kind == "awaiting_confirmation"))
        why = "the run was interrupted before the re-read" if applied is not None and applied.interrupted else _not_reread(finding, fresh)
        return report("unverified", why)
    if row.status is Status.OK:
        return report("fixed", row.reason)
    if row.status is Status.ALARM:
        if awaited and row.reason.startswith(AWAITED_CODE):
            return report("awaiting_confirmation", f"{row.reason} Confirm the subscription from the e-mail AWS sent.")
        if stops:
            return report("still_failing", _stopped(stops), stopped=True)
        return report("still_failing", row.reason)
    return report("unverified", f"the re-read grades it {row.status.value}: {row.reason}")


def _stopped(stops: list[Remark]) -> str:
    return "; ".join(r.message + (f" ({r.hint})" if r.hint else "") for r in stops)


def _not_reread(finding: Finding, fresh: FreshState | None) -> str:
    if fresh is None:
        return "not re-read"
    return f"account {finding.account_id} could not be re-read: {fresh.problems.get(finding.account_id, 'no data came back')}"


def plan_exit_code(plan: Plan) -> ExitCode:
    """Plan only: 2 something cannot be planned, 1 calls planned or a confirmation awaited, 0 none."""
    if any(r.kind == "stopped" for r in plan.remarks):
        return ExitCode.CONTROL_ERROR
    if plan.calls or any(r.kind == "awaiting_confirmation" for r in plan.remarks):
        return ExitCode.ALARM
    return ExitCode.OK


def apply_exit_code(reports: list[FindingReport], applied: Applied) -> ExitCode:
    """After applying: 130 interrupted, 2 failed/stopped/unverified, 1 still failing or awaited, 0 all fixed."""
    if applied.interrupted:
        return ExitCode.INTERRUPTED
    if any(r.verdict in ("failed_to_apply", "unverified") or r.stopped for r in reports):
        return ExitCode.CONTROL_ERROR
    if any(r.verdict in ("still_failing", "awaiting_confirmation") for r in reports):
        return ExitCode.ALARM
    return ExitCode.OK
