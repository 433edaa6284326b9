"""The snapshot's own metadata tables: what was captured, when, from where, and what failed.

``captured_at`` is the default as-of instant for grading the snapshot, so that it grades the same
whenever it is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FORMAT_VERSION = 1

METADATA_DDL = (
    """CREATE TABLE rootwatch_snapshot (
  format_version INTEGER NOT NULL,
  captured_at TIMESTAMPTZ NOT NULL,
  source VARCHAR NOT NULL,
  source_detail VARCHAR,
  tool_version VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
)""",
    """CREATE TABLE rootwatch_snapshot_accounts (
  account_id VARCHAR NOT NULL,
  regions JSON,
  credential_report_generated_at TIMESTAMPTZ,
  source VARCHAR,
  captured_at TIMESTAMPTZ
)""",
    """CREATE TABLE rootwatch_snapshot_issues (
  account_id VARCHAR,
  region VARCHAR,
  kind VARCHAR NOT NULL,
  source VARCHAR,
  message VARCHAR NOT NULL
)""",
)
METADATA_TABLES = ("rootwatch_snapshot", "rootwatch_snapshot_accounts", "rootwatch_snapshot_issues")

NOT_CAPTURED = "not_captured"
"""Issue kind: a table this capture did not read for an account (``source`` names the table), so
its emptiness is no evidence. Controls that need the table grade that account ``skip``."""

FAILED_CALL_TABLES: dict[str, str] = {
    "iam:GetCredentialReport": "aws_iam_credential_report",
    "iam:GetAccountSummary": "aws_iam_account_summary",
    "iam:ListVirtualMFADevices": "aws_iam_virtual_mfa_device",
}
"""Account-wide API calls whose recorded failure (an ``error`` issue, ``source`` the call) leaves
the account's rows of a table missing, not empty. An empty virtual MFA device list would otherwise
read as "no virtual device", a hardware MFA pass. Regional calls are not listed: one region that
fails hides nothing that another region's listing does not show (multi-region trails appear in
every region)."""


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    regions: tuple[str, ...] = ()
    credential_report_generated_at: datetime | None = None
    source: str | None = None
    captured_at: datetime | None = None
    """When this account's data was read (a merged snapshot keeps each account's own time)."""


@dataclass(frozen=True)
class SnapshotIssue:
    """Something that did not make it into the snapshot: an ``error`` (an account or region that
    failed) or a ``skipped_file`` (bad input passed over with ``--skip-bad-files``)."""

    kind: str
    message: str
    account_id: str | None = None
    region: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class SnapshotInfo:
    captured_at: datetime
    source: str
    tool_version: str
    created_at: datetime
    source_detail: str | None = None
    format_version: int = FORMAT_VERSION
    accounts: tuple[AccountInfo, ...] = field(default_factory=tuple)
    issues: tuple[SnapshotIssue, ...] = field(default_factory=tuple)

    def uncaptured_tables(self) -> dict[str, frozenset[str]]:
        """Per account, the tables this snapshot did not capture: ``not_captured`` issues, and the
        tables of account-wide calls that failed (:data:`FAILED_CALL_TABLES`)."""
        found: dict[str, set[str]] = {}
        for issue in self.issues:
            if not issue.account_id or not issue.source:
                continue
            if issue.kind == NOT_CAPTURED:
                found.setdefault(issue.account_id, set()).add(issue.source)
            elif issue.kind == "error" and issue.source in FAILED_CALL_TABLES:
                found.setdefault(issue.account_id, set()).add(FAILED_CALL_TABLES[issue.source])
        return {account: frozenset(tables) for account, tables in found.items()}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dictionary (``snapshot info --output json``)."""
        return {
            "format_version": self.format_version,
            "captured_at": self.captured_at.isoformat(),
            "source": self.source,
            "source_detail": self.source_detail,
            "tool_version": self.tool_version,
            "created_at": self.created_at.isoformat(),
            "accounts": [
                {
                    "account_id": a.account_id,
                    "regions": list(a.regions),
                    "credential_report_generated_at": a.credential_report_generated_at.isoformat()
                    if a.credential_report_generated_at
                    else None,
                    "source": a.source,
                    "captured_at": a.captured_at.isoformat() if a.captured_at else None,
                }
                for a in self.accounts
            ],
            "issues": [
                {
                    "kind": i.kind,
                    "account_id": i.account_id,
                    "region": i.region,
                    "source": i.source,
                    "message": i.message,
                }
                for i in self.issues
            ],
        }


def read_snapshot_info(cursor: Any) -> SnapshotInfo | None:
    """The metadata of the DuckDB database behind ``cursor``, or None when it has none."""
    present = {
        name
        for (name,) in cursor.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'rootwatch_snapshot%' "
            "AND database_name = current_database() AND schema_name = current_schema()"
        ).fetchall()
    }
    if "rootwatch_snapshot" not in present:
        return None
    head = cursor.execute(
        "SELECT format_version, captured_at, source, source_detail, tool_version, created_at "
        "FROM rootwatch_snapshot LIMIT 1"
    ).fetchall()
    if not head:
        return None
    format_version, captured_at, source, detail, tool_version, created_at = head[0]
    accounts: tuple[AccountInfo, ...] = ()
    if "rootwatch_snapshot_accounts" in present:
        has_time = cursor.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'rootwatch_snapshot_accounts' "
            "AND column_name = 'captured_at' AND database_name = current_database() AND schema_name = current_schema()"
        ).fetchall()[0][0]
        rows = cursor.execute(
            "SELECT account_id, CAST(regions AS VARCHAR), credential_report_generated_at, source, "
            + ("captured_at" if has_time else "NULL")  # files written before per-account capture times
            + " FROM rootwatch_snapshot_accounts ORDER BY account_id"
        ).fetchall()
        accounts = tuple(
            AccountInfo(a, tuple(json.loads(r)) if r else (), g, s, c) for a, r, g, s, c in rows
        )
    issues: tuple[SnapshotIssue, ...] = ()
    if "rootwatch_snapshot_issues" in present:
        rows = cursor.execute(
            "SELECT kind, message, account_id, region, source FROM rootwatch_snapshot_issues "
            "ORDER BY kind, account_id NULLS FIRST, region NULLS FIRST, source NULLS FIRST"
        ).fetchall()
        issues = tuple(SnapshotIssue(*row) for row in rows)
    return SnapshotInfo(
        captured_at=captured_at,
        source=source,
        tool_version=tool_version,
        created_at=created_at,
        source_detail=detail,
        format_version=format_version,
        accounts=accounts,
        issues=issues,
    )
