"""Credentials of a remediation: the accounts' own sessions, the organization's administrator, and
the root sessions that ``sts:AssumeRoot`` opens.

Accounts are reached exactly as ``snapshot from-aws`` reaches them (its option checks and session
code, :func:`rootwatch.snapshot.from_aws.account_sessions`), so a plan is made, applied and
verified with one set of credentials:

* ``--role-name R``: role ``R`` is assumed in each account with a finding, from the base
  credentials (the one ``--profile`` or the default chain); the base credentials are also the
  ``admin`` that calls Organizations, the centralized-root-access APIs and ``sts:AssumeRoot``, so
  they should be the management account's or the IAM delegated administrator's;
* ``--profile P`` (repeatable): one account per profile; the profile of the organization's
  management account, when given, is the ``admin``;
* neither: the default credential chain, one account, which is its own ``admin``.

Everything that makes a client goes through :class:`ClientSource`, so tests can hand the executor
and the live reads botocore clients with a ``Stubber`` attached.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rootwatch.remediate.model import Actor
from rootwatch.snapshot.from_aws_report import AwsFailure, Backoff

DEFAULT_REGION = "us-east-1"


class AccessFailed(AwsFailure):
    """A session could not be opened (a role that cannot be assumed, credentials that do not work)."""


class ClientSource(Protocol):
    """Where the live reads and the executor get their boto3 clients."""

    def client(self, actor: Actor, account_id: str, service: str, region: str) -> Any:
        """A client acting as ``actor`` for ``account_id``; raises :class:`AccessFailed`."""
        ...

    def identity(self, actor: Actor, account_id: str) -> Mapping[str, str]:
        """``sts get-caller-identity`` of that actor (Account, Arn, UserId), asked once."""
        ...

    def open_root_session(self, account_id: str, credentials: Mapping[str, Any], *, purpose: str) -> None:
        """Keep the credentials ``sts:AssumeRoot`` returned; ``purpose`` ``audit`` (reading, while
        planning) or ``delete`` (the ``root`` actor of the plan's calls)."""
        ...

    def admin_region(self) -> str:
        """The region the administrator's STS calls go to (AssumeRoot needs a regional endpoint)."""
        ...

    def admin_account(self) -> str | None:
        """The administrator's account id, or None when no credentials can act as it."""
        ...


@dataclass(frozen=True)
class AccessOptions:
    """The ``snapshot from-aws`` credential options a remediation takes."""

    profiles: tuple[str, ...] = ()
    role_name: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None
    backoff: Backoff = Backoff()
    """Waiting for each account's credential report when it is re-read."""

    def capture_options(self, output: Path, account_ids: Collection[str], profiles: Collection[str], regions: Collection[str]) -> Any:
        """Options of ``snapshot from-aws`` that re-read ``account_ids`` (role mode) or ``profiles``."""
        from rootwatch.snapshot.from_aws import AwsCaptureOptions

        return AwsCaptureOptions(
            output=output,
            profiles=tuple(profiles) if not self.role_name else self.profiles,
            role_name=self.role_name,
            account_ids=tuple(sorted(account_ids)) if self.role_name else (),
            regions=tuple(sorted(regions)),
            endpoint_url=self.endpoint_url,
            external_id=self.external_id,
            backoff=self.backoff,
            overwrite=True,
        )


class AwsAccess:
    """The production :class:`ClientSource`: boto3 sessions from the ``snapshot from-aws`` options."""

    def __init__(self, options: AccessOptions) -> None:
        self.options = options
        self._sessions: dict[str, Any] = {}
        self._profiles: dict[str, str] = {}
        self._unreachable: dict[str, str] = {}
        self._root: dict[tuple[str, str], Any] = {}
        self._identities: dict[tuple[str, str], Mapping[str, str]] = {}
        self._admin: Any = None
        self._admin_account: str | None = None

    # ---- reaching accounts -------------------------------------------------------------------

    def reach(self, account_ids: Collection[str], management: Mapping[str, str]) -> dict[str, str]:
        """Open a session for each of ``account_ids``; returns account → why it cannot be reached.

        ``management`` (account → its organization's management account) picks the ``admin``
        among profiles. Usage errors (an unknown profile, a bad endpoint) raise before any call.
        """
        from rootwatch.snapshot.from_aws import AwsCaptureOptions, account_sessions, profile_session

        wanted = set(account_ids)
        capture = AwsCaptureOptions(
            output=Path("unused"),
            profiles=self.options.profiles,
            role_name=self.options.role_name,
            account_ids=tuple(sorted(wanted)) if self.options.role_name else (),
            endpoint_url=self.options.endpoint_url,
            external_id=self.options.external_id,
        )
        for target in account_sessions(capture):
            try:
                session = target.open()
                account_id = target.account_id or self._caller(session)["Account"]
            except Exception as exc:  # noqa: BLE001 - botocore raises many unrelated types for bad credentials
                if target.account_id:
                    self._unreachable[target.account_id] = _failure(target.source, exc)
                continue
            if account_id in wanted and account_id not in self._sessions:
                self._sessions[account_id] = session
                if self.options.profiles and not self.options.role_name:
                    self._profiles[account_id] = target.label  # a profile's label is its name
        if self.options.role_name:
            self._admin = profile_session(self.options.profiles[0] if self.options.profiles else None)
        else:
            masters = {management.get(a) for a in wanted} - {None}
            admin_account = next((a for a in sorted(masters) if a in self._sessions), None)
            if admin_account is None and len(self._sessions) == 1 and not self.options.profiles:
                admin_account = next(iter(self._sessions))  # the default chain is its own admin
            self._admin = self._sessions.get(admin_account) if admin_account else None
        missing = {a: self._unreachable.get(a, self._not_given(a)) for a in sorted(wanted - set(self._sessions))}
        return missing

    def _not_given(self, account_id: str) -> str:
        if self.options.profiles:
            return f"no --profile reaches account {account_id} (add one for it, or use --role-name)"
        return f"the default credentials are not account {account_id}'s (pass --profile or --role-name)"

    def reachable(self) -> list[str]:
        return sorted(self._sessions)

    def profiles_of(self, account_ids: Collection[str]) -> list[str]:
        """The profiles that reach ``account_ids`` (what a re-read in profile mode passes on)."""
        return sorted({self._profiles[a] for a in account_ids if a in self._profiles})

    # ---- ClientSource ------------------------------------------------------------------------

    def client(self, actor: Actor, account_id: str, service: str, region: str) -> Any:
        from rootwatch.snapshot.from_aws_account import ReadSettings, client

        session = self._session(actor, account_id)
        return client(session, service, region, ReadSettings(endpoint_url=self.options.endpoint_url))

    def identity(self, actor: Actor, account_id: str) -> Mapping[str, str]:
        key = (actor, account_id if actor != "admin" else "")
        if key not in self._identities:
            found = self.client(actor, account_id, "sts", self.admin_region()).get_caller_identity()
            self._identities[key] = {k: found[k] for k in ("Account", "Arn", "UserId") if k in found}
        return self._identities[key]

    def open_root_session(self, account_id: str, credentials: Mapping[str, Any], *, purpose: str) -> None:
        import boto3

        self._root[(purpose, account_id)] = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def admin_region(self) -> str:
        return getattr(self._admin, "region_name", None) or DEFAULT_REGION

    def admin_account(self) -> str | None:
        """The administrator's account id, or None when no credentials can act as it."""
        if self._admin is None:
            return None
        if self._admin_account is None:
            self._admin_account = self.identity("admin", "")["Account"]
        return self._admin_account

    def _session(self, actor: Actor | str, account_id: str) -> Any:
        if actor == "admin":
            if self._admin is None:
                raise AccessFailed("NoAdministrator", "no credentials of the organization's management account or IAM delegated administrator")
            return self._admin
        if actor == "account":
            if account_id not in self._sessions:
                raise AccessFailed("NotReachable", self._unreachable.get(account_id, self._not_given(account_id)))
            return self._sessions[account_id]
        purpose = "audit" if actor == "root-audit" else "delete"
        if (purpose, account_id) not in self._root:
            raise AccessFailed("NoRootSession", f"no root session of account {account_id} was opened")
        return self._root[(purpose, account_id)]

    def _caller(self, session: Any) -> Mapping[str, str]:
        from rootwatch.snapshot.from_aws_account import ReadSettings, client

        sts = client(session, "sts", session.region_name or DEFAULT_REGION, ReadSettings(endpoint_url=self.options.endpoint_url))
        return sts.get_caller_identity()


def _failure(source: str, exc: BaseException) -> str:
    from rootwatch.snapshot.from_aws_account import aws_error

    code, message = aws_error(exc)
    return f"{source}: {code}: {message}"
