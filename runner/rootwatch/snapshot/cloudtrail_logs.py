"""CloudTrail log files (``*.json.gz`` as CloudTrail writes them to S3) → ``aws_cloudtrail_trail_event``.

Two implementations of one mapping (the field tables of ``transforms.events``):

* :func:`load_log_files` bulk-loads with DuckDB's ``read_json_objects`` over the gzip files, straight
  into the snapshot, with a bounded thread count and memory limit: the fast path.
* :func:`log_file_rows` reads one file in Python with :func:`transforms.trail_event_row`: the
  reference the bulk path is tested against, and the way to find *which* file (and line) is bad
  when a bulk load fails.

By default only root activity is kept (:attr:`EventSelection.ROOT`: ``userIdentity.type = Root``,
plus the ``sts:AssumeRoot`` calls that open centralized-root sessions): that is what the mod
reads, and it keeps a snapshot of gigabytes of logs small. ``EventSelection.ALL`` keeps every record.
Every kept record must have an ``eventTime``; every file must be ``{"Records": [...]}``.
"""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from rootwatch.errors import Problem
from rootwatch.snapshot.transforms import Origin, Row, TransformError, log_file_records, trail_event_row
from rootwatch.snapshot.transforms.common import partition_of_region
from rootwatch.snapshot.transforms.events import (
    EVENT_JSON_FIELDS,
    EVENT_TEXT_FIELDS,
    EVENT_TIME_PATH,
    READ_ONLY_PATH,
    USER_IDENTIFIER_PATHS,
)

TABLE = "aws_cloudtrail_trail_event"
LOG_SUFFIXES = (".json.gz", ".json")
"""CloudTrail writes gzip files; a decompressed (or hand-written) ``.json`` file is read as well."""
# AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
_KEY = re.compile(
    r"^AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/"
    r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)$"
)
MIN_OBJECT_SIZE = 16 * 1024 * 1024
MAX_OBJECT_SIZE = 256 * 1024 * 1024


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


