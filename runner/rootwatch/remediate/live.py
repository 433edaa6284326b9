"""Read-only AWS calls a plan makes where the fresh snapshot holds nothing: whether a log group,
role or topic exists, a topic's subscriptions, the organization's root-access features, and the
root credentials of a member account (through an ``IAMAuditRootUserCredentials`` session).

Each answer is asked once per plan. A failed read raises :class:`LiveReadFailed` naming the call,
and the action turns it into a ``stopped`` remark: a plan is never built on a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rootwatch.remediate.access import AccessFailed, ClientSource
from rootwatch.remediate.model import Actor
from rootwatch.snapshot.from_aws_report import AwsFailure

T = TypeVar("T")

ROOT_TASK_POLICY = "arn:{partition}:iam::aws:policy/root-task/{task}"
AUDIT_TASK = "IAMAuditRootUserCredentials"
DELETE_TASK = "IAMDeleteRootUserCredentials"
ROOT_SESSION_SECONDS = 900
"""The longest privileged session AWS allows (and its default)."""

_NOT_FOUND = {"NoSuchEntity", "NotFound", "ResourceNotFoundException"}


class LiveReadFailed(AwsFailure):
    """A read a plan needs failed; ``action`` names the call (``sns:GetTopicAttributes``)."""

    def __init__(self, action: str, code: str, message: str) -> None:
        super().__init__(code, message)
        self.action = action

    def __str__(self) -> str:
        return f"{self.action} failed: {self.code}: {self.message}"


@dataclass(frozen=True)
class OrganizationFeatures:
    """``iam:ListOrganizationsFeatures`` as the administrator sees it."""

    organization_id: str | None
    enabled: frozenset[str]


@dataclass(frozen=True)
class RootCredentials:
    """A member account's root credentials, as its audit session lists them."""

    access_keys: tuple[tuple[str, str], ...]
    """(AccessKeyId, Status) of each root access key."""
    certificates: tuple[tuple[str, str], ...]
    """(CertificateId, Status) of each root signing certificate."""
    password: bool
    mfa_devices: tuple[str, ...]
    """Serial numbers of the root user's MFA devices."""


def global_region(partition: str) -> str:
    """Where IAM, STS and Organizations are called in ``partition``."""
    from rootwatch.snapshot.from_aws_account import GLOBAL_SERVICE_REGION

    return GLOBAL_SERVICE_REGION.get(partition, "us-east-1")


def task_policy_arn(partition: str, task: str) -> str:
    return ROOT_TASK_POLICY.format(partition=partition, task=task)


def same_error(code: str, name: str) -> bool:
    """IAM's centralized-root-access errors are spelled with and without ``Exception``."""
    return code.removesuffix("Exception") == name.removesuffix("Exception")


class LiveReads:
    """Cached read-only calls for one plan."""

    def __init__(self, clients: ClientSource) -> None:
        self._clients = clients
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _ask(self, key: tuple[Any, ...], action: str, read: Callable[[], T]) -> T:
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        from rootwatch.snapshot.from_aws_account import aws_error

        if key not in self._cache:
            try:
                self._cache[key] = read()
            except (AccessFailed, ClientError, BotoCoreError, ResponseParserError) as exc:  # the last: an endpoint answering HTML
                raise LiveReadFailed(action, *aws_error(exc)) from None
        return self._cache[key]

    def _client(self, actor: Actor, account_id: str, service: str, region: str) -> Any:
        return self._clients.client(actor, account_id, service, region)

    def log_group_exists(self, account_id: str, region: str, name: str) -> bool:
        def read() -> bool:
            pages = self._client("account", account_id, "logs", region).get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
            return any(group.get("logGroupName") == name for page in pages for group in page.get("logGroups", []))

        return self._ask(("log-group", account_id, region, name), "logs:DescribeLogGroups", read)

    def role_exists(self, account_id: str, region: str, name: str) -> bool:
        return self._ask(("role", account_id, name), "iam:GetRole", lambda: self._exists(lambda: self._client("account", account_id, "iam", region).get_role(RoleName=name)))

    def role_policy_exists(self, account_id: str, region: str, role: str, policy: str) -> bool:
        def read() -> bool:
            return self._exists(lambda: self._client("account", account_id, "iam", region).get_role_policy(RoleName=role, PolicyName=policy))

        return self._ask(("role-policy", account_id, role, policy), "iam:GetRolePolicy", read)

    def topic_exists(self, account_id: str, region: str, topic_arn: str) -> bool:
        def read() -> bool:
            return self._exists(lambda: self._client("account", account_id, "sns", region).get_topic_attributes(TopicArn=topic_arn))

        return self._ask(("topic", topic_arn), "sns:GetTopicAttributes", read)

    def topic_subscriptions(self, account_id: str, region: str, topic_arn: str) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            pages = self._client("account", account_id, "sns", region).get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
            return [subscription for page in pages for subscription in page.get("Subscriptions", [])]

        return self._ask(("subscriptions", topic_arn), "sns:ListSubscriptionsByTopic", read)

    def organization_features(self) -> OrganizationFeatures:
        def read() -> OrganizationFeatures:
            found = self._client("admin", "", "iam", self._clients.admin_region()).list_organizations_features()
            return OrganizationFeatures(found.get("OrganizationId"), frozenset(found.get("EnabledFeatures") or ()))

        return self._ask(("features",), "iam:ListOrganizationsFeatures", read)

    def root_credentials(self, account_id: str, partition: str) -> RootCredentials:
        """Open an audit session in the member (``sts:AssumeRoot``) and list its root credentials."""

        def read() -> RootCredentials:
            sts = self._client("admin", "", "sts", self._clients.admin_region())
            opened = sts.assume_root(
                TargetPrincipal=account_id,
                TaskPolicyArn={"arn": task_policy_arn(partition, AUDIT_TASK)},
                DurationSeconds=ROOT_SESSION_SECONDS,
            )
            self._clients.open_root_session(account_id, opened["Credentials"], purpose="audit")
            iam = self._client("root-audit", account_id, "iam", global_region(partition))
            keys = tuple((k["AccessKeyId"], k.get("Status", "")) for k in iam.list_access_keys().get("AccessKeyMetadata", []))
            certificates = tuple((c["CertificateId"], c.get("Status", "")) for c in iam.list_signing_certificates().get("Certificates", []))
            password = self._exists(iam.get_login_profile)
            devices = tuple(d["SerialNumber"] for d in iam.list_mfa_devices().get("MFADevices", []))
            return RootCredentials(keys, certificates, password, devices)

        return self._ask(("root", account_id), "sts:AssumeRoot (IAMAuditRootUserCredentials) and iam:List*", read)

    @staticmethod
    def _exists(read: Callable[[], Any]) -> bool:
        from botocore.exceptions import ClientError

        try:
            read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return False
            raise
        return True
