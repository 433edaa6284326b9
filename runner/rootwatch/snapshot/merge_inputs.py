"""Reading merge inputs: attaching snapshots read-only and what each holds.

Used by :mod:`rootwatch.snapshot.merge`. Everything is read for a whole batch of attached inputs
at once (a handful of statements per batch instead of several per input): at organisation scale
there are thousands of inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rootwatch.engines.duckdb_config import check_snapshot_header
from rootwatch.errors import ConnectionFailed, InputError, Problem
from rootwatch.schema.tables import EVENT_TABLES, load_tables, quote_identifier
from rootwatch.snapshot.cloudtrail_view import RECORD_FILES_TABLE, RECORDS_TABLE
from rootwatch.snapshot.metadata import METADATA_TABLES, SnapshotInfo, format_refusal, read_snapshot_infos


@dataclass
class MergeInput:
    """One input snapshot: where it is, what it holds, and which of its accounts lost."""

    index: int
    """Its position on the command line."""
    alias: str
    """The name it is attached under (unique in the process: the DuckDB instance is shared)."""
    path: Path
    info: SnapshotInfo
    columns: dict[str, tuple[str, ...]]
    """Data table -> the columns this input has (the definition's order)."""
    accounts: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    """Accounts whose copy in this input lost to another input's."""


@contextlib.contextmanager
def attached(connection: Any, batch: Sequence[tuple[str, Path]]) -> Iterator[None]:
    """Inputs attached read-only under their aliases for the duration of a ``with`` block."""
    import duckdb

    done: list[str] = []
    try:
        for alias, path in batch:
            # Checked before ATTACH: DuckDB would fetch an extension to read a SQLite file.
            try:
                check_snapshot_header(path)
            except ConnectionFailed:
                raise InputError(Problem(path, None, "not a DuckDB snapshot (not a rootwatch snapshot file)")) from None
            try:
                connection.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(path)])
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise InputError(Problem(path, None, f"not a DuckDB snapshot ({first})")) from None
            done.append(alias)
        yield
    finally:
        for alias in done:
            connection.execute(f"DETACH {alias}")


def scan(connection: Any, batch: Sequence[tuple[int, str, Path]]) -> list[MergeInput]:
    """Metadata, table columns and account ids of each attached input."""
    tables = load_tables()
    names = [alias for _, alias, _ in batch]
    placeholders = ", ".join("?" for _ in names)
    found: dict[str, dict[str, list[str]]] = {name: {} for name in names}
    for database, table, column in connection.execute(
        f"SELECT database_name, table_name, column_name FROM duckdb_columns() WHERE database_name IN ({placeholders}) "
        "AND schema_name = 'main' ORDER BY database_name, table_name, column_index",
        names,
    ).fetchall():
        found[database].setdefault(table, []).append(column)
    infos = read_snapshot_infos(connection, names, found)
    inputs: list[MergeInput] = []
    for index, database, path in batch:
        info = infos.get(database)
        if info is None:
            raise InputError(Problem(path, None, "a DuckDB file, but not a rootwatch snapshot (no rootwatch_snapshot metadata)"))
        refusal = format_refusal(info, "merge")
        if refusal is not None:
            raise InputError(Problem(path, None, f"snapshot {refusal[0]}"), hint=refusal[1])
        columns: dict[str, tuple[str, ...]] = {}
        for table, present in found[database].items():
            if table in METADATA_TABLES or table in (RECORDS_TABLE, RECORD_FILES_TABLE):
                continue  # read through their view, aws_cloudtrail_trail_event
            if table not in tables:
                raise InputError(Problem(path, None, f"unknown table {table} (written by another rootwatch version?)"))
            unknown = [c for c in present if tables[table].column(c) is None]
            if unknown:
                raise InputError(Problem(path, None, f"table {table} has unknown column {unknown[0]} (written by another rootwatch version?)"))
            columns[table] = tuple(c for c in tables[table].column_names if c in present)
        item = MergeInput(index, database, path, info, columns, {account.account_id for account in info.accounts})
        inputs.append(item)
    branches = [
        f"SELECT {item.index} AS input, account_id FROM {item.alias}.main.{quote_identifier(table)} WHERE account_id IS NOT NULL"
        for item in inputs
        for table, cols in item.columns.items()
        # Events name the account they happened in, not the capture's: a logging account's
        # snapshot holds every member's trail events without holding those members.
        if "account_id" in cols and table not in EVENT_TABLES
    ]
    if branches:
        by_index = {item.index: item for item in inputs}
        query = "SELECT DISTINCT input, account_id FROM (" + " UNION ALL ".join(branches) + ")"
        for index, account_id in connection.execute(query).fetchall():
            by_index[index].accounts.add(account_id)
    return inputs
