"""The paths moto does not serve, with botocore's Stubber: ``iam:ListOrganizationsFeatures``, the
``iam:EnableOrganizationsRoot*`` calls and ``sts:AssumeRoot`` (moto 5 answers them with HTTP 500).
Each request is checked parameter for parameter; the documented errors are answered as AWS would."""

from __future__ import annotations

from pathlib import Path

import pytest
from rootwatch.remediate.actions import Settings
from rootwatch.remediate.executor import apply_plan
from rootwatch.remediate.journal import Journal
from rootwatch.remediate.model import Finding
from rootwatch.remediate.planner import PlanRequest, assemble
from stubs import (
    MANAGEMENT,
    MEMBER,
    ORGANIZATION,
    StubbedClients,
    credentials,
    organization_state,
)

AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
DELETE = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
KEY = "AKIAROOTKEY000000001"
MFA = f"arn:aws:iam::{MEMBER}:mfa/root-account-mfa-device"
CERTIFICATE = "CERT0000000000000000000001"


def _finding(control: str, account: str = MEMBER) -> Finding:
    return Finding(control, account, f"arn:aws:iam::{account}:root", "failing in the input")


def _plan(tmp_path: Path, clients: StubbedClients, *controls: str, account: str = MEMBER):  # noqa: ANN202 - Plan
    findings = tuple(_finding(control, account) for control in controls)
    state = organization_state(tmp_path, {f.key: f.reason for f in findings})
    try:
        return assemble(PlanRequest(controls, findings, "test snapshot", Settings()), state, clients, {})
    finally:
        state.close()


def _features(clients: StubbedClients, *enabled: str) -> None:
    clients.stub("admin", "iam").add_response("list_organizations_features", {"OrganizationId": ORGANIZATION, "EnabledFeatures": list(enabled)}, {})


def _audit(clients: StubbedClients, *, keys: list, certificates: list, password: bool, devices: list) -> None:
    clients.stub("admin", "sts").add_response(
        "assume_root", {"Credentials": credentials("ASIAAUDITSESSION0001")}, {"TargetPrincipal": MEMBER, "TaskPolicyArn": {"arn": AUDIT}, "DurationSeconds": 900}
    )
    iam = clients.stub("root-audit", "iam")
    iam.add_response("list_access_keys", {"AccessKeyMetadata": [{"AccessKeyId": k, "Status": "Active", "UserName": "root"} for k in keys]}, {})
    iam.add_response("list_signing_certificates", {"Certificates": [
        {"UserName": "root", "CertificateId": c, "CertificateBody": "-----BEGIN CERTIFICATE-----", "Status": "Inactive"} for c in certificates
    ]}, {})  # fmt: skip
    if password:
        iam.add_response("get_login_profile", {"LoginProfile": {"UserName": "root", "CreateDate": "2024-01-01T00:00:00Z"}}, {})
    else:
        iam.add_client_error("get_login_profile", "NoSuchEntity", "Login Profile for User root cannot be found.", 404)
    iam.add_response("list_mfa_devices", {"MFADevices": [{"UserName": "root", "SerialNumber": d, "EnableDate": "2024-01-01T00:00:00Z"} for d in devices]}, {})


def _calls(plan) -> list[tuple]:  # noqa: ANN001 - Plan
    return [(c.account_id, c.action, dict(c.parameters), c.acting_as, sorted(control for control, _ in c.fixes)) for c in plan.calls]


