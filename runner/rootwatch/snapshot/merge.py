"""Merge snapshots (typically one per account) into one organisation snapshot.

Inputs are attached to the output's DuckDB connection read-only, a batch at a time, and copied
with one ``INSERT ... SELECT ... UNION ALL ...`` per table and batch, so thousands of inputs cost
a few statements each rather than a row-by-row copy.

An account present in more than one input is an error naming the account and two of the files,
unless ``prefer`` says which copy wins:

* ``newest``: the copy captured last (the account's own capture time; ties go to the later input),
* ``first`` / ``last``: the earliest / latest input on the command line holding it,
* a path given as one of the inputs: that file's copy wins wherever it holds the account (accounts
  it does not hold must still be unique among the others).

The losing copies' rows and issues are left out and each is recorded as a ``superseded`` issue.

The merged capture time (the default as-of) is the latest input's capture time: no evidence in the
merged file postdates it, and evidence captured earlier is exactly as old as it looks at that
instant, so controls that judge freshness (the credential report's age) see the true age instead of
a negative one. Every account keeps its own capture time, source and issues in the metadata.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rootwatch.errors import InputError, Problem, UsageError
from rootwatch.schema.tables import load_tables, quote_identifier
from rootwatch.snapshot.merge_inputs import MergeInput, attached, scan
from rootwatch.snapshot.metadata import AccountInfo, SnapshotIssue
from rootwatch.snapshot.writer import BuildSummary, SnapshotWriter

PREFER_KEYWORDS = ("newest", "first", "last")
ATTACH_BATCH = 64
"""Inputs attached at once: bounds open files while amortising statements over many inputs."""

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class MergeOptions:
    """Inputs, output and how to settle an account found in several inputs."""

    inputs: tuple[Path, ...]
    output: Path
    prefer: str | None = None
    """None (duplicates are an error), one of PREFER_KEYWORDS, or one of ``inputs``."""
    overwrite: bool = False
    progress: Progress | None = None


def merge_snapshots(options: MergeOptions) -> BuildSummary:
    """Merge ``options.inputs`` into ``options.output`` (atomically); returns what was written.

    One pass: each batch of inputs is attached once, read (metadata, account ids), settled
    against the accounts already merged, and copied. A copy that a later input supersedes is
    deleted from the output again (rare, and cheaper than attaching every input twice).
    """
    paths = _check_paths(options)
    preferred = _preferred(options.prefer, paths)
    with SnapshotWriter(options.output, source="merge", overwrite=options.overwrite) as writer:
        connection = writer.connection
        prefix = f"in_{uuid.uuid4().hex[:8]}_"  # attached names are shared by the whole process
        numbered = [(index, f"{prefix}{index}", path) for index, path in enumerate(paths)]
        preferred_accounts: set[str] = set()
        if preferred is not None:
            entry = numbered[preferred]
            with attached(connection, [(entry[1], entry[2])]):
                preferred_accounts = scan(connection, [entry])[0].accounts
        settler = _Settler(options.prefer, preferred, preferred_accounts)
        inputs: list[MergeInput] = []
        for start in range(0, len(paths), ATTACH_BATCH):
            batch = numbered[start : start + ATTACH_BATCH]
            with attached(connection, [(alias, path) for _, alias, path in batch]):
                scanned = scan(connection, batch)
                superseded = settler.settle(scanned)
                with writer.transaction():
                    _delete_accounts(writer, superseded)
                    _copy(writer, scanned)
            inputs.extend(scanned)
            if options.progress:
                options.progress(len(inputs), len(paths), f"merged {batch[-1][2].name}")
        writer.captured_at = max(item.info.captured_at for item in inputs)
        writer.source_detail = _detail(paths)
        _merge_metadata(writer, inputs, settler.owners, options.prefer)
        summary = writer.summary()
    return summary


def _check_paths(options: MergeOptions) -> list[Path]:
    if not options.inputs:
        raise UsageError("snapshot merge needs at least one input snapshot")
    seen: dict[Path, Path] = {}
    output = options.output.resolve()
    for path in options.inputs:
        resolved = path.resolve()
        if resolved in seen:
            raise UsageError(f"{path} is given twice (also as {seen[resolved]})")
        if resolved == output:
            raise UsageError(f"{path} is both an input and the output", hint="choose another -o")
        if not path.is_file():
            raise InputError(Problem(path, None, "no such snapshot file"))
        seen[resolved] = path
    return list(options.inputs)


def _preferred(prefer: str | None, paths: list[Path]) -> int | None:
    """The input index ``--prefer FILE`` names, None for a keyword or no preference."""
    if prefer is None:
        return None
    for index, path in enumerate(paths):
        if prefer == str(path) or Path(prefer).resolve() == path.resolve():
            return index
    if prefer in PREFER_KEYWORDS:
        return None
    raise UsageError(
        f"--prefer {prefer!r} is neither {', '.join(PREFER_KEYWORDS)} nor one of the input files",
        hint="--prefer newest keeps the copy captured last; --prefer FILE names an input given on the command line",
    )


class _Settler:
    """Decides, input after input, which copy of each account is kept.

    Pairwise decisions give the same result as deciding over all holders at once: ``first``,
    ``last`` and ``newest`` are associative, and for ``--prefer FILE`` the preferred file's
    accounts are known before the first input is settled.
    """

    def __init__(self, prefer: str | None, preferred: int | None, preferred_accounts: set[str]) -> None:
        self._prefer = prefer
        self._preferred = preferred
        self._preferred_accounts = preferred_accounts
        self.owners: dict[str, MergeInput] = {}

    def settle(self, batch: list[MergeInput]) -> set[str]:
        """Record the batch's accounts; returns accounts whose already copied rows lost."""
        copied_losers: set[str] = set()
        batch_ids = {id(item) for item in batch}
        for item in batch:
            for account_id in sorted(item.accounts):
                owner = self.owners.get(account_id)
                if owner is None:
                    self.owners[account_id] = item
                    continue
                winner = self._winner(account_id, owner, item)
                loser = item if winner is owner else owner
                loser.excluded.add(account_id)
                self.owners[account_id] = winner
                if loser is owner and id(owner) not in batch_ids:
                    copied_losers.add(account_id)
        return copied_losers

    def _winner(self, account_id: str, owner: MergeInput, item: MergeInput) -> MergeInput:
        if self._preferred is not None:
            if self._preferred in (owner.index, item.index):
                return owner if owner.index == self._preferred else item
            if account_id in self._preferred_accounts:
                return owner  # both lose to the preferred file, which comes later
        elif self._prefer == "first":
            return owner
        elif self._prefer == "last":
            return item
        elif self._prefer == "newest":
            return item if _captured(item, account_id) >= _captured(owner, account_id) else owner
        raise UsageError(
            f"account {account_id} is in both {owner.path} and {item.path}",
            hint="pass --prefer newest|first|last, or --prefer FILE, to choose which copy wins",
        )


