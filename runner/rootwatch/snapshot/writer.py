"""Writing a snapshot atomically: build in a temporary file beside the target, then rename.

An interrupted or failed build leaves the target untouched (no half snapshot); a finished one
appears in a single ``os.replace``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from rootwatch.errors import UsageError
from rootwatch.schema.tables import load_tables
from rootwatch.snapshot.loading import insert_duckdb
from rootwatch.snapshot.metadata import (
    FORMAT_VERSION,
    METADATA_DDL,
    AccountInfo,
    SnapshotIssue,
)


class SnapshotWriter:
    """Context manager that writes one snapshot file.

    Use ``add_rows`` per table, ``add_account`` and ``add_issue`` for the metadata, then leave the
    ``with`` block normally to publish the file; an exception discards everything.
    """

    def __init__(
        self,
        output: Path,
        *,
        source: str,
        captured_at: datetime | None = None,
        source_detail: str | None = None,
        overwrite: bool = True,
    ) -> None:
        if output.exists() and not overwrite:
            raise UsageError(f"{output} exists", hint="pass --force to replace it")
        if output.is_dir():
            raise UsageError(f"{output} is a directory", hint="-o names the snapshot file to write")
        self.output = output
        self.source = source
        self.source_detail = source_detail
        self.captured_at = captured_at or datetime.now(timezone.utc)
        self._temp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        self._connection: Any = None
        self._accounts: dict[str, AccountInfo] = {}
        self._issues: list[SnapshotIssue] = []
        self.row_counts: dict[str, int] = {}

    def __enter__(self) -> SnapshotWriter:
        import duckdb

        if not self.output.parent.exists():
            raise UsageError(f"directory {self.output.parent} does not exist", hint="create it or choose another -o")
        self._discard_temp()
        self._connection = duckdb.connect(str(self._temp))
        self._connection.execute("SET TimeZone = 'UTC'")
        for table in load_tables().values():
            self._connection.execute(table.ddl("duckdb"))
        for statement in METADATA_DDL:
            self._connection.execute(statement)
        return self

    @property
    def connection(self) -> Any:
        """The DuckDB connection of the file being built (for bulk loads such as read_json)."""
        return self._connection

    def add_rows(self, table_name: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert Steampipe-shaped rows into ``table_name``; returns how many."""
        count = insert_duckdb(self._connection, load_tables()[table_name], rows)
        self.row_counts[table_name] = self.row_counts.get(table_name, 0) + count
        return count

    def add_account(self, account: AccountInfo) -> None:
        """Record an account (merged with what is known of it already)."""
        known = self._accounts.get(account.account_id)
        if known is not None:
            regions = tuple(sorted(set(known.regions) | set(account.regions)))
            account = AccountInfo(
                account.account_id,
                regions,
                account.credential_report_generated_at or known.credential_report_generated_at,
                account.source or known.source,
            )
        self._accounts[account.account_id] = account

    def add_issue(self, issue: SnapshotIssue) -> None:
        self._issues.append(issue)

    def _write_metadata(self) -> None:
        from rootwatch import __version__

        con = self._connection
        con.execute(
            "INSERT INTO rootwatch_snapshot VALUES (?, ?, ?, ?, ?, ?)",
            [FORMAT_VERSION, self.captured_at, self.source, self.source_detail, __version__, datetime.now(timezone.utc)],
        )
        for account in sorted(self._accounts.values(), key=lambda a: a.account_id):
            con.execute(
                "INSERT INTO rootwatch_snapshot_accounts VALUES (?, ?::JSON, ?, ?)",
                [account.account_id, json.dumps(list(account.regions)), account.credential_report_generated_at, account.source],
            )
        for issue in self._issues:
            con.execute(
                "INSERT INTO rootwatch_snapshot_issues VALUES (?, ?, ?, ?, ?)",
                [issue.account_id, issue.region, issue.kind, issue.source, issue.message],
            )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        published = exc_type is None
        try:
            if published:
                self._write_metadata()
                self._connection.execute("CHECKPOINT")
        except BaseException:
            published = False
            raise
        finally:
            self._connection.close()
            self._connection = None
            if published:
                os.replace(self._temp, self.output)
            else:
                self._discard_temp()

    def _discard_temp(self) -> None:
        for path in (self._temp, self._temp.with_name(self._temp.name + ".wal")):
            if path.exists():
                path.unlink()
