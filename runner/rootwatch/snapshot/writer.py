"""Writing a snapshot atomically: build in a temporary file beside the target, then rename.

An interrupted or failed build leaves the target untouched (no half snapshot); a finished one
appears in a single ``os.replace``.

Every writer of a process attaches its temporary file to one shared in-memory DuckDB instance
(its own connection, ``USE``-ing the file), and the file starts as a copy of an empty snapshot
made once per process. Opening a DuckDB instance and creating fifteen tables cost about 50 ms;
attaching a copied template costs about 4 ms, which is what makes thousands of per-account
snapshots (organisation scale) cheap. ``perf/org_scale.py`` measures it against the
original path.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import glob
import json
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from rootwatch.atomic import publish, require_replaceable
from rootwatch.engines.duckdb_config import NO_EXTENSION_DOWNLOADS, duckdb_core
from rootwatch.errors import Problem, UsageError
from rootwatch.schema.tables import load_tables, quote_identifier
from rootwatch.schema.values import RowValueError
from rootwatch.snapshot.loading import BATCH_ROWS, insert_columns, insert_duckdb_typed, typed_batches
from rootwatch.snapshot.metadata import (
    FORMAT_VERSION,
    METADATA_DDL,
    PLAIN_FORMAT_VERSION,
    AccountInfo,
    SnapshotIssue,
)


TEMP_PREFIX = "rootwatch-snapshot-"
"""Prefix of the per-process folder in the temporary directory holding the empty-snapshot template
(``rootwatch-snapshot-<pid>-<random>``: the pid lets a later run remove it once the process is gone)."""

CSV_MAX_LINE = 256 * 1024 * 1024
"""Longest CSV line :meth:`SnapshotWriter.staged_csv` reads (DuckDB's default, 2 MB, is less
than one large policy document or event selector list can take)."""

BLOCK_SIZE = 16384
"""Bytes per storage block of the snapshot files this writer makes (unless told otherwise).

Small blocks: a table takes at least one block, and DuckDB's default 256 KiB made an almost empty
per-account snapshot weigh 2.9 MB; 16 KiB makes it 0.3 MB. A 1,000-account snapshot measured
2.4 MB instead of 5.0 MB and queried as fast."""
LARGE_BLOCK_SIZE = 262144
"""Bytes per storage block of a snapshot that takes gigabytes of rows (DuckDB's default size).

Small blocks cost a bulk load dearly: DuckDB spills a buffer of another size than its own default
to a temporary file of its own (created, written, read back and deleted, one per 16 KiB block),
and with every CloudTrail record of 400 MB of logs that system time grew to two thirds of the
load's CPU. With 256 KiB blocks the spill goes into DuckDB's shared temporary files."""

_instance_lock = threading.Lock()
_instance: dict[str, Any] = {}
"""The process's DuckDB instance and empty-snapshot templates: ``{"pid", "db", "directory", "templates"}``
(``templates``: the template file per block size)."""


def _shared_instance() -> Any:
    """The process's in-memory DuckDB instance, made once per process (empty snapshots to copy:
    :func:`_template`).

    Rebuilt after a fork: a DuckDB instance must not be shared across processes. DuckDB's compiled
    module is all a writer uses (:func:`~rootwatch.engines.duckdb_config.duckdb_core`): the package
    around it would add about 0.08 s of CPU to a capture.
    """
    duckdb = duckdb_core()

    with _instance_lock:
        if _instance.get("pid") != os.getpid():
            try:
                sweep_stale_template_folders(Path(tempfile.gettempdir()))
                directory = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
            except FileNotFoundError as exc:  # tempfile's "No usable temporary directory found"
                raise OSError(errno.ENOSPC, f"no usable temporary folder ({exc.strerror})") from None
            # DuckDB spills an in-memory database to ".tmp" in the working directory by default:
            # keep the spill beside the template, where the exit handler and the sweep find it.
            database = duckdb.connect(config={**NO_EXTENSION_DOWNLOADS, "temp_directory": str(directory / "spill")})
            database.execute("SET TimeZone = 'UTC'")
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            _instance.update(pid=os.getpid(), db=database, directory=directory, templates={})
        return _instance["db"]


def _template(block_size: int) -> Path:
    """The process's empty snapshot with ``block_size`` blocks (made on first use)."""
    database = _shared_instance()
    with _instance_lock:
        templates = _instance["templates"]
        if block_size not in templates:
            templates[block_size] = _make_template(database, _instance["directory"], block_size)
        return templates[block_size]