def _delete_accounts(writer: SnapshotWriter, accounts: set[str]) -> None:
    """Remove rows of ``accounts`` copied from an input that has since lost them."""
    if not accounts:
        return
    for table in load_tables():
        deleted = writer.connection.execute(
            f"DELETE FROM main.{quote_identifier(table)} WHERE list_contains(?::VARCHAR[], account_id)", [sorted(accounts)]
        ).fetchone()[0]
        if deleted:
            writer.record_rows(table, -int(deleted))


def _captured(item: MergeInput, account_id: str) -> datetime:
    for account in item.info.accounts:
        if account.account_id == account_id and account.captured_at is not None:
            return account.captured_at
    return item.info.captured_at


def _detail(paths: list[Path]) -> str:
    shown = ", ".join(path.name for path in paths[:5])
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return f"{len(paths)} snapshot{'s' if len(paths) != 1 else ''}: {shown}{more}"


def _copy(writer: SnapshotWriter, batch: list[MergeInput]) -> None:
    """One INSERT per table (and column list) for the attached batch."""
    connection = writer.connection
    for table in load_tables():
        groups: dict[tuple[str, ...], list[MergeInput]] = {}
        for item in batch:
            if table in item.columns:
                groups.setdefault(item.columns[table], []).append(item)
        for columns, items in groups.items():
            column_list = ", ".join(quote_identifier(c) for c in columns)
            branches: list[str] = []
            params: list[Any] = []
            for item in items:
                branch = f"SELECT {column_list} FROM {item.alias}.main.{quote_identifier(table)}"
                if item.excluded and "account_id" in columns:
                    branch += " WHERE account_id IS NULL OR NOT list_contains(?::VARCHAR[], account_id)"
                    params.append(sorted(item.excluded))
                branches.append(branch)
            inserted = connection.execute(
                f"INSERT INTO main.{quote_identifier(table)} ({column_list}) " + " UNION ALL ".join(branches), params
            ).fetchone()[0]
            if inserted:
                writer.record_rows(table, int(inserted))


def _merge_metadata(writer: SnapshotWriter, inputs: list[MergeInput], owners: dict[str, MergeInput], prefer: str | None) -> None:
    for account_id, item in owners.items():
        known = next((a for a in item.info.accounts if a.account_id == account_id), None)
        origin = (known.source if known and known.source else None) or item.info.source
        writer.add_account(
            AccountInfo(
                account_id,
                known.regions if known else (),
                known.credential_report_generated_at if known else None,
                f"{origin} [{item.path.name}]",
                (known.captured_at if known else None) or item.info.captured_at,
            )
        )
    for item in inputs:
        for issue in item.info.issues:
            if issue.account_id in item.excluded:
                continue
            writer.add_issue(
                SnapshotIssue(issue.kind, issue.message, issue.account_id, issue.region, issue.source or item.path.name)
            )
        for account_id in sorted(item.excluded):
            winner = owners[account_id]
            writer.add_issue(
                SnapshotIssue(
                    "superseded",
                    f"the copy of account {account_id} in {item.path} was left out: {winner.path} preferred (--prefer {prefer})",
                    account_id=account_id,
                    source=item.path.name,
                )
            )
