"""botocore Stubber clients for the calls moto does not serve (``sts:AssumeRoot``, IAM's
organization root-access features): every request is checked against the exact parameters the
test expects, and every response (or documented error) is the test's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore.session
from botocore.stub import Stubber
from rootwatch.remediate.findings import Grades
from rootwatch.remediate.state import FreshState
from rootwatch.results import ResultRow
from rootwatch.status import Status

MANAGEMENT = "111111111111"
MEMBER = "222222222222"
ORGANIZATION = "o-abcdefghij"
ADMIN_ARN = f"arn:aws:iam::{MANAGEMENT}:role/SecurityAdmin"


def credentials(key: str = "ASIAROOTSESSION0001") -> dict[str, Any]:
    return {"AccessKeyId": key, "SecretAccessKey": "secret", "SessionToken": "token", "Expiration": datetime.now(timezone.utc) + timedelta(minutes=15)}


class StubbedClients:
    """A ClientSource whose clients are botocore clients with a Stubber, one per (actor, service)."""

    def __init__(self, admin_account: str | None = MANAGEMENT) -> None:
        self._session = botocore.session.get_session()
        self._clients: dict[tuple[str, str], tuple[Any, Stubber]] = {}
        self._admin_account = admin_account
        self.root_sessions: list[tuple[str, str, str]] = []

    def stub(self, actor: str, service: str) -> Stubber:
        if (actor, service) not in self._clients:
            client = self._session.create_client(service, region_name="us-east-1", aws_access_key_id="AKIATEST", aws_secret_access_key="test")
            stubber = Stubber(client)
            stubber.activate()
            self._clients[(actor, service)] = (client, stubber)
        return self._clients[(actor, service)][1]

    def assert_all_used(self) -> None:
        for _client, stubber in self._clients.values():
            stubber.assert_no_pending_responses()

    # ---- ClientSource ------------------------------------------------------------------------

    def client(self, actor: str, account_id: str, service: str, region: str) -> Any:
        self.stub(actor, service)
        return self._clients[(actor, service)][0]

    def identity(self, actor: str, account_id: str) -> Mapping[str, str]:
        return {"Account": MANAGEMENT if actor == "admin" else account_id, "Arn": ADMIN_ARN if actor == "admin" else f"arn:aws:iam::{account_id}:role/Remediator"}

    def open_root_session(self, account_id: str, credentials: Mapping[str, Any], *, purpose: str) -> None:
        self.root_sessions.append((account_id, purpose, credentials["AccessKeyId"]))

    def admin_region(self) -> str:
        return "us-east-1"

    def admin_account(self) -> str | None:
        return self._admin_account


def organization_state(tmp: Path, alarms: Mapping[tuple[str, str], str]) -> FreshState:
    """A fresh re-read of an organization's management account and one member, graded with
    ``alarms`` ((control, account) → reason) and everything else absent."""
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    path = tmp / "fresh.duckdb"
    now = datetime.now(timezone.utc)
    with SnapshotWriter(path, source="aws", captured_at=now, overwrite=True) as writer:
        for account_id in (MANAGEMENT, MEMBER):
            writer.add_rows("aws_account", [{
                "account_id": account_id, "partition": "aws", "region": "global", "organization_id": ORGANIZATION,
                "organization_master_account_id": MANAGEMENT, "account_aliases": [],
            }])  # fmt: skip
            writer.add_account(AccountInfo(account_id, ("us-east-1",), now, "aws test", now))
    rows = {key: ResultRow(f"arn:aws:iam::{key[1]}:root", Status.ALARM, reason, (("account_id", key[1]),)) for key, reason in alarms.items()}
    return FreshState(path, Grades(rows, {}), (MANAGEMENT, MEMBER), {}, now)


def graded_state(rows: Mapping[tuple[str, str], tuple[Status, str]], captured: tuple[str, ...]) -> FreshState:
    """A re-read that holds only graded rows (what the verdicts are judged from)."""
    graded = {key: ResultRow(f"arn:aws:iam::{key[1]}:root", status, reason, (("account_id", key[1]),)) for key, (status, reason) in rows.items()}
    return FreshState(None, Grades(graded, {}), captured, {}, datetime.now(timezone.utc))