def _make_template(database: Any, directory: Path, block_size: int) -> Path:
    """An empty snapshot (every table, no rows) with ``block_size`` blocks, in ``directory``."""
    duckdb = duckdb_core()

    template = directory / f"empty-{block_size}.duckdb"
    maker = database.cursor()
    try:
        try:
            maker.execute(f"ATTACH ? AS rootwatch_template (BLOCK_SIZE {int(block_size)})", [str(template)])
        except duckdb.Error:  # a DuckDB without the option: its default block size
            template.unlink(missing_ok=True)
            maker.execute("ATTACH ? AS rootwatch_template", [str(template)])
        maker.execute("USE rootwatch_template")
        # One round trip for the whole schema.
        ddl = [table.ddl("duckdb") for table in load_tables().values()] + list(METADATA_DDL)
        maker.execute(";\n".join(ddl))
        maker.execute("USE memory")
        maker.execute("DETACH rootwatch_template")
    finally:
        maker.close()
    return template


def prepare_in_background() -> None:
    """Start making the process's DuckDB instance and empty snapshot in a daemon thread.

    For a caller that has other waiting to do first (``snapshot from-aws`` calls AWS): importing
    DuckDB and creating every table takes a noticeable part of a second, which then overlaps the
    calls. A failure is left for the writer, which makes the instance again and reports it.
    """

    def prepare() -> None:
        with contextlib.suppress(Exception):
            _template(BLOCK_SIZE)

    threading.Thread(target=prepare, name="rootwatch-snapshot-prepare", daemon=True).start()


