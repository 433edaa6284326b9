"""The snapshot layout of a load that keeps every CloudTrail record: the records stored lean, and
``aws_cloudtrail_trail_event`` a view over them.

A CloudTrail record's six JSON columns (``user_identity``, ``request_parameters``...) repeat about
40 % of the record that ``cloudtrail_event`` already holds, and most of the text columns repeat
small parts of it. Loading every record of 50 MB of gzip logs (593 MB of JSON) spent 6.4 CPU
seconds in DuckDB extracting, checking and compressing those copies; storing only the record and
the columns below took 3.1, and the snapshot shrank from 121 MB to 47 MB (the whole build, with
one parse per record: 8.2 CPU seconds and 8.9 s on two cores before, 4.9 and 5.5 after;
``perf/cloudtrail_ingest.py --size-mb 50 --all-events``).

So such a load stores, in :data:`RECORDS_TABLE`, the whole record (as its log file spells it:
:func:`records_insert_sql`), the columns a reader filters on first (``user_type``: every reader of the mod keeps root
activity; ``event_name``, ``event_source``, ``event_time``), ``read_only`` (its cast is what
rejects a record whose ``readOnly`` is not a boolean, and must fail at load, not at read), and the
record's ``file_id``. The columns of the log file (``log_stream_name``, ``account_id``...) are
stored once per file, in :data:`RECORD_FILES_TABLE`: repeated on each record, DuckDB spent 15 % of
its CPU time on them (joining, copying, checking and compressing the same few values 3 million
times). The view joins the two and computes every other column from ``cloudtrail_event`` with the
very expressions the bulk loader used on the record's text, so readers see the same table, the
same column types and the same values. A reader pays the extraction only for the rows it reads
past its filters (a query on root activity: a few in a thousand).

DuckDB's virtual generated columns would have kept one table, but DuckDB evaluates them on every
INSERT to check that they do not fail: the load took 16 CPU seconds instead of 6.4.

The view makes the snapshot format version :data:`RECORDS_VIEW_FORMAT_VERSION`: an older rootwatch
would not export the view to Parquet (it listed tables only) and says it cannot read the file.
The file table came later within version 2: a rootwatch that knows version 2 but not the file
table reads the view as it is; its merge names the file table as unknown (a clear error, no row
lost) and its Parquet export writes the file table beside the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rootwatch.schema.tables import TRAIL_EVENT_TABLE, Table, quote_identifier, table_named
from rootwatch.snapshot.transforms.events import (
    EVENT_JSON_FIELDS,
    EVENT_TEXT_FIELDS,
    EVENT_TIME_PATH,
    READ_ONLY_PATH,
    USER_IDENTIFIER_PATHS,
)

RECORDS_TABLE = "rootwatch_cloudtrail_records"
"""The stored rows behind the ``aws_cloudtrail_trail_event`` view (not a table of the mod's schema)."""
RECORDS_VIEW_FORMAT_VERSION = 2
"""The snapshot format version of a snapshot whose event table is this view."""
STORED_TEXT_COLUMNS = ("user_type", "event_name", "event_source")
"""Text columns kept as they are: readers filter on them first."""
RECORD_FILES_TABLE = "rootwatch_cloudtrail_files"
"""The log files of :data:`RECORDS_TABLE`'s records, one row each (``file_id`` and
:data:`FILE_COLUMNS`)."""
FILE_COLUMNS = ("log_stream_name", "partition", "region", "account_id", "sp_connection_name", "sp_ctx", "_ctx")
"""Columns of the log file a record came from (the same for all its records), stored once per file
in :data:`RECORD_FILES_TABLE`."""
STORED_COLUMNS = STORED_TEXT_COLUMNS + ("read_only", "event_time", "cloudtrail_event", "file_id")
"""Every column of :data:`RECORDS_TABLE`, in order."""


def json_path(path: tuple[str, ...]) -> str:
    """``path`` as a quoted DuckDB JSON path literal (``'$.a.b'``)."""
    return "'$." + ".".join(path) + "'"


def derived_expressions(text: Callable[[tuple[str, ...]], str], value: Callable[[tuple[str, ...]], str]) -> dict[str, str]:
    """The SQL of every column mapped from a record's fields, keyed by column: the one mapping of
    the bulk load (:func:`cloudtrail_logs._insert_sql`, fields read from one parse per record) and
    of the view (fields read from the stored record). ``text(path)`` is the SQL of a field as text
    (NULL when absent or a JSON null), ``value(path)`` the SQL of a field as JSON.

    ``json_extract`` writes a JSON null as the text ``null``: cheaper to compare than ``json_type``.
    """
    columns = {name: text(path) for name, path in EVENT_TEXT_FIELDS.items()}
    for name, path in EVENT_JSON_FIELDS.items():
        columns[name] = f"CASE WHEN CAST({value(path)} AS VARCHAR) = 'null' THEN NULL ELSE {value(path)} END"
    columns["read_only"] = f"CAST({text(READ_ONLY_PATH)} AS BOOLEAN)"
    columns["user_identifier"] = "coalesce(" + ", ".join(f"nullif({text(path)}, '')" for path in USER_IDENTIFIER_PATHS) + ")"
    return columns


def view_sql(table: Table | None = None) -> str:
    """``CREATE VIEW aws_cloudtrail_trail_event`` over :data:`RECORDS_TABLE` and :data:`RECORD_FILES_TABLE`:
    every column of the table's definition, in its order and of its type."""
    table = table or table_named(TRAIL_EVENT_TABLE)
    derived = derived_expressions(
        lambda path: f"json_extract_string(cloudtrail_event, {json_path(path)})",
        lambda path: f"json_extract(cloudtrail_event, {json_path(path)})",
    )
    derived.update({"timestamp": "event_time", "timestamp_ms": "epoch_ms(event_time)"})
    select = []
    for column in table.columns:
        name = quote_identifier(column.name)
        stored = column.name in STORED_COLUMNS or column.name in FILE_COLUMNS
        expression = name if stored else derived.get(column.name, "NULL")
        select.append(f"CAST({expression} AS {column.type.duckdb}) AS {name}")
    return (f"CREATE VIEW {quote_identifier(TRAIL_EVENT_TABLE)} AS SELECT {', '.join(select)} "
            f"FROM {quote_identifier(RECORDS_TABLE)} JOIN {quote_identifier(RECORD_FILES_TABLE)} USING (file_id)")


RECORD_COMPRESSION = "zstd"
"""How DuckDB stores ``cloudtrail_event``, chosen for that column alone (``USING COMPRESSION``).

Record text is long and alike: zstd stores it in a fifth of the space of DuckDB's own choice. The
other columns are left to DuckDB (dictionary and FSST for the short texts that repeat): forced to
zstd as well (the load's ``force_compression`` before), every record of 50 MB of gzip logs took
3.18 CPU seconds of DuckDB and 46.7 MB of snapshot, 2.81 and 28.6 MB left to it."""


def records_ddl(table: Table | None = None) -> tuple[str, str]:
    """``CREATE TABLE`` of :data:`RECORDS_TABLE` (each column of the event table's type; the
    record compressed with :data:`RECORD_COMPRESSION`) and of :data:`RECORD_FILES_TABLE`."""
    table = table or table_named(TRAIL_EVENT_TABLE)

    def typed(name: str) -> str:
        if name == "file_id":
            return "file_id INTEGER"
        column = table.column(name)
        assert column is not None, name
        return f"{quote_identifier(name)} {column.type.duckdb}"

    columns = [typed(name) + (f" USING COMPRESSION {RECORD_COMPRESSION}" if name == "cloudtrail_event" else "")
               for name in STORED_COLUMNS]
    files = [typed(name) for name in ("file_id", *FILE_COLUMNS)]
    return (f"CREATE TABLE {quote_identifier(RECORDS_TABLE)} ({', '.join(columns)})",
            f"CREATE TABLE {quote_identifier(RECORD_FILES_TABLE)} ({', '.join(files)})")


def use_records_view(connection: Any) -> bool:
    """Lay the event table out as :data:`RECORDS_TABLE`, :data:`RECORD_FILES_TABLE` and the view, when it
    is an empty table (a snapshot being written that holds no event yet) or is already laid out so;
    False (nothing changed) when it holds rows, which the view could not show."""
    kinds = dict(connection.execute(
        "SELECT table_name, 'table' FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall())
    if kinds.get(TRAIL_EVENT_TABLE) == "view" and kinds.get(RECORDS_TABLE) == kinds.get(RECORD_FILES_TABLE) == "table":
        return True
    if kinds.get(TRAIL_EVENT_TABLE) != "table" or RECORDS_TABLE in kinds or RECORD_FILES_TABLE in kinds:
        return False
    if connection.execute(f"SELECT count(*) FROM {quote_identifier(TRAIL_EVENT_TABLE)}").fetchone()[0]:
        return False
    connection.execute(f"DROP TABLE {quote_identifier(TRAIL_EVENT_TABLE)}")
    for ddl in records_ddl():
        connection.execute(ddl)
    connection.execute(view_sql())
    return True


def first_file_id(connection: Any) -> int:
    """The ``file_id`` the next load's first file takes (after those of an earlier load)."""
    return int(connection.execute(f"SELECT coalesce(max(file_id) + 1, 0) FROM {quote_identifier(RECORD_FILES_TABLE)}").fetchone()[0])


def records_insert_sql(batch_view: str, load_files: str, first_file: int) -> str:
    """The INSERT that maps a batch of records (``fid``, ``r``: a record's JSON text) into
    :data:`RECORDS_TABLE`, parsing each record once, for the stored text fields alone: the record
    itself is stored as its log file spells it (:func:`cloudtrail_load.record_text_type`), not
    written out again. Writing every record out as DuckDB writes JSON took a sixth of the load's
    CPU time (every record of 400 MB of gzip logs: 23.9 CPU seconds, 20.3 without), and changed
    nothing a reader of the view sees but the record's spelling (white space, escapes, how a
    number is written); the Spark engine's view holds the records as spelt too.

    A record's file is its ``file_id`` (the load's ``fid`` from ``first_file`` on), its columns
    stored once in :data:`RECORD_FILES_TABLE` (:func:`files_insert_sql`): repeated on every record, they
    took 15 % of DuckDB's CPU time. ``load_files`` (the load's files) names the file of a record
    without an eventTime."""
    paths = [json_path(EVENT_TEXT_FIELDS[name]) for name in STORED_TEXT_COLUMNS]
    paths += [json_path(READ_ONLY_PATH), json_path(EVENT_TIME_PATH)]
    read_only_at, time_at = len(STORED_TEXT_COLUMNS) + 1, len(STORED_TEXT_COLUMNS) + 2
    values = [f"t[{index + 1}]" for index in range(len(STORED_TEXT_COLUMNS))]
    values += [
        f"CAST(t[{read_only_at}] AS BOOLEAN)",
        # json_extract_string reads a JSON null as NULL: no eventTime either.
        f"CAST(CASE WHEN t[{time_at}] IS NULL THEN error('a record without eventTime in ' || f.key) "
        f"ELSE t[{time_at}] END AS TIMESTAMPTZ)",
        "r",
        f"e.fid + {int(first_file)}",
    ]
    columns = ", ".join(quote_identifier(name) for name in STORED_COLUMNS)
    return f"""
INSERT INTO {RECORDS_TABLE} ({columns})
SELECT {', '.join(values)}
FROM (SELECT fid, r, json_extract_string(r, [{', '.join(paths)}]) AS t FROM {batch_view}) AS e
JOIN {load_files} AS f ON f.fid = e.fid
"""


def records_delete_sql(load_files: str, first_file: int) -> str:
    """The DELETE of the records of the files whose keys are its one parameter (a list)."""
    return (f"DELETE FROM {RECORDS_TABLE} WHERE file_id IN "
            f"(SELECT fid + {int(first_file)} FROM {load_files} WHERE key IN (SELECT UNNEST(?::VARCHAR[])))")


def files_insert_sql(load_files: str, first_file: int) -> str:
    """The INSERT of the load's files that have records into :data:`RECORD_FILES_TABLE`."""
    return f"""
INSERT INTO {RECORD_FILES_TABLE} (file_id, {', '.join(FILE_COLUMNS)})
SELECT fid + {int(first_file)}, key, partition, region, account_id, connection_name, ctx, ctx
FROM {load_files}
WHERE fid + {int(first_file)} IN (SELECT DISTINCT file_id FROM {RECORDS_TABLE} WHERE file_id >= {int(first_file)})
"""