class BadLogFile(Exception):
    """A log file that cannot be read; ``problem`` locates it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def find_log_files(awslogs: Path) -> tuple[list[LogFile], list[Problem]]:
    """The CloudTrail log files under an ``AWSLogs`` folder, and the files there that do not fit.

    Digest, Insights and other services' folders that an ``aws s3 sync`` brings along are not
    CloudTrail event logs and are passed over; inside ``CloudTrail/<region>/`` every file must be a
    ``.json.gz`` (or decompressed ``.json``) log in the ``YYYY/MM/DD`` layout.
    """
    found: list[LogFile] = []
    problems: list[Problem] = []
    base = awslogs.parent
    for path in sorted(p for p in awslogs.rglob("*") if p.is_file()):
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


def read_log_records(path: Path) -> list[Mapping[str, Any]]:
    """The records of one log file, checked; BadLogFile names the file and, for JSON errors, the line."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if path.name.endswith(".gz"):
            data = zlib.decompress(data, wbits=31)  # 31: gzip header and trailer required
    except zlib.error as exc:
        raise BadLogFile(Problem(path, None, f"not a complete gzip file ({exc}); re-download it")) from None
    except OSError as exc:
        raise BadLogFile(Problem(path, None, f"cannot read: {exc.strerror or exc}")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadLogFile(Problem(path, None, f"not UTF-8 text (byte {exc.start} of the decompressed file)")) from None
    records: list[Mapping[str, Any]] = []
    for document, line in _documents(path, text):
        try:
            records += log_file_records(document)
        except TransformError as exc:
            raise BadLogFile(Problem(path, line if line > 1 else None, str(exc))) from None
    return records


def _documents(path: Path, text: str) -> Iterator[tuple[Any, int]]:
    """The JSON documents of a log file with the line each starts on: one as CloudTrail writes it.
    Several back to back, or none (an empty file), are read as the bulk reader reads them."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    while position < len(text):
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise BadLogFile(Problem(path, exc.lineno, f"invalid JSON at column {exc.colno}: {exc.msg}")) from None
        yield document, text.count("\n", 0, position) + 1
        position = _skip_space(text, end)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def log_file_rows(log_file: LogFile, selection: EventSelection = EventSelection.ROOT) -> list[Row]:
    """The rows of one log file, by the Python transform (the reference for :func:`load_log_files`)."""
    rows: list[Row] = []
    for index, record in enumerate(read_log_records(log_file.path)):
        if not selection.keeps(record):
            continue
        try:
            rows.append(trail_event_row(record, origin=log_file.origin, region=log_file.region, log_stream_name=log_file.key))
        except TransformError as exc:
            raise BadLogFile(Problem(log_file.path, None, f"Records[{index}]: {exc}")) from None
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


def _uncompressed_size(path: Path) -> int:
    """The gzip trailer's ISIZE: the uncompressed size modulo 4 GiB (enough to size a buffer)."""
    if not path.name.endswith(".gz"):
        return path.stat().st_size
    try:
        with open(path, "rb") as handle:
            handle.seek(-4, 2)
            return int.from_bytes(handle.read(4), "little")
    except OSError:
        return 0  # unreadable or tiny: the load itself will say what is wrong


def _object_size_limit(files: Sequence[LogFile]) -> int:
    largest = max((_uncompressed_size(f.path) for f in files), default=0)
    limit = MIN_OBJECT_SIZE
    while limit < largest + 1024 * 1024 and limit < MAX_OBJECT_SIZE:
        limit *= 2
    return limit


def _path_sql(path: tuple[str, ...]) -> str:
    return "$." + ".".join(path)


def _insert_sql(selection: EventSelection, object_size: int) -> str:
    """One INSERT ... SELECT that reads, checks, filters and maps every record of ``$files``.

    Records are first reduced to the fields the selection needs; the full extraction (and the
    eventTime check) runs only on kept records, with the root selection a tiny share.
    """
    text_columns = list(EVENT_TEXT_FIELDS)
    text_paths = [_path_sql(p) for p in EVENT_TEXT_FIELDS.values()]
    text_paths += [_path_sql(READ_ONLY_PATH)] + [_path_sql(p) for p in USER_IDENTIFIER_PATHS]
    json_columns = list(EVENT_JSON_FIELDS)
    json_paths = [_path_sql(p) for p in EVENT_JSON_FIELDS.values()]

    def quoted_list(values: list[str]) -> str:
        return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"

    select = {name: f"t[{index + 1}]" for index, name in enumerate(text_columns)}
    read_only_at = len(text_columns) + 1
    select["read_only"] = f"CAST(t[{read_only_at}] AS BOOLEAN)"
    select["user_identifier"] = "coalesce(" + ", ".join(
        f"nullif(t[{read_only_at + 1 + i}], '')" for i in range(len(USER_IDENTIFIER_PATHS))
    ) + ")"
    for index, name in enumerate(json_columns):
        select[name] = f"CASE WHEN json_type(j[{index + 1}]) = 'NULL' THEN NULL ELSE j[{index + 1}] END"
    select.update(
        {
            "event_time": "CAST(CASE WHEN k[1] IS NULL THEN error('a record without eventTime in ' || e.filename) "
            "ELSE k[1] END AS TIMESTAMPTZ)",
            "timestamp": "CAST(k[1] AS TIMESTAMPTZ)",
            "timestamp_ms": "epoch_ms(CAST(k[1] AS TIMESTAMPTZ))",
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
    if selection is EventSelection.ALL:
        candidates, keep = "", "true"
    else:
        # Records are JSON text re-serialized by DuckDB (escapes undone), so every root or
        # AssumeRoot record contains 'Root': that substring test runs first, on every record, and
        # only the few that pass are parsed again. MATERIALIZED keeps the optimizer from merging
        # the two filters (it would parse every record before the cheap test).
        candidates, keep = " MATERIALIZED", "k[2] = 'Root' OR (k[3] = 'AssumeRoot' AND k[4] = 'sts.amazonaws.com')"
    prefilter = "WHERE contains(CAST(r AS VARCHAR), 'Root')" if candidates else ""
    columns = ", ".join(f'"{name}"' for name in select)
    values = ", ".join(select.values())
    time_path = _path_sql(EVENT_TIME_PATH)
    return f"""
WITH records AS{candidates} (
  -- Each file is parsed once, by json_extract; json_type parses it again only when that found
  -- no records, to tell an empty "Records" list from a file that is not a log.
  SELECT filename, r FROM (
    SELECT filename, unnest(
      CASE WHEN len(records) > 0 OR json_type(json, '$.Records') = 'ARRAY' THEN records
      ELSE error('not a CloudTrail log file (no "Records" list): ' || filename) END) AS r
    FROM (
      SELECT filename, json, json_extract(json, '$.Records[*]') AS records
      FROM read_json_objects($files, format = 'unstructured', compression = 'auto_detect',
                             maximum_object_size = {object_size}, filename = true)
    )
  )
  {prefilter}
)
INSERT INTO {TABLE} ({columns})
SELECT {values}
FROM (
  SELECT filename, r, k, json_extract_string(r, {quoted_list(text_paths)}) AS t, json_extract(r, {quoted_list(json_paths)}) AS j
  FROM (
    SELECT filename, r, json_extract_string(r, ['{time_path}', '$.userIdentity.type', '$.eventName', '$.eventSource']) AS k
    FROM records
  )
  WHERE {keep}
) AS e
JOIN rootwatch_log_files AS f ON f.filename = e.filename
"""


def load_log_files(
    connection: Any,
    files: Sequence[LogFile],
    selection: EventSelection = EventSelection.ROOT,
    *,
    threads: int = 2,
    memory_limit: str = "512MB",
) -> int:
    """Bulk-load ``files`` into ``aws_cloudtrail_trail_event`` on a DuckDB connection; returns the row count.

    One ``INSERT ... SELECT``: a truncated gzip, invalid JSON or a kept record without eventTime
    fails it as a whole, with DuckDB's error (:func:`find_bad_log_files` then says which file is at
    fault). On a snapshot writer's connection run it inside ``SnapshotWriter.transaction()``, so a
    failure leaves the snapshot as it was. ``threads`` and ``memory_limit`` bound the load and are
    restored afterwards.
    """
    import duckdb

    if not files:
        return 0
    previous = {
        name: connection.execute(f"SELECT current_setting('{name}')").fetchone()[0]
        for name in ("threads", "memory_limit", "preserve_insertion_order")
    }
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    # Row order is meaningless here, and keeping it costs memory on large loads.
    connection.execute("SET preserve_insertion_order = false")
    try:
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE rootwatch_log_files (filename VARCHAR, key VARCHAR, account_id VARCHAR, "
            "region VARCHAR, partition VARCHAR, connection_name VARCHAR, ctx JSON)"
        )
        connection.execute(
            "INSERT INTO rootwatch_log_files SELECT UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), "
            "UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), CAST(UNNEST(?::VARCHAR[]) AS JSON)",
            [
                [str(f.path) for f in files],
                [f.key for f in files],
                [f.account_id for f in files],
                [f.region for f in files],
                [f.origin.partition for f in files],
                [f.origin.connection_name for f in files],
                [json.dumps({"connection_name": f.origin.connection_name}) for f in files],
            ],
        )
        sql = _insert_sql(selection, _object_size_limit(files))
        count = connection.execute(sql, {"files": [str(f.path) for f in files]}).fetchone()[0]
        connection.execute("DROP TABLE rootwatch_log_files")
    except duckdb.InterruptException:
        # Ctrl-C (or SIGTERM) stopped the load: an interruption, not a bad file to go looking for.
        raise KeyboardInterrupt from None
    finally:
        # After an interruption the transaction is aborted and these fail; the build is being
        # abandoned, so that must not hide why.
        with contextlib.suppress(duckdb.Error):
            connection.execute(f"SET threads = {previous['threads']}")
            connection.execute(f"SET memory_limit = '{previous['memory_limit']}'")
            connection.execute(f"SET preserve_insertion_order = {previous['preserve_insertion_order']}")
    return int(count)