def test_member_root_credentials_are_deleted_through_a_root_session(tmp_path: Path) -> None:
    clients = StubbedClients()
    _features(clients, "RootCredentialsManagement", "RootSessions")
    _audit(clients, keys=[KEY], certificates=[CERTIFICATE], password=True, devices=[MFA])
    plan = _plan(tmp_path, clients, "organizations_centralized_root_access", "root_no_access_keys", "root_no_signing_certificates")
    clients.assert_all_used()
    assert clients.root_sessions == [(MEMBER, "audit", "ASIAAUDITSESSION0001")], "the plan reads through an audit session only"
    everything = ["organizations_centralized_root_access", "root_no_access_keys", "root_no_signing_certificates"]
    assert _calls(plan) == [
        (MEMBER, "sts:AssumeRoot", {"TargetPrincipal": MEMBER, "TaskPolicyArn": {"arn": DELETE}, "DurationSeconds": 900}, "admin", everything),
        (MEMBER, "iam:DeleteAccessKey", {"AccessKeyId": KEY}, "root", ["organizations_centralized_root_access", "root_no_access_keys"]),
        (MEMBER, "iam:DeleteSigningCertificate", {"CertificateId": CERTIFICATE}, "root", ["organizations_centralized_root_access", "root_no_signing_certificates"]),
        (MEMBER, "iam:DeleteLoginProfile", {}, "root", ["organizations_centralized_root_access"]),
        (MEMBER, "iam:DeactivateMFADevice", {"SerialNumber": MFA}, "root", ["organizations_centralized_root_access"]),
    ]
    assert all(c.needs == (plan.calls[0].key,) for c in plan.calls[1:])

    # Applying: the delete-task session is opened first, then each credential named in the plan.
    clients.stub("admin", "sts").add_response(
        "assume_root", {"Credentials": credentials("ASIADELETESESSION001")}, {"TargetPrincipal": MEMBER, "TaskPolicyArn": {"arn": DELETE}, "DurationSeconds": 900}
    )
    root = clients.stub("root", "iam")
    root.add_response("delete_access_key", {}, {"AccessKeyId": KEY})
    root.add_response("delete_signing_certificate", {}, {"CertificateId": CERTIFICATE})
    root.add_response("delete_login_profile", {}, {})
    root.add_client_error("deactivate_mfa_device", "EntityTemporarilyUnmodifiable", "MFA device is being modified", 409, expected_params={"SerialNumber": MFA})
    journal = Journal.open(tmp_path / "log.jsonl")
    applied = apply_plan(plan, clients, journal)
    journal.close()
    clients.assert_all_used()
    assert [(o.call.operation, o.status, o.error_code) for o in applied.outcomes] == [
        ("AssumeRoot", "applied", None),
        ("DeleteAccessKey", "applied", None),
        ("DeleteSigningCertificate", "applied", None),
        ("DeleteLoginProfile", "applied", None),
        ("DeactivateMFADevice", "failed", "EntityTemporarilyUnmodifiable"),
    ]
    assert clients.root_sessions[-1] == (MEMBER, "delete", "ASIADELETESESSION001")
    log = (tmp_path / "log.jsonl").read_text()
    assert "ASIADELETESESSION001" not in log and "secret" not in log and "token" not in log, "session credentials are never logged"
    assert "root user of 222222222222 (sts:AssumeRoot session, IAMDeleteRootUserCredentials)" in log


def test_only_the_failing_kind_is_deleted(tmp_path: Path) -> None:
    clients = StubbedClients()
    _features(clients, "RootCredentialsManagement", "RootSessions")
    _audit(clients, keys=[KEY], certificates=[CERTIFICATE], password=True, devices=[MFA])
    plan = _plan(tmp_path, clients, "root_no_access_keys")
    assert [c.action for c in plan.calls] == ["sts:AssumeRoot", "iam:DeleteAccessKey"], "the password, certificate and MFA device stay"


def test_centralized_root_access_off_stops_credential_deletion_and_plans_enabling(tmp_path: Path) -> None:
    clients = StubbedClients()
    _features(clients)
    plan = _plan(tmp_path, clients, "organizations_centralized_root_access", "root_no_access_keys")
    clients.assert_all_used()  # one ListOrganizationsFeatures for both findings; no AssumeRoot
    assert _calls(plan) == [
        (MANAGEMENT, "iam:EnableOrganizationsRootCredentialsManagement", {}, "admin", ["organizations_centralized_root_access"]),
        (MANAGEMENT, "iam:EnableOrganizationsRootSessions", {}, "admin", ["organizations_centralized_root_access"]),
    ]
    (stop,) = [r for r in plan.remarks if r.kind == "stopped"]
    assert stop.control == "root_no_access_keys"
    assert stop.message == f"centralized root access is off in organization {ORGANIZATION} (RootCredentialsManagement is not enabled)"
    assert "aws iam enable-organizations-root-credentials-management" in stop.hint and "then run this again" in stop.hint

    iam = clients.stub("admin", "iam")
    iam.add_response("enable_organizations_root_credentials_management", {"OrganizationId": ORGANIZATION, "EnabledFeatures": ["RootCredentialsManagement"]}, {})
    iam.add_client_error("enable_organizations_root_sessions", "CallerIsNotManagementAccountException", "The request was rejected because the caller is not the management account.", 400)
    applied = apply_plan(plan, clients, Journal.discard())
    clients.assert_all_used()
    assert [(o.call.operation, o.status, o.error_code) for o in applied.outcomes] == [
        ("EnableOrganizationsRootCredentialsManagement", "applied", None),
        ("EnableOrganizationsRootSessions", "failed", "CallerIsNotManagementAccountException"),
    ]
    assert applied.outcomes[0].result == {"OrganizationId": ORGANIZATION, "EnabledFeatures": ["RootCredentialsManagement"]}


