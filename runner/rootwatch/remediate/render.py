"""A plan, the outcome of applying it and the verdicts, as text for people or JSON for programs.

The text is laid out like ``terraform plan``: per account, the calls in the order they are made
(a region header wherever the region changes), each with why it is needed, which findings it fixes,
whose credentials make it and its exact parameters; then what is not planned and why. The JSON is
one document with the same content (``kind: rootwatch.remediation``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rootwatch.remediate.executor import Applied
from rootwatch.remediate.model import AccountPlan, Call, FindingReport, Plan

FORMAT_VERSION = 1
_ACTORS = {"admin": "as the organization's administrator", "root": "as the member's root user (session opened by sts:AssumeRoot)"}
_REMARK_TITLES = {"stopped": "not planned", "passing": "already passing", "awaiting_confirmation": "awaiting confirmation", "note": "notes"}
_VERDICTS = {"fixed": "fixed", "still_failing": "still failing", "failed_to_apply": "failed to apply", "awaiting_confirmation": "awaiting confirmation", "unverified": "unverified"}


# ---- JSON ---------------------------------------------------------------------------------------


def plan_dict(plan: Plan) -> dict[str, Any]:
    ids = plan.call_ids()
    return {
        "source": plan.source,
        "refreshed_at": plan.refreshed_at.isoformat() if plan.refreshed_at else None,
        "controls": list(plan.controls),
        "accounts": [
            {
                "account_id": account.account_id,
                "findings": [{"control": f.control, "resource": f.resource, "region": f.region, "reason": f.reason} for f in account.findings],
                "calls": [_call_dict(call, ids) for call in account.calls],
                "remarks": [{"kind": r.kind, "control": r.control, "message": r.message, "hint": r.hint} for r in account.remarks],
            }
            for account in plan.accounts
        ],
        "summary": _summary(plan),
    }


def _call_dict(call: Call, ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": ids[call.key],
        "region": call.region,
        "action": call.action,
        "service": call.service,
        "operation": call.operation,
        "parameters": call.parameters,
        "acting_as": call.acting_as,
        "why": call.why,
        "fixes": [{"control": control, "account_id": account} for control, account in call.fixes],
        "needs": [ids[key] for key in call.needs if key in ids],
    }


def _summary(plan: Plan) -> dict[str, int]:
    kinds = [r.kind for r in plan.remarks]
    return {
        "findings": len(plan.findings),
        "calls": len(plan.calls),
        "accounts_changed": len({c.account_id for c in plan.calls}),
        "stopped": kinds.count("stopped"),
        "passing": kinds.count("passing"),
        "awaiting_confirmation": kinds.count("awaiting_confirmation"),
    }


def document(plan: Plan, applied: Applied | None = None, reports: Sequence[FindingReport] | None = None, log: Mapping[str, str] | None = None) -> str:
    """The whole remediation as one JSON document."""
    ids = plan.call_ids()
    body: dict[str, Any] = {"kind": "rootwatch.remediation", "version": FORMAT_VERSION, "applied": applied is not None, "plan": plan_dict(plan)}
    if applied is not None:
        body["interrupted"] = applied.interrupted
        body["outcomes"] = [
            {
                "id": ids[o.call.key],
                "action": o.call.action,
                "account_id": o.call.account_id,
                "region": o.call.region,
                "status": o.status,
                "at": o.time.isoformat(),
                "error": {"code": o.error_code, "message": o.error_message} if o.error_code else None,
                "result": dict(o.result),
            }
            for o in applied.outcomes
        ]
    if reports is not None:
        body["results"] = [
            {"control": r.control, "account_id": r.account_id, "verdict": r.verdict, "detail": r.detail, "errors": list(r.errors), "stopped": r.stopped}
            for r in reports
        ]
    if log:
        body["log"] = dict(log)
    return json.dumps(body, indent=2, default=str) + "\n"


# ---- text ---------------------------------------------------------------------------------------


def plan_text(plan: Plan, names: Mapping[str, str] | None = None) -> str:
    ids = plan.call_ids()
    summary = _summary(plan)
    failing = sorted({f.control for f in plan.findings}, key=list(plan.controls).index)
    accounts = len({f.account_id for f in plan.findings})
    lines = [
        f"rootwatch remediate: {summary['findings']} failing finding(s) in {accounts} account(s): {', '.join(failing)}",
        f"  failing rows read from {plan.source}"
        + (f"; accounts re-read from AWS at {plan.refreshed_at.isoformat(timespec='seconds')}" if plan.refreshed_at else ""),
    ]
    for account in plan.accounts:
        lines.append("")
        lines.extend(_account_text(account, ids, names or {}))
    lines.append("")
    lines.append(
        f"Plan: {summary['calls']} call(s) in {summary['accounts_changed']} account(s); {summary['stopped']} not planned, "
        f"{summary['passing']} already passing, {summary['awaiting_confirmation']} awaiting confirmation."
    )
    return "\n".join(lines) + "\n"


def _account_text(account: AccountPlan, ids: Mapping[str, str], names: Mapping[str, str]) -> list[str]:
    name = names.get(account.account_id)
    lines = [f"account {account.account_id}" + (f" ({name})" if name else "")]
    region = None
    for call in account.calls:
        if call.region != region:
            region = call.region
            lines.append(f"  region {region}")
        lines.append(f"    {ids[call.key]:>3}  + {call.action}" + (f"  {_ACTORS[call.acting_as]}" if call.acting_as in _ACTORS else ""))
        lines.append(f"           why:   {call.why}")
        lines.append(f"           fixes: {', '.join(_fix(control, fixed, account.account_id) for control, fixed in call.fixes)}")
        needs = [ids[key] for key in call.needs if key in ids]
        if needs:
            lines.append(f"           after: call {', '.join(needs)}")
        for key, value in call.parameters.items():
            lines.append(f"           {key} = {json.dumps(value, default=str)}")
    for kind, title in _REMARK_TITLES.items():
        remarks = [r for r in account.remarks if r.kind == kind]
        if remarks:
            lines.append(f"  {title}")
            for remark in remarks:
                lines.append(f"    {'!' if kind == 'stopped' else '='} {remark.control}: {remark.message}")
                if remark.hint:
                    lines.append(f"        hint: {remark.hint}")
    return lines


def _fix(control: str, account_id: str, here: str) -> str:
    return control if account_id == here else f"{control} of {account_id}"


def plan_footer(plan: Plan, *, apply: bool) -> str:
    if not plan.calls:
        return "Nothing to change.\n"
    if apply:
        return ""
    return "Nothing has been changed. Run again with --apply to make these calls.\n"


def result_text(plan: Plan, applied: Applied, reports: Sequence[FindingReport], log: Mapping[str, str]) -> str:
    ids = plan.call_ids()
    statuses = [o.status for o in applied.outcomes]
    lines = [
        f"Applied {statuses.count('applied')} of {len(plan.calls)} call(s): {statuses.count('failed')} failed, {statuses.count('skipped')} skipped"
        + (f", {len(plan.calls) - len(statuses)} not reached (interrupted)" if applied.interrupted else "")
        + f". Log: {log['path']} (run {log['run']})",
    ]
    for outcome in applied.outcomes:
        call = outcome.call
        line = f"  {ids[call.key]:>3}  {outcome.status:<7}  {call.action} in {call.account_id} {call.region}"
        lines.append(line + (f": {outcome.error}" if outcome.error else ""))
    lines.append("")
    lines.append("Result per finding (after re-reading the accounts from AWS):" if not applied.interrupted else "Result per finding:")
    for report in reports:
        lines.append(f"  {report.account_id}  {report.control}: {_VERDICTS[report.verdict]}")
        for error in report.errors:
            lines.append(f"      error: {error}")
        lines.append(f"      {report.detail}")
    counts = {verdict: sum(1 for r in reports if r.verdict == verdict) for verdict in _VERDICTS}
    lines.append("")
    lines.append("Result: " + ", ".join(f"{count} {_VERDICTS[verdict]}" for verdict, count in counts.items() if count) + ".")
    return "\n".join(lines) + "\n"
