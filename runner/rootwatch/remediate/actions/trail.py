"""``cloudtrail_enabled_all_regions``: make the account's best trail multi-region, logging and
recording every read and write management event, or create one to ``--trail-bucket``.

The trail's own selectors are kept: where management events are missing a management-only
selector is appended, so data events someone configured are neither dropped nor widened.
``root_usage_monitored`` plans the same steps for the trail its chain starts from; the planner
merges identical calls, so a trail is changed once whichever controls were asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from rootwatch.remediate.actions.base import PlanContext, Proposal
from rootwatch.remediate.model import Call
from rootwatch.remediate.state import Trail

MANAGEMENT_SELECTOR = {"ReadWriteType": "All", "IncludeManagementEvents": True}
ADVANCED_MANAGEMENT_SELECTOR = {
    "Name": "Management events, read and write (rootwatch)",
    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
}


def records_all_management_events(classic: list[dict] | None, advanced: list[dict] | None) -> bool:
    """True when the selectors record every read and write management event.

    CloudTrail records an event that any selector matches, so reads and writes may come from one
    selector (``ReadWriteType`` All) or from two; an ``ExcludeManagementEventSources`` list or an
    advanced field other than ``eventCategory``/``readOnly`` narrows a selector, which then does not
    count (the same reading as the control).
    """
    reads = writes = False
    for selector in classic or []:
        if selector.get("IncludeManagementEvents") is True and not selector.get("ExcludeManagementEventSources"):
            kind = selector.get("ReadWriteType")
            reads |= kind in ("All", "ReadOnly")
            writes |= kind in ("All", "WriteOnly")
    for selector in advanced or []:
        fields = selector.get("FieldSelectors") or []
        management = any(f.get("Field") == "eventCategory" and "Management" in (f.get("Equals") or []) for f in fields)
        if management and all(f.get("Field") in ("eventCategory", "readOnly") for f in fields):
            read_only = [f.get("Equals") or [] for f in fields if f.get("Field") == "readOnly"]
            reads |= all("true" in values for values in read_only)
            writes |= all("false" in values for values in read_only)
    return reads and writes


@dataclass(frozen=True)
class TrailPlan:
    """The trail a chain can start from, once the calls are made (None when the plan stops)."""

    arn: str | None
    name: str | None
    home_region: str | None
    log_group_arn: str | None
    proposal: Proposal
    last_call: Call | None = None
    """The call after which the trail exists (CreateTrail), for the calls that change it further."""


def choose_trail(trails: list[Trail]) -> Trail:
    """The trail closest to carrying the root-usage chain: delivering to CloudWatch Logs first, then
    multi-region, logging and recording management events."""

    def rank(trail: Trail) -> tuple:
        records = records_all_management_events(trail.event_selectors, trail.advanced_event_selectors)
        return (trail.log_group_arn is None, not trail.multi_region, trail.logging is not True, not records, trail.name)

    return min(trails, key=rank)


def plan_trail(ctx: PlanContext) -> TrailPlan:
    """The calls that make one trail of the account compliant (or create one)."""
    trails = ctx.state.trails(ctx.account_id)
    if not trails:
        return _create_trail(ctx)
    trail = choose_trail(trails)
    label = f"trail {trail.name} (home region {trail.home_region})"
    calls: list[Call] = []
    remarks = []
    if not trail.multi_region:
        parameters = {"Name": trail.arn, "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True}
        calls.append(ctx.call(trail.home_region, "cloudtrail", "UpdateTrail", parameters, f"{label} is single-region (a multi-region trail must include global service events)"))
    if trail.logging is False:
        calls.append(ctx.call(trail.home_region, "cloudtrail", "StartLogging", {"Name": trail.arn}, f"{label} is not logging"))
    elif trail.logging is None:
        remarks.append(ctx.remark("stopped", f"{label}: its logging status was not read, so rootwatch cannot tell whether it logs", "rerun when cloudtrail:GetTrailStatus is allowed"))
    if trail.event_selectors is None and trail.advanced_event_selectors is None:
        remarks.append(ctx.remark("stopped", f"{label}: its event selectors were not read", "rerun when cloudtrail:GetEventSelectors is allowed"))
    elif not records_all_management_events(trail.event_selectors, trail.advanced_event_selectors):
        if trail.advanced_event_selectors:
            parameters = {"TrailName": trail.arn, "AdvancedEventSelectors": [*trail.advanced_event_selectors, ADVANCED_MANAGEMENT_SELECTOR]}
        else:
            parameters = {"TrailName": trail.arn, "EventSelectors": [*(trail.event_selectors or []), MANAGEMENT_SELECTOR]}
        why = f"{label} does not record every read and write management event; a management-only selector is added, the others are kept"
        calls.append(ctx.call(trail.home_region, "cloudtrail", "PutEventSelectors", parameters, why))
    return TrailPlan(trail.arn, trail.name, trail.home_region, trail.log_group_arn, Proposal(tuple(calls), tuple(remarks)))


def _create_trail(ctx: PlanContext) -> TrailPlan:
    settings = ctx.settings
    foreign = ctx.state.foreign_trails(ctx.account_id)
    if not settings.trail_bucket:
        seen = f" (it sees organization trail {foreign[0][0]} of account {foreign[0][1]}, which only that account can change)" if foreign else ""
        stop = ctx.stop(
            f"account {ctx.account_id} has no CloudTrail trail of its own{seen}",
            hint="pass --trail-bucket BUCKET (a bucket whose policy lets CloudTrail write) to create a multi-region trail",
        )
        return TrailPlan(None, None, None, None, stop)
    region, name = settings.trail_region, settings.trail_name
    arn = f"arn:{ctx.partition}:cloudtrail:{region}:{ctx.account_id}:trail/{name}"
    why = f"account {ctx.account_id} has no trail of its own"
    create = ctx.call(region, "cloudtrail", "CreateTrail", {"Name": name, "S3BucketName": settings.trail_bucket, "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True}, why)
    selectors = ctx.call(region, "cloudtrail", "PutEventSelectors", {"TrailName": arn, "EventSelectors": [MANAGEMENT_SELECTOR]}, f"new trail {name} records every read and write management event", needs=(create,))
    start = ctx.call(region, "cloudtrail", "StartLogging", {"Name": arn}, f"new trail {name} starts logging", needs=(create,))
    return TrailPlan(arn, name, region, None, Proposal((create, selectors, start)), last_call=create)


class CloudTrailMultiRegion:
    control = "cloudtrail_enabled_all_regions"
    summary = "make the best trail multi-region, logging and recording all management events (or create one to --trail-bucket)"
    permissions = (
        "cloudtrail:UpdateTrail",
        "cloudtrail:StartLogging",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:CreateTrail",
    )

    def plan(self, ctx: PlanContext) -> Proposal:
        return plan_trail(ctx).proposal
