"""A snapshot's tables as Parquet: one folder per table, for engines that read files (Spark, Athena, ...).

Layout of an export folder ``DIR``::

    DIR/rootwatch-export.json                 what was exported: the snapshot's metadata, every
                                              table's row count, columns and partitioning
    DIR/<table>/data.parquet                  a small table: one file
    DIR/<table>/account_id=<id>/data_0.parquet  a large table (CloudTrail events above all):
                                              one folder per account (Hive-style), so a reader
                                              asking about some accounts opens only theirs

Every table of the snapshot is exported, its metadata tables (``rootwatch_snapshot*``) included,
and an empty table still gets a file (its columns). Partitioned files keep the ``account_id`` column
as well, so a reader that ignores the folder names still reads every column, as text: read the
folder with the schema of the manifest (account ids are text; a reader left to guess the partition
column's type from ``account_id=012345678901`` would make it a number and lose the leading zero).
JSON columns are Parquet strings holding JSON text.

The export is atomic: it is written into a temporary folder beside ``DIR`` and renamed into place,
so ``DIR`` is complete or absent; an existing ``DIR`` is replaced only with ``force``, and only if it
is empty or an earlier export (the manifest says so), never some other folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rootwatch.errors import ConnectionFailed, InputError, UsageError
from rootwatch.snapshot.metadata import SnapshotInfo, format_refusal, read_snapshot_info

MANIFEST = "rootwatch-export.json"
EXPORT_FORMAT = "rootwatch-parquet-export"
EXPORT_VERSION = 1
PARTITION_COLUMN = "account_id"
PARTITION_MIN_ROWS = 1_000_000
"""Tables with at least this many rows (and an ``account_id`` column) are split by account: below
it, one file per account would cost more in file openings than it saves in reading."""


@dataclass(frozen=True)
class ExportedTable:
    """One table of an export: its folder, rows, columns (name, DuckDB type) and partition columns."""

    name: str
    rows: int
    columns: tuple[tuple[str, str], ...]
    partitioned_by: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "columns": [{"name": name, "type": kind} for name, kind in self.columns],
            "partitioned_by": list(self.partitioned_by),
        }


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_parquet` wrote."""

    out_dir: Path
    snapshot_info: SnapshotInfo
    tables: tuple[ExportedTable, ...]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def table(self, name: str) -> ExportedTable | None:
        return next((t for t in self.tables if t.name == name), None)


