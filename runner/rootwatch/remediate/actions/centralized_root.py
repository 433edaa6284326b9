"""``organizations_centralized_root_access``: turn on both features in the organization, or, where
they are on, delete the root credentials a member still has.

Enabling is one set of calls in the management account for the whole organization (the planner
merges the copies every member's finding proposes): IAM's trusted access in Organizations when it
is missing, then ``EnableOrganizationsRootCredentialsManagement`` and
``EnableOrganizationsRootSessions`` for the features that are off. Enabling deletes nothing, so a
member with root credentials still fails afterwards; the next run deletes them.
"""

from __future__ import annotations

from rootwatch.remediate.actions.base import PlanContext, Proposal
from rootwatch.remediate.actions.root_credentials import KINDS, PERMISSIONS, _features_unreadable, plan_deletions
from rootwatch.remediate.live import LiveReadFailed, same_error
from rootwatch.remediate.model import Call

FEATURES = {
    "RootCredentialsManagement": "EnableOrganizationsRootCredentialsManagement",
    "RootSessions": "EnableOrganizationsRootSessions",
}
IAM_SERVICE_PRINCIPAL = "iam.amazonaws.com"


class EnableCentralizedRootAccess:
    control = "organizations_centralized_root_access"
    summary = "enable root credentials management and root sessions in the organization; where they are on, delete member root credentials"
    permissions = (
        "organizations:EnableAWSServiceAccess",
        "iam:EnableOrganizationsRootCredentialsManagement",
        "iam:EnableOrganizationsRootSessions",
        *PERMISSIONS,
    )

    def plan(self, ctx: PlanContext) -> Proposal:
        facts = ctx.facts
        if facts is None or not facts.organization_id or not facts.management_account_id:
            return ctx.stop(f"account {ctx.account_id} is not in an AWS Organization (as re-read)")
        trusted_access = True
        try:
            enabled = ctx.live.organization_features().enabled
        except LiveReadFailed as failure:
            if not same_error(failure.code, "ServiceAccessNotEnabledException"):
                return _features_unreadable(ctx, failure)
            enabled, trusted_access = frozenset(), False
        missing = [feature for feature in FEATURES if feature not in enabled]
        if not missing:
            return plan_deletions(ctx, KINDS)
        management = facts.management_account_id
        administrator = ctx.admin_account()
        if administrator != management:
            return ctx.stop(
                f"centralized root access is off in organization {facts.organization_id} ({', '.join(missing)} not enabled), "
                f"and only its management account {management} can enable it",
                hint=f"run with credentials of account {management} (--profile, or the base credentials of --role-name)",
            )
        calls: list[Call] = []
        trust = None
        if not trusted_access:
            trust = ctx.call(ctx.global_region, "organizations", "EnableAWSServiceAccess", {"ServicePrincipal": IAM_SERVICE_PRINCIPAL},
                             f"IAM has no trusted access in organization {facts.organization_id}", account_id=management, acting_as="admin")  # fmt: skip
            calls.append(trust)
        for feature in missing:
            calls.append(ctx.call(ctx.global_region, "iam", FEATURES[feature], {}, f"{feature} is not enabled in organization {facts.organization_id}",
                                  account_id=management, acting_as="admin", needs=(trust,)))  # fmt: skip
        remarks = ()
        if ctx.account_id != management:
            remarks = (ctx.remark("note", "enabling deletes no root credential: where this member still has some, run rootwatch remediate again afterwards to delete them"),)
        return Proposal(tuple(calls), remarks)
