"""CloudTrail log files (``*.json.gz`` as CloudTrail writes them to S3) → ``aws_cloudtrail_trail_event``.

Two implementations of one mapping (the field tables of ``transforms.events``):

* :func:`load_log_files` is the fast path: worker processes cut each file into the raw text of
  its records, streaming (:mod:`cloudtrail_scan`), and DuckDB maps the kept ones into the
  snapshot in Arrow batches, in one transaction.
* :func:`log_file_rows` reads one file in Python with :func:`transforms.trail_event_row`: the
  reference the bulk path is tested against, and the way to find *which* file (and record) is bad
  when DuckDB rejects a batch.

With every record kept, the snapshot stores them lean and ``aws_cloudtrail_trail_event`` becomes a
view over them (:mod:`cloudtrail_view`).

By default only root activity is kept (:attr:`EventSelection.ROOT`: ``userIdentity.type = Root``,
plus the ``sts:AssumeRoot`` calls that open centralized-root sessions): that is what the mod
reads, and it keeps a snapshot of gigabytes of logs small. ``EventSelection.ALL`` keeps every record.
Every kept record must have an ``eventTime``; every file must be ``{"Records": [...]}``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from rootwatch.errors import Problem
from rootwatch.schema.tables import TRAIL_EVENT_TABLE
from rootwatch.snapshot import strict_json
from rootwatch.snapshot.cloudtrail_records import BadLogFile, record_parts
from rootwatch.snapshot.transforms import Origin, Row, TransformError, trail_event_row
from rootwatch.snapshot.transforms.common import partition_of_region
from rootwatch.snapshot.transforms.events import (
    EVENT_JSON_FIELDS,
    EVENT_TEXT_FIELDS,
    EVENT_TIME_PATH,
    READ_ONLY_PATH,
    USER_IDENTIFIER_PATHS,
)

LOG_SUFFIXES = (".json.gz", ".json")
"""CloudTrail writes gzip files; a decompressed (or hand-written) ``.json`` file is read as well."""
# AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
_KEY = re.compile(
    r"^AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/"
    r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)$"
)
BATCH_BYTES = 256 * 1024 * 1024
"""Record text pending at most before an INSERT (statements are otherwise cut by rows, a row group
per thread: see :mod:`cloudtrail_load`): records of unusual length must not pile up without bound."""
INSERT_THREADS = 2
"""DuckDB's threads during a load. Each statement hands each thread whole row groups (an Arrow chunk
of :data:`cloudtrail_load.GROUP_ROW_GROUPS` row groups): DuckDB then compresses a thread's row
groups on that thread and appends them to the table as they are. With a thread's share a fraction
of a row group (32 MB batches cut anywhere), DuckDB copied each share, appended again, into the
transaction's rows: every record of 50 MB of logs cost 11.2 CPU seconds on two threads, 8.7 on
one, which is what one thread was chosen for before."""
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
"""Below this much compressed log, worker processes cost more to start than they save."""
LARGE_LOAD_BYTES = 32 * 1024 * 1024
"""From this much compressed log with every record kept, the rows outgrow DuckDB's memory limit
several times over: the snapshot is written with large blocks (:func:`snapshot_storage`)."""


class EventSelection(str, Enum):
    """Which records of the log files become rows."""

    ROOT = "root"
    """Root activity: ``userIdentity.type = Root`` and ``sts:AssumeRoot`` calls."""
    ALL = "all"
    """Every record."""

    def keeps(self, record: Mapping[str, Any]) -> bool:
        if self is EventSelection.ALL:
            return True
        identity = record.get("userIdentity")
        if isinstance(identity, Mapping) and identity.get("type") == "Root":
            return True
        return record.get("eventName") == "AssumeRoot" and record.get("eventSource") == "sts.amazonaws.com"


@dataclass(frozen=True)
class LogFile:
    """One CloudTrail log file and what its S3 key says about it."""

    path: Path
    key: str
    """The object key from ``AWSLogs/`` on (kept as ``log_stream_name``: it says which file)."""
    account_id: str
    region: str
    organization_id: str | None = None

    @property
    def origin(self) -> Origin:
        return Origin(self.account_id, partition_of_region(self.region), f"aws_{self.account_id}")


def find_log_files(awslogs: Path) -> tuple[list[LogFile], list[Problem]]:
    """The CloudTrail log files under an ``AWSLogs`` folder, and the files there that do not fit.

    Digest, Insights and other services' folders that an ``aws s3 sync`` brings along are not
    CloudTrail event logs and are passed over; inside ``CloudTrail/<region>/`` every file must be a
    ``.json.gz`` (or decompressed ``.json``) log in the ``YYYY/MM/DD`` layout.
    """
    found: list[LogFile] = []
    problems: list[Problem] = []
    base = awslogs.parent
    paths, unreadable = _files_under(awslogs)
    problems += unreadable
    for path in paths:
        key = path.relative_to(base).as_posix()
        parts = key.split("/")
        # AWSLogs/<account>/<service>/... or AWSLogs/<org>/<account>/<service>/...
        service_at = 3 if len(parts) > 2 and parts[1].startswith("o-") else 2
        if len(parts) <= service_at or parts[service_at] != "CloudTrail":
            continue
        match = _KEY.match(key)
        if match is None or not path.name.endswith(LOG_SUFFIXES):
            problems.append(
                Problem(path, None, "not a CloudTrail log file in the S3 layout "
                        "AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz (or .json)")
            )
            continue
        found.append(LogFile(path, key, match["account"], match["region"], match["org"]))
    return found, problems


def _files_under(folder: Path) -> tuple[list[Path], list[Problem]]:
    """Every file under ``folder``, sorted, and a Problem for each folder that could not be listed.

    A folder that cannot be read (permissions, an I/O error) holds logs nobody saw: it is a bad
    input, named (and, with --skip-bad-files, recorded), never an empty folder.
    """
    problems: list[Problem] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        problems.append(Problem(where, None, f"cannot read this folder ({error.strerror or error}): "
                                "the CloudTrail logs in it would be missed"))

    paths = []
    for directory, _, names in os.walk(folder, onerror=unreadable):
        paths += [Path(directory) / name for name in names]
    return sorted(p for p in paths if p.is_file()), problems


def kept_row(log_file: LogFile, raw: bytes, index: int, selection: EventSelection) -> Row | None:
    """The row of the record ``Records[index]`` (its JSON text ``raw``), or None when ``selection``
    does not keep it. The record is parsed strictly: a duplicated key is a BadLogFile, as is a
    kept record without a valid eventTime."""
    try:
        record = strict_json.loads(raw.decode("utf-8"))
    except strict_json.StrictJsonError as exc:
        raise BadLogFile(Problem(log_file.path, None, f"Records[{index}]: invalid JSON: {exc.message}")) from None
    if not isinstance(record, Mapping):
        raise BadLogFile(Problem(log_file.path, None, f"Records[{index}] is not an object"))
    if not selection.keeps(record):
        return None
    try:
        return trail_event_row(record, origin=log_file.origin, region=log_file.region, log_stream_name=log_file.key)
    except TransformError as exc:
        raise BadLogFile(Problem(log_file.path, None, f"Records[{index}]: {exc}")) from None


def read_log_records(path: Path) -> list[Mapping[str, Any]]:
    """The records of one log file, strictly parsed; BadLogFile names the file and the line or record."""
    records: list[Mapping[str, Any]] = []
    for part in record_parts(path):
        for raw in part.records:
            try:
                records.append(strict_json.loads(raw.decode("utf-8")))
            except strict_json.StrictJsonError as exc:
                raise BadLogFile(Problem(path, None, f"Records[{len(records)}]: invalid JSON: {exc.message}")) from None
    return records


def log_file_rows(log_file: LogFile, selection: EventSelection = EventSelection.ROOT) -> list[Row]:
    """The rows of one log file, by the Python transform (the reference for :func:`load_log_files`)."""
    rows: list[Row] = []
    index = 0
    for part in record_parts(log_file.path):
        for raw in part.records:
            row = kept_row(log_file, raw, index, selection)
            if row is not None:
                rows.append(row)
            index += 1
    return rows


def find_bad_log_files(files: Iterable[LogFile], selection: EventSelection = EventSelection.ROOT) -> list[Problem]:
    """Every file of ``files`` the Python reader rejects, with where and why (slow: the error path)."""
    problems: list[Problem] = []
    for log_file in files:
        try:
            log_file_rows(log_file, selection)
        except BadLogFile as exc:
            problems.append(exc.problem)
    return problems


def _path_sql(path: tuple[str, ...]) -> str:
    return "$." + ".".join(path)


def _quoted_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


BATCH_VIEW = "rootwatch_log_batch"
FILES_TABLE = "rootwatch_log_files"


def _insert_sql(selection: EventSelection) -> str:
    """One INSERT ... SELECT that maps a batch of records (``fid``, ``r``: a record's JSON text)
    into the event table (root activity, or every record when the table cannot become the view).

    Each record is parsed twice: once for the text fields, once for the JSON ones. The record
    itself is stored as its log file spells it, as :func:`cloudtrail_view.records_insert_sql`
    stores it. The root selection's records were chosen in Python already; the same condition
    stands here as well, so the SQL alone says what a row is.
    """
    from rootwatch.snapshot.cloudtrail_view import derived_expressions

    # Each field's place in the two lists one parse of the record fills (t: as text, j: as JSON).
    text_fields = list(EVENT_TEXT_FIELDS.values()) + [READ_ONLY_PATH, *USER_IDENTIFIER_PATHS, EVENT_TIME_PATH]
    json_fields = list(EVENT_JSON_FIELDS.values())
    text_paths = [_path_sql(p) for p in text_fields]
    json_paths = [_path_sql(p) for p in json_fields]
    text_columns = list(EVENT_TEXT_FIELDS)
    select = derived_expressions(lambda path: f"t[{text_fields.index(path) + 1}]", lambda path: f"j[{json_fields.index(path) + 1}]")
    time_at = text_fields.index(EVENT_TIME_PATH) + 1
    select.update(
        {
            "event_time": f"CAST(CASE WHEN t[{time_at}] IS NULL THEN error('a record without eventTime in ' || f.key) "
            f"ELSE t[{time_at}] END AS TIMESTAMPTZ)",
            "timestamp": f"CAST(t[{time_at}] AS TIMESTAMPTZ)",
            "timestamp_ms": f"epoch_ms(CAST(t[{time_at}] AS TIMESTAMPTZ))",
            "cloudtrail_event": "r",
            "log_stream_name": "f.key",
            "partition": "f.partition",
            "region": "f.region",
            "account_id": "f.account_id",
            "sp_connection_name": "f.connection_name",
            "sp_ctx": "f.ctx",
            "_ctx": "f.ctx",
        }
    )
    keep = "" if selection is EventSelection.ALL else (
        f"WHERE t[{select_index(text_columns, 'user_type')}] = 'Root' OR "
        f"(t[{select_index(text_columns, 'event_name')}] = 'AssumeRoot' AND "
        f"t[{select_index(text_columns, 'event_source')}] = 'sts.amazonaws.com')"
    )
    columns = ", ".join(f'"{name}"' for name in select)
    values = ", ".join(select.values())
    return f"""
INSERT INTO {TRAIL_EVENT_TABLE} ({columns})
SELECT {values}
FROM (
  SELECT fid, r, json_extract_string(r, {_quoted_list(text_paths)}) AS t, json_extract(r, {_quoted_list(json_paths)}) AS j
  FROM {BATCH_VIEW}
) AS e
JOIN {FILES_TABLE} AS f ON f.fid = e.fid
{keep}
"""


def select_index(columns: list[str], name: str) -> int:
    """The 1-based position of ``name`` in the text-field list ``t``."""
    return columns.index(name) + 1


@dataclass
class LoadResult:
    """What :func:`load_log_files` did: rows inserted, and every bad file (with where and why)."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    records_view: bool = False
    """The event table is now the view over the stored records (:mod:`cloudtrail_view`): the
    snapshot's format version is :data:`cloudtrail_view.RECORDS_VIEW_FORMAT_VERSION`."""


def load_log_files(
    connection: Any,
    files: Sequence[LogFile],
    selection: EventSelection = EventSelection.ROOT,
    *,
    skip_bad_files: bool = False,
    threads: int = 2,
    memory_limit: str = "320MB",
) -> LoadResult:
    """Load ``files`` into ``aws_cloudtrail_trail_event`` on a DuckDB connection (a transaction per
    batch: see :mod:`cloudtrail_load`). With every record kept (``EventSelection.ALL``) and the
    table still empty, the table becomes a view over the records stored lean
    (:mod:`cloudtrail_view`; ``LoadResult.records_view`` says so).

    Every file is read to its end whatever happens, so every bad file is named at once. When one
    is bad, no row of these files stays unless ``skip_bad_files``, in which case exactly the good
    files' rows do.
    ``threads`` bounds the worker processes (DuckDB inserts on :data:`INSERT_THREADS`); ``memory_limit`` is DuckDB's
    (the process takes a few hundred megabytes beyond it: with every record of 400 MB of logs
    kept, 512 MB took the whole process tree past 1 GB; 320 MB costs about 5 % more CPU).
    Both (and the storage settings the load uses) are restored afterwards.
    """
    import duckdb

    result = LoadResult()
    if not files:
        return result
    from rootwatch.snapshot import cloudtrail_view
    from rootwatch.snapshot.cloudtrail_load import Loader, Target
    from rootwatch.snapshot.heap import heap_kept

    records_view = selection is EventSelection.ALL and cloudtrail_view.use_records_view(connection)
    if records_view:
        first = cloudtrail_view.first_file_id(connection)
        target = Target(cloudtrail_view.records_insert_sql(BATCH_VIEW, FILES_TABLE, first),
                        cloudtrail_view.records_delete_sql(FILES_TABLE, first))
    else:
        target = Target(_insert_sql(selection),
                        f"DELETE FROM {TRAIL_EVENT_TABLE} WHERE log_stream_name IN (SELECT UNNEST(?::VARCHAR[]))")
    settings = _LoadSettings(connection, memory_limit, force_zstd=not records_view)
    try:
        with heap_kept():
            attempt = Loader(connection, files, set(), target).run(selection, _workers(files, threads), skip_bad_files)
        if records_view:
            connection.execute(cloudtrail_view.files_insert_sql(FILES_TABLE, first))
        return LoadResult(attempt.rows, attempt.problems, records_view)
    except duckdb.InterruptException:
        # Ctrl-C (or SIGTERM) stopped the load: an interruption, not a bad file to go looking for.
        raise KeyboardInterrupt from None
    finally:
        settings.restore()


def _workers(files: Sequence[LogFile], threads: int) -> int:
    return max(1, int(threads)) if _compressed_bytes(files) >= PARALLEL_MIN_BYTES else 1


def _compressed_bytes(files: Sequence[LogFile]) -> int:
    size = 0
    for log_file in files:
        with contextlib.suppress(OSError):
            size += log_file.path.stat().st_size
    return size


@dataclass(frozen=True)
class SnapshotStorage:
    """How a snapshot that takes a load of CloudTrail logs is stored (the writer's ``block_size`` and
    ``row_group_size``)."""

    block_size: int
    row_group_size: int | None
    """None: DuckDB's default."""


def snapshot_storage(files: Sequence[LogFile], selection: EventSelection) -> SnapshotStorage:
    """The storage of a snapshot that will take ``files`` with ``selection``. When every record goes
    in: the load's :data:`cloudtrail_load.ROW_GROUP_ROWS` rows per row group, whatever the size
    (each of DuckDB's threads then fills row groups of its own; with DuckDB's 122,880-row groups
    a thread's share was part of one, which DuckDB copied again into the transaction's rows:
    every record of 32 MB of gzip logs took 4.6 CPU seconds and 955 MB of RSS, 2.6 and 776 MB
    with the load's row groups; of 8 MB, 1.2 and 0.7), and from :data:`LARGE_LOAD_BYTES` of logs
    on DuckDB's large blocks (the snapshot's small ones made the load spill a temporary file per
    block; see :data:`rootwatch.snapshot.writer.LARGE_BLOCK_SIZE`). Otherwise the writer's small
    blocks and DuckDB's row groups."""
    from rootwatch.snapshot.cloudtrail_load import ROW_GROUP_ROWS
    from rootwatch.snapshot.writer import BLOCK_SIZE, LARGE_BLOCK_SIZE

    if selection is not EventSelection.ALL:
        return SnapshotStorage(BLOCK_SIZE, None)
    return SnapshotStorage(LARGE_BLOCK_SIZE if _compressed_bytes(files) >= LARGE_LOAD_BYTES else BLOCK_SIZE, ROW_GROUP_ROWS)


class _LoadSettings:
    """DuckDB settings for a load, and the previous values to restore."""

    NAMES = ("threads", "memory_limit", "preserve_insertion_order", "force_compression")

    def __init__(self, connection: Any, memory_limit: str, *, force_zstd: bool) -> None:
        self.connection = connection
        self.previous = {
            name: connection.execute(f"SELECT current_setting('{name}')").fetchone()[0] for name in self.NAMES
        }
        connection.execute(f"SET threads = {INSERT_THREADS}")
        connection.execute(f"SET memory_limit = '{memory_limit}'")
        # Row order is meaningless here, and keeping it costs memory on large loads.
        connection.execute("SET preserve_insertion_order = false")
        if force_zstd:
            # Record text is long and alike: zstd stores it in a fifth of the space of DuckDB's
            # default choice, and with the snapshot's small blocks about seven times as fast. (The
            # records table of cloudtrail_view asks for zstd on its record column alone.)
            connection.execute("SET force_compression = 'zstd'")

    def restore(self) -> None:
        import duckdb

        # After an interruption the transaction is aborted and these fail; the build is being
        # abandoned, so that must not hide why.
        with contextlib.suppress(duckdb.Error):
            self.connection.execute(f"SET threads = {self.previous['threads']}")
            self.connection.execute(f"SET memory_limit = '{self.previous['memory_limit']}'")
            self.connection.execute(f"SET preserve_insertion_order = {self.previous['preserve_insertion_order']}")
            self.connection.execute(f"SET force_compression = '{self.previous['force_compression']}'")