def export_parquet(
    snapshot_path: Path, out_dir: Path, *, force: bool = False, partition_min_rows: int = PARTITION_MIN_ROWS
) -> ExportSummary:
    """Export every table of the snapshot at ``snapshot_path`` to Parquet under ``out_dir`` (layout above).

    Raises InputError when the snapshot cannot be read, UsageError when ``out_dir`` exists (without
    ``force``), is not an earlier export, or cannot be written; ``out_dir`` is then unchanged.
    """
    _check_target(out_dir, force=force)
    connection = _open_snapshot(snapshot_path)
    temp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        info = read_snapshot_info(connection)
        if info is None:
            raise InputError(
                f"{snapshot_path} is a DuckDB file without rootwatch snapshot metadata",
                hint="export a snapshot built by 'rootwatch snapshot from-aws', from-files or from-steampipe",
            )
        refusal = format_refusal(info, "export")
        if refusal is not None:
            raise InputError(f"snapshot {snapshot_path} {refusal[0]}", hint=refusal[1])
        try:
            temp.mkdir()
        except OSError as exc:
            raise UsageError(f"cannot write {out_dir}: {exc.strerror or exc}") from None
        tables = tuple(
            _export_table(connection, name, temp, partition_min_rows, out_dir) for name in _table_names(connection)
        )
        summary = ExportSummary(out_dir, info, tables)
        _write_manifest(temp, snapshot_path, summary)
        _move_into_place(temp, out_dir)
        return summary
    finally:
        connection.close()
        shutil.rmtree(temp, ignore_errors=True)


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of the export at ``out_dir``; InputError when ``out_dir`` is not an export."""
    path = out_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{out_dir} is not a rootwatch Parquet export (no {MANIFEST})",
            hint="write one with 'rootwatch snapshot export DIR --format parquet --snapshot FILE'",
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise InputError(f"{path} is not a rootwatch Parquet export manifest")
    if manifest.get("version") != EXPORT_VERSION:
        raise InputError(
            f"{path} is export format version {manifest.get('version')}; this rootwatch reads version {EXPORT_VERSION}",
            hint="export the snapshot again with this rootwatch",
        )
    return manifest


def _check_target(out_dir: Path, *, force: bool) -> None:
    parent = out_dir.parent if str(out_dir.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {out_dir}: directory {parent} does not exist")
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not force:
        raise UsageError(f"{out_dir} exists", hint="pass --force to replace it (an earlier export or an empty folder)")
    if not out_dir.is_dir() or out_dir.is_symlink():
        raise UsageError(f"{out_dir} exists and is not a folder; not replacing it")
    if any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise UsageError(
            f"{out_dir} is a folder that is neither empty nor a rootwatch export; not replacing it, even with --force",
            hint="choose a new folder, or empty this one yourself",
        )


def _open_snapshot(snapshot_path: Path) -> Any:
    import duckdb

    if not snapshot_path.is_file():
        raise InputError(
            f"snapshot {snapshot_path} does not exist" if not snapshot_path.exists() else f"snapshot {snapshot_path} is not a file",
            hint="build one with 'rootwatch snapshot from-files DIR -o FILE' (or from-aws, from-steampipe)",
        )
    from rootwatch.engines.duckdb_config import NO_EXTENSION_DOWNLOADS, check_snapshot_header

    try:
        check_snapshot_header(snapshot_path)  # a SQLite file or random bytes never reach DuckDB
    except ConnectionFailed as exc:
        raise InputError(exc.message, hint=exc.hint) from None
    try:
        # Writing Parquet needs file access, so not the grading reader's configuration; no downloads.
        return duckdb.connect(str(snapshot_path), read_only=True, config=dict(NO_EXTENSION_DOWNLOADS))
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot open snapshot {snapshot_path}: {first_line}") from None


def _table_names(connection: Any) -> list[str]:
    """The snapshot's tables, each as its readers see it: a view stands for the table of its name,
    and the stored rows behind it are not exported twice (format version 2: see ``cloudtrail_view``)."""
    from rootwatch.snapshot.cloudtrail_view import RECORD_FILES_TABLE, RECORDS_TABLE

    rows = connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND NOT internal ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows if name not in (RECORDS_TABLE, RECORD_FILES_TABLE)]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _export_table(connection: Any, name: str, temp: Path, partition_min_rows: int, out_dir: Path) -> ExportedTable:
    import duckdb

    columns = tuple(
        (column, str(kind))
        for column, kind in connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [name],
        ).fetchall()
    )
    (rows,) = connection.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()
    partitioned = PARTITION_COLUMN in dict(columns) and rows >= partition_min_rows
    folder = temp / name
    # Rows in a stable order: the same snapshot exports to the same files.
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    select = f"SELECT * FROM {_quote(name)} ORDER BY {order}"
    try:
        if partitioned:
            connection.execute(
                f"COPY ({select}) TO {_literal(str(folder))} "
                f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({_quote(PARTITION_COLUMN)}), WRITE_PARTITION_COLUMNS true)"
            )
        else:
            folder.mkdir()
            connection.execute(f"COPY ({select}) TO {_literal(str(folder / 'data.parquet'))} (FORMAT parquet, COMPRESSION zstd)")
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except (duckdb.IOException, OSError) as exc:
        # Disk full, permissions: the user's to fix; nothing of the export is left behind.
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot write {out_dir}: {detail}", hint="nothing was written") from None
    return ExportedTable(name, int(rows), columns, (PARTITION_COLUMN,) if partitioned else ())


def _write_manifest(temp: Path, snapshot_path: Path, summary: ExportSummary) -> None:
    from rootwatch import __version__

    manifest = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "tool_version": __version__,
        "snapshot": snapshot_path.name,
        "snapshot_info": summary.snapshot_info.as_dict(),
        "tables": {table.name: table.as_dict() for table in summary.tables},
    }
    (temp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _move_into_place(temp: Path, out_dir: Path) -> None:
    """Rename ``temp`` to ``out_dir``; an earlier export there is set aside first and removed after."""
    previous = None
    try:
        if out_dir.exists():
            previous = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            os.rename(out_dir, previous)
        os.rename(temp, out_dir)
    except OSError as exc:
        if previous is not None and not out_dir.exists():
            with contextlib.suppress(OSError):
                os.rename(previous, out_dir)  # put the earlier export back
        raise UsageError(f"cannot write {out_dir}: {exc.strerror or exc}", hint="the previous folder, if any, is unchanged") from None
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
