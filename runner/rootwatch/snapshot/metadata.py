"""The snapshot's own metadata tables: what was captured, when, from where, and what failed.

``captured_at`` is the default as-of instant for grading the snapshot, so that it grades the same
whenever it is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

FORMAT_VERSION = 2
"""The newest snapshot format this rootwatch writes and reads (it reads every older one too).

1. Every table of the mod's schema is a table.
2. ``aws_cloudtrail_trail_event`` may instead be a view over ``rootwatch_cloudtrail_records``, the
   records of a load that kept every CloudTrail record (:mod:`rootwatch.snapshot.cloudtrail_view`),
   joined, in snapshots written since, to ``rootwatch_cloudtrail_files``, their log files:
   a rootwatch that reads only version 1 would not export the view to Parquet, so it must refuse.

A snapshot is written with the oldest version that describes it (:data:`PLAIN_FORMAT_VERSION`
unless it holds the view), so that an older rootwatch still reads all it can.
"""
PLAIN_FORMAT_VERSION = 1
"""The format version of a snapshot whose tables are all tables."""

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

    def uncaptured_regions(self) -> dict[str, dict[str, frozenset[str]]]:
        """Per account and table, the regions a table was not captured in, for a table that was missed
        only region by region (every ``not_captured`` issue of it for that account names a region).
        A table missing for the whole account is left out: :meth:`uncaptured_tables` covers it."""
        regions: dict[tuple[str, str], set[str]] = {}
        whole: set[tuple[str, str]] = set()
        for issue in self.issues:
            if issue.kind != NOT_CAPTURED or not issue.account_id or not issue.source:
                continue
            key = (issue.account_id, issue.source)
            if issue.region:
                regions.setdefault(key, set()).add(issue.region)
            else:
                whole.add(key)
        found: dict[str, dict[str, frozenset[str]]] = {}
        for (account, table), names in regions.items():
            if (account, table) not in whole:
                found.setdefault(account, {})[table] = frozenset(names)
        return found

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


def format_refusal(info: SnapshotInfo, verb: str) -> tuple[str, str] | None:
    """Why this rootwatch will not ``verb`` (``read``, ``export``, ``merge``) a snapshot of ``info``'s
    format version, as ``(message, hint)``; None when it will. The message follows the word
    "snapshot" and the file's name in the caller's sentence ("snapshot org.duckdb has format version
    3; ...").

    A newer version may hold rows this rootwatch would not find (as version 2's view was to version
    1), so every reader refuses it rather than report too little; a version below
    :data:`PLAIN_FORMAT_VERSION` was never written by any rootwatch.
    """
    version = info.format_version
    if PLAIN_FORMAT_VERSION <= version <= FORMAT_VERSION:
        return None
    if version > FORMAT_VERSION:
        return (
            f"has format version {version}; this rootwatch can {verb} format version {FORMAT_VERSION} and older: "
            f"it was written by a newer rootwatch ({info.tool_version})",
            f"upgrade rootwatch to {verb} it, or rebuild the snapshot with this version",
        )
    return (
        f"has format version {version}, which no rootwatch writes (this one can {verb} versions "
        f"{PLAIN_FORMAT_VERSION} to {FORMAT_VERSION})",
        "rebuild the snapshot with this rootwatch version",
    )


def snapshot_info_from_dict(data: Mapping[str, Any]) -> SnapshotInfo:
    """The SnapshotInfo that :meth:`SnapshotInfo.as_dict` gave ``data`` (a Parquet export's manifest
    carries it, so an engine reading the export knows the capture time and what was not captured)."""

    def instant(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    return SnapshotInfo(
        captured_at=datetime.fromisoformat(data["captured_at"]),
        source=str(data["source"]),
        tool_version=str(data.get("tool_version") or ""),
        created_at=datetime.fromisoformat(data["created_at"]),
        source_detail=data.get("source_detail"),
        format_version=int(data.get("format_version") or FORMAT_VERSION),
        accounts=tuple(
            AccountInfo(
                str(a["account_id"]),
                tuple(a.get("regions") or ()),
                instant(a.get("credential_report_generated_at")),
                a.get("source"),
                instant(a.get("captured_at")),
            )
            for a in data.get("accounts") or ()
        ),
        issues=tuple(
            SnapshotIssue(str(i["kind"]), str(i["message"]), i.get("account_id"), i.get("region"), i.get("source"))
            for i in data.get("issues") or ()
        ),
    )


def read_snapshot_info(cursor: Any) -> SnapshotInfo | None:
    """The metadata of the DuckDB database behind ``cursor``, or None when it has none."""
    (database,) = cursor.execute("SELECT current_database()").fetchone()
    columns: dict[str, list[str]] = {}
    for table, column in cursor.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name LIKE 'rootwatch_snapshot%' ORDER BY table_name, column_index"
    ).fetchall():
        columns.setdefault(table, []).append(column)
    return read_snapshot_infos(cursor, [database], {database: columns}).get(database)


def read_snapshot_infos(
    connection: Any, databases: Sequence[str], columns: Mapping[str, Mapping[str, Sequence[str]]]
) -> dict[str, SnapshotInfo]:
    """The metadata of each attached database in ``databases`` that has it, in three queries for
    all of them (a merge reads thousands of inputs). ``columns[database][table]`` lists the columns
    each database's tables have, so that files written before a column existed still read."""
    from rootwatch.schema.tables import quote_identifier

    def select(database: str, columns: str, table: str) -> str:
        label = database.replace("'", "''")
        return f"SELECT '{label}' AS db, {columns} FROM {quote_identifier(database)}.main.{table}"

    with_head = [db for db in databases if "rootwatch_snapshot" in columns.get(db, {})]
    if not with_head:
        return {}
    heads = connection.execute(
        " UNION ALL ".join(
            "(" + select(db, f"format_version, {_utc('captured_at')}, source, source_detail, tool_version, {_utc('created_at')}",
                         "rootwatch_snapshot") + " LIMIT 1)"
            for db in with_head
        )
    ).fetchall()
    accounts: dict[str, list[AccountInfo]] = {}
    listed = [db for db in with_head if "rootwatch_snapshot_accounts" in columns[db]]
    if listed:
        query = " UNION ALL ".join(
            select(
                db,
                f"account_id, CAST(regions AS VARCHAR) AS regions, {_utc('credential_report_generated_at')}, source, "
                # files written before per-account capture times
                + (_utc("captured_at") if "captured_at" in columns[db]["rootwatch_snapshot_accounts"] else "CAST(NULL AS TIMESTAMP)")
                + " AS captured_at",
                "rootwatch_snapshot_accounts",
            )
            for db in listed
        )
        # Accounts mostly list the same regions: one tuple per distinct list (at 10,000 accounts in
        # 17 regions, 170,000 strings and 10 MB otherwise, held for the whole run).
        region_lists: dict[str, tuple[str, ...]] = {}
        for db, account_id, regions, generated, origin, captured in connection.execute(
            f"SELECT * FROM ({query}) ORDER BY db, account_id"
        ).fetchall():
            if regions and regions not in region_lists:
                region_lists[regions] = tuple(json.loads(regions))
            accounts.setdefault(db, []).append(
                AccountInfo(account_id, region_lists[regions] if regions else (), _aware(generated), origin, _aware(captured))
            )
    issues: dict[str, list[SnapshotIssue]] = {}
    recorded = [db for db in with_head if "rootwatch_snapshot_issues" in columns[db]]
    if recorded:
        query = " UNION ALL ".join(
            select(db, "kind, message, account_id, region, source", "rootwatch_snapshot_issues")
            for db in recorded
        )
        for db, *issue in connection.execute(
            f"SELECT * FROM ({query}) ORDER BY db, kind, account_id NULLS FIRST, region NULLS FIRST, source NULLS FIRST"
        ).fetchall():
            issues.setdefault(db, []).append(SnapshotIssue(*issue))
    return {
        db: SnapshotInfo(
            captured_at=_aware(captured_at),  # type: ignore[arg-type]  # NULL in a damaged file: the engine says so
            source=origin,
            tool_version=tool_version,
            created_at=_aware(created_at),  # type: ignore[arg-type]
            source_detail=detail,
            format_version=format_version,
            accounts=tuple(accounts.get(db, ())),
            issues=tuple(issues.get(db, ())),
        )
        for db, format_version, captured_at, origin, detail, tool_version, created_at in heads
    }


def _utc(column: str) -> str:
    """``column`` (TIMESTAMPTZ) as a UTC wall-clock TIMESTAMP, for :func:`_aware`.

    Why not the TIMESTAMPTZ itself: DuckDB hands those to Python in the session's time zone, which
    imports zoneinfo and builds a zone (milliseconds of a small run's budget), and the same snapshot
    would read with another offset on a machine set to another zone."""
    return f"timezone('UTC', {column})"


def _aware(value: datetime | None) -> datetime | None:
    """A UTC wall-clock time read through :func:`_utc`, made timezone-aware again."""
    return value.replace(tzinfo=timezone.utc) if value is not None else None
