"""A remediation as data: the findings it answers, the AWS calls it plans, what happened to them.

A :class:`Plan` is a list of :class:`Call` values per account (each an AWS API call with its exact
parameters and the findings it fixes) plus :class:`Remark` values for what is not planned and why.
It is rendered as text or JSON (:mod:`rootwatch.remediate.render`) and applied by one executor
(:mod:`rootwatch.remediate.executor`), which records a :class:`CallOutcome` per call; the
verification after applying turns them into a :class:`FindingReport` per finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FindingKey = tuple[str, str]
"""(control id, account id): one failing row of a control (every remediable control has one row
per account)."""

Actor = Literal["account", "admin", "root", "root-audit"]
"""Whose credentials make a call: the account's own (profile or role), the organization's
management or delegated-administrator account (``admin``), or the account's root user through a
centralized-root-access session that an earlier ``sts:AssumeRoot`` call of the plan opened
(``root``; ``root-audit`` is the read-only session a plan lists root credentials with)."""

RemarkKind = Literal["stopped", "passing", "awaiting_confirmation", "note"]
"""``stopped``: the finding cannot be planned (what to do is in the message and hint);
``passing``: it passes on a fresh read, nothing to do; ``awaiting_confirmation``: an e-mail
subscription waits for its recipient; ``note``: context that changes nothing."""

Verdict = Literal["fixed", "still_failing", "failed_to_apply", "awaiting_confirmation", "unverified"]

IAM_PREFIXES = {"logs": "logs", "cloudwatch": "cloudwatch", "sns": "sns", "cloudtrail": "cloudtrail", "iam": "iam", "sts": "sts", "organizations": "organizations"}
"""boto3 service name → IAM action prefix (they coincide for every service a remediation calls)."""


@dataclass(frozen=True)
class Finding:
    """A failing (``alarm``) row of a remediable control, as the input snapshot or database graded it."""

    control: str
    account_id: str
    resource: str
    reason: str
    region: str | None = None

    @property
    def key(self) -> FindingKey:
        return (self.control, self.account_id)


@dataclass(frozen=True, eq=False)
class Call:
    """One AWS API call of a plan, exactly as it will be made."""

    account_id: str
    """The account the call changes (for ``sts:AssumeRoot``: the member it opens a session in)."""
    region: str
    """Where the API is called (IAM, STS and Organizations: the partition's global-service region)."""
    service: str
    """boto3 service name: cloudtrail, logs, cloudwatch, sns, iam, sts, organizations."""
    operation: str
    """API operation name as AWS spells it: ``UpdateTrail``, ``DeactivateMFADevice``."""
    parameters: Mapping[str, Any]
    why: str
    """The fact that makes the call necessary, in a sentence (``trail main is single-region``)."""
    fixes: tuple[FindingKey, ...]
    acting_as: Actor = "account"
    needs: tuple[str, ...] = ()
    """Keys of calls of the same plan that must have succeeded first (a topic before its alarm)."""
    retry_codes: tuple[str, ...] = ()
    """AWS error codes that mean "not yet" (an IAM role still propagating): retried a few times."""

    @property
    def action(self) -> str:
        """The IAM action the call needs, e.g. ``cloudtrail:UpdateTrail``."""
        return f"{IAM_PREFIXES.get(self.service, self.service)}:{self.operation}"

    @property
    def key(self) -> str:
        """Identity of the call: two actions planning the same call plan it once."""
        return json.dumps([self.account_id, self.region, self.service, self.operation, self.acting_as, self.parameters], sort_keys=True, default=str)


@dataclass(frozen=True)
class Remark:
    """Something about a finding that is not a call: why it stops, or why nothing is needed."""

    kind: RemarkKind
    control: str
    account_id: str
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class AccountPlan:
    """What a remediation does in one account: its findings, its calls in order, its remarks."""

    account_id: str
    findings: tuple[Finding, ...]
    calls: tuple[Call, ...] = ()
    remarks: tuple[Remark, ...] = ()
    name: str | None = None
    """Display name (Organizations name or IAM alias) where the fresh read knows it."""


@dataclass(frozen=True)
class Plan:
    """Every account's plan, and where the findings and the fresh state came from."""

    accounts: tuple[AccountPlan, ...]
    controls: tuple[str, ...]
    source: str
    """The snapshot or database whose failing rows were read."""
    refreshed_at: datetime | None
    """When the accounts were re-read from AWS to plan against their current state."""

    @property
    def calls(self) -> list[Call]:
        return [call for account in self.accounts for call in account.calls]

    @property
    def remarks(self) -> list[Remark]:
        return [remark for account in self.accounts for remark in account.remarks]

    @property
    def findings(self) -> list[Finding]:
        return [finding for account in self.accounts for finding in account.findings]

    def call_ids(self) -> dict[str, str]:
        """Call key → its number in the plan ("1", "2", ...), the order it is applied in."""
        return {call.key: str(number) for number, call in enumerate(self.calls, start=1)}


CallStatus = Literal["applied", "failed", "skipped"]


@dataclass(frozen=True)
class CallOutcome:
    """What happened to one call: applied (with a summary of the response), failed (with the AWS
    error code and message), or skipped (a call it needs failed, or the run was interrupted)."""

    call: Call
    status: CallStatus
    time: datetime
    error_code: str | None = None
    error_message: str | None = None
    result: Mapping[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return f"{self.error_code}: {self.error_message}" if self.error_code else None


@dataclass(frozen=True)
class FindingReport:
    """A finding after the remediation: its verdict and the evidence for it."""

    control: str
    account_id: str
    verdict: Verdict
    detail: str
    """The fresh reason (fixed or still failing), the stop message, or what is awaited."""
    errors: tuple[str, ...] = ()
    """``code: message`` of each call for this finding that failed."""
    stopped: bool = False
    """The plan stopped for it (it needs a person or an option, as ``detail`` says)."""
