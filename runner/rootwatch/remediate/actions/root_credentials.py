"""Root credentials of member accounts, deleted through Organizations centralized root access.

From the management account or the IAM delegated administrator, ``sts:AssumeRoot`` opens a
session in the member scoped by the ``IAMDeleteRootUserCredentials`` task policy; the keys,
certificates, login profile and MFA devices named in the plan are then deleted (MFA devices are
deactivated: that policy allows ``iam:DeactivateMFADevice`` and no longer ``DeleteVirtualMFADevice``).
The plan names them from a read-only ``IAMAuditRootUserCredentials`` session, and deletes only the
kinds the failing control is about: ``root_no_access_keys`` the access keys,
``root_no_signing_certificates`` the certificates, ``organizations_centralized_root_access`` (the
organization's policy: no member root credentials) every kind, password and MFA included.
Where centralized root access is off the plan says how to turn it on and stops.
"""

from __future__ import annotations

from collections.abc import Collection

from rootwatch.remediate.actions.base import PlanContext, Proposal
from rootwatch.remediate.live import DELETE_TASK, ROOT_SESSION_SECONDS, LiveReadFailed, same_error, task_policy_arn
from rootwatch.remediate.model import Call

KINDS = ("access_keys", "certificates", "password", "mfa_devices")
ENABLE_HINT = (
    "enable it with 'rootwatch remediate organizations_centralized_root_access --apply' (or, from the management account: "
    "aws organizations enable-aws-service-access --service-principal iam.amazonaws.com; "
    "aws iam enable-organizations-root-credentials-management; aws iam enable-organizations-root-sessions), then run this again"
)
PERMISSIONS = (
    "iam:ListOrganizationsFeatures",
    "sts:AssumeRoot",
    "iam:ListAccessKeys",
    "iam:ListSigningCertificates",
    "iam:GetLoginProfile",
    "iam:ListMFADevices",
    "iam:DeleteAccessKey",
    "iam:DeleteSigningCertificate",
    "iam:DeleteLoginProfile",
    "iam:DeactivateMFADevice",
)


def plan_deletions(ctx: PlanContext, kinds: Collection[str]) -> Proposal:
    """AssumeRoot (delete task) and one call per root credential of ``kinds`` the member still has."""
    facts = ctx.facts
    if facts is None or not facts.organization_id:
        return ctx.stop(
            f"account {ctx.account_id} is not in an AWS Organization, so its root credentials can only be removed by signing in as root",
            hint="sign in as the root user and delete them under Security credentials",
        )
    if facts.management_account_id == ctx.account_id:
        return ctx.stop(
            f"account {ctx.account_id} is the management account of organization {facts.organization_id}; centralized root access does not cover its own root user",
            hint="sign in as its root user to delete the credentials, and keep MFA on it",
        )
    try:
        features = ctx.live.organization_features()
    except LiveReadFailed as failure:
        return _features_unreadable(ctx, failure)
    if "RootCredentialsManagement" not in features.enabled:
        return ctx.stop(f"centralized root access is off in organization {facts.organization_id} (RootCredentialsManagement is not enabled)", hint=ENABLE_HINT)
    try:
        found = ctx.live.root_credentials(ctx.account_id, ctx.partition)
    except LiveReadFailed as failure:
        return ctx.unreadable(failure)
    assume = ctx.call(
        ctx.admin_region,  # AssumeRoot is served by regional STS endpoints only
        "sts",
        "AssumeRoot",
        {"TargetPrincipal": ctx.account_id, "TaskPolicyArn": {"arn": task_policy_arn(ctx.partition, DELETE_TASK)}, "DurationSeconds": ROOT_SESSION_SECONDS},
        f"a session in member {ctx.account_id} scoped to deleting its root credentials",
        acting_as="admin",
    )
    deletions: list[Call] = []

    def delete(operation: str, parameters: dict, why: str) -> None:
        deletions.append(ctx.call(ctx.global_region, "iam", operation, parameters, why, acting_as="root", needs=(assume,)))

    if "access_keys" in kinds:
        for key_id, status in found.access_keys:
            delete("DeleteAccessKey", {"AccessKeyId": key_id}, f"root access key {key_id} ({status.lower() or 'status unknown'})")
    if "certificates" in kinds:
        for certificate_id, status in found.certificates:
            delete("DeleteSigningCertificate", {"CertificateId": certificate_id}, f"root signing certificate {certificate_id} ({status.lower() or 'status unknown'})")
    if "password" in kinds and found.password:
        delete("DeleteLoginProfile", {}, "the root user has a console password")
    if "mfa_devices" in kinds:
        for serial in found.mfa_devices:
            delete("DeactivateMFADevice", {"SerialNumber": serial}, f"root MFA device {serial} (no root password remains to protect)")
    if not deletions:
        return ctx.stop(
            f"the root session of member {ctx.account_id} lists none of the credentials the control counts; its evidence may lag (the credential report is regenerated at most every 4 hours)",
            hint="take a new snapshot later and check again",
        )
    return Proposal((assume, *deletions))


def _features_unreadable(ctx: PlanContext, failure: LiveReadFailed) -> Proposal:
    if same_error(failure.code, "ServiceAccessNotEnabledException"):
        return ctx.stop("centralized root access is off: IAM has no trusted access in AWS Organizations", hint=ENABLE_HINT)
    if same_error(failure.code, "AccountNotManagementOrDelegatedAdministratorException") or failure.code == "NoAdministrator":
        return ctx.stop(
            f"the credentials that would call sts:AssumeRoot are neither the management account's nor the IAM delegated administrator's ({failure.message})",
            hint="with --role-name, run with --profile of the management account (or delegated administrator); with profiles, add the management account's profile",
        )
    return ctx.unreadable(failure)


class DeleteRootCredentials:
    """Deletes one kind of member root credential (the registry has one per control)."""

    permissions = PERMISSIONS

    def __init__(self, control: str, kinds: tuple[str, ...], what: str) -> None:
        self.control = control
        self.kinds = kinds
        self.summary = f"delete the member account's root {what} through centralized root access (sts:AssumeRoot, IAMDeleteRootUserCredentials)"

    def plan(self, ctx: PlanContext) -> Proposal:
        return plan_deletions(ctx, self.kinds)