def test_no_trusted_access_plans_it_first_and_its_failure_skips_the_rest(tmp_path: Path) -> None:
    clients = StubbedClients()
    clients.stub("admin", "iam").add_client_error(
        "list_organizations_features", "ServiceAccessNotEnabledException", "The request was rejected because trusted access is not enabled for IAM in AWS Organizations.", 400
    )
    plan = _plan(tmp_path, clients, "organizations_centralized_root_access")
    assert [(c.action, dict(c.parameters)) for c in plan.calls] == [
        ("organizations:EnableAWSServiceAccess", {"ServicePrincipal": "iam.amazonaws.com"}),
        ("iam:EnableOrganizationsRootCredentialsManagement", {}),
        ("iam:EnableOrganizationsRootSessions", {}),
    ]
    clients.stub("admin", "organizations").add_client_error(
        "enable_aws_service_access", "AccessDeniedException", "You don't have permissions to access this resource.", 400, expected_params={"ServicePrincipal": "iam.amazonaws.com"}
    )
    applied = apply_plan(plan, clients, Journal.discard())
    clients.assert_all_used()
    assert [(o.status, o.error_code) for o in applied.outcomes] == [("failed", "AccessDeniedException"), ("skipped", "NotAttempted"), ("skipped", "NotAttempted")]
    assert applied.outcomes[1].error_message == "call 1 it needs did not succeed"


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("AccountNotManagementOrDelegatedAdministratorException", "The request was rejected because the account making the request is not the management account or delegated administrator account for centralized root access.",
         "neither the management account's nor the IAM delegated administrator's"),
        ("OrganizationNotInAllFeaturesModeException", "The request was rejected because your organization does not have All features enabled.",
         "iam:ListOrganizationsFeatures failed: OrganizationNotInAllFeaturesModeException"),
    ],
)  # fmt: skip
def test_documented_errors_of_list_organizations_features_stop_the_plan(tmp_path: Path, code: str, message: str, expected: str) -> None:
    clients = StubbedClients()
    clients.stub("admin", "iam").add_client_error("list_organizations_features", code, message, 400)
    plan = _plan(tmp_path, clients, "root_no_access_keys")
    assert plan.calls == []
    (stop,) = plan.remarks
    assert stop.kind == "stopped" and expected in stop.message


def test_assume_root_errors(tmp_path: Path) -> None:
    """RegionDisabledException while planning stops the plan; ExpiredTokenException while applying
    skips the deletions that need the session."""
    clients = StubbedClients()
    _features(clients, "RootCredentialsManagement", "RootSessions")
    clients.stub("admin", "sts").add_client_error("assume_root", "RegionDisabledException", "STS is not activated in this region for account:111111111111.", 403)
    plan = _plan(tmp_path, clients, "root_no_access_keys")
    assert plan.calls == [] and "sts:AssumeRoot (IAMAuditRootUserCredentials) and iam:List* failed: RegionDisabledException" in plan.remarks[0].message

    clients = StubbedClients()
    _features(clients, "RootCredentialsManagement", "RootSessions")
    _audit(clients, keys=[KEY, "AKIAROOTKEY000000002"], certificates=[], password=False, devices=[])
    plan = _plan(tmp_path, clients, "root_no_access_keys")
    clients.stub("admin", "sts").add_client_error("assume_root", "ExpiredTokenException", "The security token included in the request is expired", 400)
    applied = apply_plan(plan, clients, Journal.discard())
    clients.assert_all_used()
    assert [(o.call.action, o.status) for o in applied.outcomes] == [("sts:AssumeRoot", "failed"), ("iam:DeleteAccessKey", "skipped"), ("iam:DeleteAccessKey", "skipped")]


def test_management_account_and_accounts_outside_an_organization(tmp_path: Path) -> None:
    clients = StubbedClients()
    plan = _plan(tmp_path, clients, "root_no_access_keys", account=MANAGEMENT)
    assert "centralized root access does not cover its own root user" in plan.remarks[0].message
    clients.assert_all_used()  # nothing asked of AWS

    clients = StubbedClients(admin_account="333333333333")
    _features(clients)
    plan = _plan(tmp_path, clients, "organizations_centralized_root_access")
    assert plan.calls == [] and f"only its management account {MANAGEMENT} can enable it" in plan.remarks[0].message