@dataclass(frozen=True)
class BuildSummary:
    """What a snapshot build wrote: the result object the ``snapshot`` commands print."""

    output: Path
    captured_at: datetime
    row_counts: dict[str, int]
    accounts: tuple[AccountInfo, ...]
    issues: tuple[SnapshotIssue, ...]
    skipped: tuple[Problem, ...] = ()
    """Bad input files left out with ``--skip-bad-files`` (``snapshot from-files``)."""
    log_files: int = 0
    """CloudTrail log files loaded, skipped ones not counted (``snapshot from-files``)."""

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    @property
    def errors(self) -> tuple[SnapshotIssue, ...]:
        """Issues of kind ``error``: an account, region or table that failed."""
        return tuple(issue for issue in self.issues if issue.kind == "error")


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
        block_size: int = BLOCK_SIZE,
        row_group_size: int | None = None,
    ) -> None:
        """``block_size``: bytes per storage block of the file (:data:`LARGE_BLOCK_SIZE` for one
        that takes gigabytes of rows; the small default keeps small snapshots small).
        ``row_group_size``: rows per row group of the rows written (None: DuckDB's default); a
        setting of the attached file, not stored in it."""
        if output.is_dir():
            raise UsageError(f"{output} is a directory", hint="-o names the snapshot file to write")
        if os.path.lexists(output) and not overwrite:
            raise UsageError(f"{output} exists", hint="pass --force to replace it")
        require_replaceable(output)
        self.output = output
        self.source = source
        self.source_detail = source_detail
        self.overwrite = overwrite
        self.block_size = block_size
        self.row_group_size = row_group_size
        self.captured_at = captured_at or datetime.now(timezone.utc)
        self._temp = output.with_name(f".{output.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        self._alias = f"rootwatch_{uuid.uuid4().hex}"
        self._connection: Any = None
        self._pending: list[tuple[Any, tuple[str, ...], list[list[Any]]]] = []
        """Checked rows not yet inserted: (table, columns, cell rows), flushed in one transaction."""
        self._pending_rows = 0
        self._in_block = False
        self._accounts: dict[str, AccountInfo] = {}
        self._issues: list[SnapshotIssue] = []
        self.row_counts: dict[str, int] = {}
        self._format_version = PLAIN_FORMAT_VERSION

    def __enter__(self) -> SnapshotWriter:
        if not self.output.parent.exists():
            raise UsageError(f"directory {self.output.parent} does not exist", hint="create it or choose another -o")
        sweep_stale_temps(self.output)
        try:
            self._discard_temp()
            database = _shared_instance()
            shutil.copyfile(_template(self.block_size), self._temp)
        except BaseException as exc:
            self._discard_temp()
            raise write_failure(self.output, exc) or exc from None
        connection = database.cursor()  # a connection of its own to the shared instance
        try:
            options = f" (ROW_GROUP_SIZE {int(self.row_group_size)})" if self.row_group_size else ""
            connection.execute(f"ATTACH ? AS {self._alias}{options}", [str(self._temp)])
            connection.execute(f"USE {self._alias}")
        except BaseException as exc:
            connection.close()
            self._discard_temp()
            raise write_failure(self.output, exc) or exc from None
        self._connection = connection
        return self

    @property
    def connection(self) -> Any:
        """The DuckDB connection of the file being built (for bulk loads such as read_json).

        Unqualified table names resolve to the snapshot; rows added before are in it.
        """
        self._flush()
        return self._connection

    def add_rows(self, table_name: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Add Steampipe-shaped rows to ``table_name``; returns how many.

        Rows are checked now (RowValueError names table and column) and inserted in batches, in
        one transaction per flush: a commit per INSERT costs a write-ahead-log flush each, nearly
        half the time of a small table's insert.
        """
        table = load_tables()[table_name]
        count = 0
        for names, cells in typed_batches(table, rows):
            last = self._pending[-1] if self._pending else None
            if last is not None and last[0] is table and last[1] == names and len(last[2]) + len(cells) <= BATCH_ROWS:
                last[2].extend(cells)  # many small calls for one table become one INSERT
            else:
                self._pending.append((table, names, cells))
            self._pending_rows += len(cells)
            count += len(cells)
            if self._pending_rows >= BATCH_ROWS:
                self._flush()
        self.row_counts[table_name] = self.row_counts.get(table_name, 0) + count
        return count

    def _flush(self) -> None:
        """Insert the pending rows, in one transaction unless a :meth:`transaction` block is open."""
        if not self._pending:
            return
        pending, self._pending, self._pending_rows = self._pending, [], 0
        own = not self._in_block
        if own:
            self._connection.execute("BEGIN TRANSACTION")
        try:
            for table, names, cells in pending:
                insert_columns(self._connection, table, names, cells)
        except BaseException:
            if own:
                self._connection.execute("ROLLBACK")
            raise
        if own:
            self._connection.execute("COMMIT")

    def add_typed_rows(self, table_name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert tuples already typed for ``columns`` (JSON as text), e.g. streamed from Postgres.

        The fast path for copying a typed source: values are not coerced (see
        :func:`rootwatch.snapshot.loading.insert_duckdb_typed`). Returns how many rows.
        """
        self._flush()
        count = insert_duckdb_typed(self._connection, load_tables()[table_name], columns, rows)
        self.row_counts[table_name] = self.row_counts.get(table_name, 0) + count
        return count

    @contextlib.contextmanager
    def staged_csv(self, table_name: str, columns: Sequence[str], path: Path) -> Iterator[str]:
        """Rows of a CSV file (as PostgreSQL's ``COPY ... TO STDOUT (FORMAT csv)`` writes them) for
        ``columns`` of ``table_name``: yields the name of a temporary table holding them, typed as
        the table declares, to look at; leaving the block normally appends them to the table.

        Every value is parsed as text and cast by DuckDB, with PostgreSQL's CSV conventions: an
        unquoted empty field is NULL, a quoted one an empty string. Loading a file this way is the
        fast path for copying a typed source (no Python object per value).
        """
        table = load_tables()[table_name]
        by_name = {column.name: column.type for column in table.columns}
        unknown = [name for name in columns if name not in by_name]
        if unknown:
            raise RowValueError(f"table {table_name} has no column {unknown[0]!r}")
        self._flush()
        stage = f"rootwatch_stage_{uuid.uuid4().hex}"
        fields = {f"c{index}": "VARCHAR" for index in range(len(columns))}
        casts = ", ".join(
            f"CAST(c{index} AS {by_name[name].duckdb}) AS {quote_identifier(name)}" for index, name in enumerate(columns)
        )
        spec = ", ".join(f"'{key}': '{value}'" for key, value in fields.items())
        self._connection.execute(
            f"CREATE TEMP TABLE {stage} AS SELECT {casts} FROM read_csv(?, header = false, auto_detect = false, "
            f"columns = {{{spec}}}, delim = ',', quote = '\"', escape = '\"', allow_quoted_nulls = false, "
            f"max_line_size = {CSV_MAX_LINE})",
            [str(path)],
        )
        try:
            yield stage
            target = ", ".join(quote_identifier(name) for name in columns)
            count = self._connection.execute(f"INSERT INTO {quote_identifier(table_name)} ({target}) SELECT {target} FROM temp.{stage}").fetchone()[0]
            self.row_counts[table_name] = self.row_counts.get(table_name, 0) + count
        finally:
            self._connection.execute(f"DROP TABLE IF EXISTS temp.{stage}")

    def require_format_version(self, version: int) -> None:
        """The snapshot uses what format ``version`` introduced (see ``metadata.FORMAT_VERSION``):
        it is written with that version at least."""
        if not PLAIN_FORMAT_VERSION <= version <= FORMAT_VERSION:
            raise ValueError(f"no snapshot format version {version}")
        self._format_version = max(self._format_version, version)

    def record_rows(self, table_name: str, count: int) -> None:
        """Count rows inserted through :attr:`connection` directly (bulk ``INSERT ... SELECT``)."""
        self.row_counts[table_name] = self.row_counts.get(table_name, 0) + count

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All rows added inside appear together or, if the block raises, not at all.

        Lets a builder record a table or account that failed half way as an issue and go on,
        without leaving the rows it had already copied.
        """
        self._flush()
        counts = dict(self.row_counts)
        self._connection.execute("BEGIN TRANSACTION")
        self._in_block = True
        try:
            yield
            self._flush()
        except BaseException:
            self._pending, self._pending_rows = [], 0
            self._connection.execute("ROLLBACK")
            self.row_counts = counts
            raise
        finally:
            self._in_block = False
        self._connection.execute("COMMIT")

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
                account.captured_at or known.captured_at,
            )
        self._accounts[account.account_id] = account

    def add_issue(self, issue: SnapshotIssue) -> None:
        self._issues.append(issue)

    def summary(self) -> BuildSummary:
        """What has been added so far (the file itself appears when the ``with`` block ends)."""
        return BuildSummary(
            self.output,
            self.captured_at,
            dict(self.row_counts),
            tuple(sorted(self._accounts.values(), key=lambda a: a.account_id)),
            tuple(self._issues),
        )

    @property
    def accounts(self) -> tuple[AccountInfo, ...]:
        """The accounts recorded so far."""
        return tuple(self._accounts.values())

    @property
    def issues(self) -> tuple[SnapshotIssue, ...]:
        """The issues recorded so far."""
        return tuple(self._issues)

    def _write_metadata(self) -> None:
        from rootwatch import __version__

        con = self._connection
        con.execute(
            "INSERT INTO rootwatch_snapshot VALUES (?, ?, ?, ?, ?, ?)",
            [self._format_version, self.captured_at, self.source, self.source_detail, __version__, datetime.now(timezone.utc)],
        )
        # Column lists as parameters (one statement per table): a merged organisation snapshot
        # holds thousands of accounts and issues. An account without its own capture time was
        # read during this capture.
        accounts = sorted(self._accounts.values(), key=lambda a: a.account_id)
        if accounts:
            con.execute(
                "INSERT INTO rootwatch_snapshot_accounts "
                "SELECT UNNEST(?::VARCHAR[]), CAST(UNNEST(?::VARCHAR[]) AS JSON), UNNEST(?::TIMESTAMPTZ[]), "
                "UNNEST(?::VARCHAR[]), UNNEST(?::TIMESTAMPTZ[])",
                [
                    [a.account_id for a in accounts],
                    [json.dumps(list(a.regions)) for a in accounts],
                    [a.credential_report_generated_at for a in accounts],
                    [a.source for a in accounts],
                    [a.captured_at or self.captured_at for a in accounts],
                ],
            )
        if self._issues:
            con.execute(
                "INSERT INTO rootwatch_snapshot_issues SELECT UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), "
                "UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[])",
                [
                    [i.account_id for i in self._issues],
                    [i.region for i in self._issues],
                    [i.kind for i in self._issues],
                    [i.source for i in self._issues],
                    [i.message for i in self._issues],
                ],
            )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        published = exc_type is None
        try:
            if published:
                self._connection.execute("BEGIN TRANSACTION")
                self._in_block = True
                self._flush()
                self._write_metadata()
                self._connection.execute("COMMIT")
                self._connection.execute(f"CHECKPOINT {self._alias}")
        except BaseException as failure:
            published = False
            exc = failure
            raise write_failure(self.output, failure) or failure from None
        finally:
            self._detach()
            try:
                if published:
                    publish(self._temp, self.output, replace=self.overwrite)
            finally:
                self._discard_temp()
        # The build itself failed: a full disk or a folder turned read-only surfaces as whatever
        # the build was doing (an INSERT, a log load); it is the output that cannot be written.
        translated = write_failure(self.output, exc) if exc is not None else None
        if translated is not None:
            raise translated from None

    def _detach(self) -> None:
        """Close this writer's connection and release its file from the shared instance."""
        connection, self._connection = self._connection, None
        with contextlib.suppress(Exception):  # a failed build may have left a transaction open, or none
            connection.execute("ROLLBACK")
        connection.close()
        database = _shared_instance()
        detacher = database.cursor()
        try:
            detacher.execute(f"DETACH DATABASE IF EXISTS {self._alias}")
        finally:
            detacher.close()

    def _discard_temp(self) -> None:
        for path in (self._temp, self._temp.with_name(self._temp.name + ".wal")):
            if path.exists():
                path.unlink()


_WRITE_FAILURES = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large (a file size limit, ulimit -f, or the file system's)",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
_DUCKDB_WRITE_FAILURES = {os.strerror(code): reason for code, reason in _WRITE_FAILURES.items()}


def write_failure(output: Path, exc: BaseException) -> UsageError | None:
    """The UsageError for ``exc`` when it says the snapshot could not be written (disk full, file
    too large, permissions): the user's to fix, not a bug. None for any other exception."""
    reason = None
    if isinstance(exc, OSError):
        reason = _WRITE_FAILURES.get(exc.errno or 0)
    elif type(exc).__module__.startswith(("duckdb", "_duckdb")):
        text = str(exc)
        reason = next((why for message, why in _DUCKDB_WRITE_FAILURES.items() if message in text), None)
    if reason is None:
        return None
    return UsageError(f"cannot write {output}: {reason}",
                      hint="free space or choose another -o; nothing was written and the previous file, if any, is unchanged")


def sweep_stale_temps(output: Path) -> list[Path]:
    """Remove temporary files that an earlier build of ``output`` left when it was killed
    (SIGKILL, power loss: nothing ran to clean up), and return them.

    A temporary file is named ``.<output name>.<pid>.<thread id>.tmp`` (plus ``.wal``); it is
    stale when no process with that pid is running. One whose process lives is another build's.
    """
    removed: list[Path] = []
    prefix = f".{output.name}."
    for path in output.parent.glob(f"{glob.escape(prefix)}*.tmp*"):
        parts = path.name[len(prefix):].split(".")
        if len(parts) < 3 or not parts[0].isdigit() or parts[2] != "tmp" or parts[3:] not in ([], ["wal"]):
            continue
        if _process_alive(int(parts[0])):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


STALE_AFTER_SECONDS = 15 * 60
"""A template folder is removed only when older than this (and its process is gone): a pid can be
reused, and a quarter of an hour is far longer than creating a template takes."""
UNOWNED_STALE_AFTER_SECONDS = 24 * 3600
"""Folders named before the pid was part of the name: no owner to check, so a day must pass."""


def sweep_stale_template_folders(temp_root: Path, *, now: float | None = None) -> list[Path]:
    """Remove the ``rootwatch-snapshot-*`` folders that killed processes left in ``temp_root``
    (kill -9 runs no atexit handler), and return them. A folder is removed when it is older than
    :data:`STALE_AFTER_SECONDS` and the process its name records is gone (pid-less, older names:
    after :data:`UNOWNED_STALE_AFTER_SECONDS`)."""
    import time

    moment = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = list(temp_root.glob(f"{glob.escape(TEMP_PREFIX)}*"))
    except OSError:
        return removed
    for folder in candidates:
        pid_text = folder.name[len(TEMP_PREFIX):].split("-", 1)[0]
        owner = int(pid_text) if pid_text.isdigit() and "-" in folder.name[len(TEMP_PREFIX):] else None
        try:
            age = moment - folder.lstat().st_mtime
        except OSError:
            continue
        if not folder.is_dir() or folder.is_symlink():
            continue
        if owner is not None and (age < STALE_AFTER_SECONDS or owner == os.getpid() or _process_alive(owner)):
            continue
        if owner is None and age < UNOWNED_STALE_AFTER_SECONDS:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
