"""``rootwatch remediate``: correct what the controls find, as a reviewed plan applied on approval.

* :mod:`~rootwatch.remediate.model`: the plan as data (calls with their exact parameters and the
  findings they fix; remarks for what is not planned), outcomes and verdicts;
* :mod:`~rootwatch.remediate.actions`: one action per control behind a small registry;
* :mod:`~rootwatch.remediate.planner`, :mod:`~rootwatch.remediate.executor`,
  :mod:`~rootwatch.remediate.verify`: plan against a fresh re-read, apply with one executor, re-read
  and judge;
* :mod:`~rootwatch.remediate.remediation`: the steps together, as the command line runs them.

See docs/remediate.md for what each action does, the permissions it needs and how it was tested.
"""

from rootwatch.remediate.access import AccessOptions
from rootwatch.remediate.actions import ACTIONS, Settings, remediable_controls
from rootwatch.remediate.model import Call, CallOutcome, Finding, FindingReport, Plan, Remark
from rootwatch.remediate.remediation import Remediation, RemediationRequest

__all__ = [
    "ACTIONS",
    "AccessOptions",
    "Call",
    "CallOutcome",
    "Finding",
    "FindingReport",
    "Plan",
    "Remark",
    "Remediation",
    "RemediationRequest",
    "Settings",
    "remediable_controls",
]
