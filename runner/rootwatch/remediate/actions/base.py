"""What every action shares: the settings a remediation takes, the context an action plans in, and
the small protocol an action implements."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rootwatch.remediate.live import LiveReadFailed, global_region
from rootwatch.remediate.model import Actor, Call, Finding, Remark, RemarkKind

if TYPE_CHECKING:
    from rootwatch.remediate.live import LiveReads
    from rootwatch.remediate.state import AccountFacts, FreshState
    from rootwatch.results import ResultRow


@dataclass(frozen=True)
class Settings:
    """Names and choices of the resources a remediation creates (CLI options of the same names)."""

    notify_email: str | None = None
    """E-mail address subscribed to the root-usage topic (it must confirm before alerts arrive)."""
    trail_bucket: str | None = None
    """S3 bucket for a new trail where an account has none (its policy must let CloudTrail write)."""
    trail_name: str = "rootwatch-management-events"
    trail_region: str = "us-east-1"
    create_log_group: bool = False
    """Send a trail that delivers to no CloudWatch Logs group to a new one (else the plan stops)."""
    log_group_name: str = "rootwatch-cloudtrail"
    logs_role_name: str = "rootwatch-cloudtrail-to-cloudwatch-logs"
    filter_name: str = "rootwatch-root-usage"
    metric_name: str = "RootUsageCount"
    metric_namespace: str = "CISBenchmark"
    alarm_name: str = "rootwatch-root-usage"
    topic_name: str = "rootwatch-root-usage"


@dataclass(frozen=True)
class Proposal:
    """What an action proposes for one finding: calls in order, and remarks."""

    calls: tuple[Call, ...] = ()
    remarks: tuple[Remark, ...] = ()

    def __add__(self, other: Proposal) -> Proposal:
        return Proposal(self.calls + other.calls, self.remarks + other.remarks)


@dataclass
class PlanContext:
    """Everything an action may look at for one finding."""

    finding: Finding
    fresh: ResultRow | None
    """The control's row on the fresh read (None when the account's re-read has no row for it)."""
    facts: AccountFacts | None
    state: FreshState
    live: LiveReads
    settings: Settings
    admin_account: Callable[[], str | None]
    """The administrator's account id (asked only by the actions that need one)."""
    admin_region: str = "us-east-1"
    """Where the administrator's STS calls go (AssumeRoot has regional endpoints only)."""

    @property
    def account_id(self) -> str:
        return self.finding.account_id

    @property
    def partition(self) -> str:
        return self.facts.partition if self.facts else "aws"

    @property
    def global_region(self) -> str:
        return global_region(self.partition)

    def call(
        self,
        region: str,
        service: str,
        operation: str,
        parameters: Mapping[str, Any],
        why: str,
        *,
        account_id: str | None = None,
        acting_as: Actor = "account",
        needs: tuple[Call | None, ...] = (),
        retry_codes: tuple[str, ...] = (),
    ) -> Call:
        """A call fixing this finding; ``needs`` lists calls of this plan (None: not planned)."""
        return Call(
            account_id=account_id or self.account_id,
            region=region,
            service=service,
            operation=operation,
            parameters=dict(parameters),
            why=why,
            fixes=(self.finding.key,),
            acting_as=acting_as,
            needs=tuple(c.key for c in needs if c is not None),
            retry_codes=retry_codes,
        )

    def remark(self, kind: RemarkKind, message: str, hint: str | None = None) -> Remark:
        return Remark(kind, self.finding.control, self.account_id, message, hint)

    def stop(self, message: str, hint: str | None = None) -> Proposal:
        return Proposal(remarks=(self.remark("stopped", message, hint),))

    def unreadable(self, failure: LiveReadFailed) -> Proposal:
        return self.stop(f"cannot plan without reading the current state: {failure}", hint="check the permissions in docs/remediate.md")


class Action(Protocol):
    """Plans the calls that make one control pass for one account."""

    control: str
    summary: str
    """One sentence: what the action does (``rootwatch remediate --help`` lists it)."""
    permissions: tuple[str, ...]
    """IAM actions its calls and reads need (docs/remediate.md lists them; a test checks it)."""

    def plan(self, ctx: PlanContext) -> Proposal:
        """The calls (in order) and remarks for ``ctx.finding``; never raises for AWS errors."""
        ...
