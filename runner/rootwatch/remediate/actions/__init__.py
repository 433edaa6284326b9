"""The remediation actions, one per control, in the order their calls are planned and applied.

Adding one is a new module implementing :class:`~rootwatch.remediate.actions.base.Action` and a
line here. Order matters: the organization's features come first (they open the way for root
sessions), then the trail (the root-usage chain starts from it), then the chain, then credentials.
"""

from __future__ import annotations

from rootwatch.errors import UsageError
from rootwatch.remediate.actions.base import Action, PlanContext, Proposal, Settings
from rootwatch.remediate.actions.centralized_root import EnableCentralizedRootAccess
from rootwatch.remediate.actions.root_credentials import DeleteRootCredentials
from rootwatch.remediate.actions.root_usage import RootUsageMonitored
from rootwatch.remediate.actions.trail import CloudTrailMultiRegion

ACTIONS: tuple[Action, ...] = (
    EnableCentralizedRootAccess(),
    CloudTrailMultiRegion(),
    RootUsageMonitored(),
    DeleteRootCredentials("root_no_access_keys", ("access_keys",), "access keys"),
    DeleteRootCredentials("root_no_signing_certificates", ("certificates",), "signing certificates"),
)

__all__ = ["ACTIONS", "Action", "PlanContext", "Proposal", "Settings", "action_for", "remediable_controls"]


def remediable_controls() -> list[str]:
    """Control ids that have an action, in planning order."""
    return [action.control for action in ACTIONS]


def action_for(control: str) -> Action:
    """The action of ``control``; a control without one is a usage error naming those that have one."""
    for action in ACTIONS:
        if action.control == control:
            return action
    raise UsageError(f"control {control!r} has no remediation", hint=f"remediable controls: {', '.join(remediable_controls())}")
