"""CloudTrail log files read where they lie, on Spark: the ``aws_cloudtrail_trail_event`` view.

:func:`register_cloudtrail_view` lists the files a window of days needs (partition pruning by key:
rootwatch.cloudtrail_layout), reads them with Spark and creates the temporary view
``aws_cloudtrail_trail_event`` with the snapshot table's columns and types, holding the same rows the
DuckDB snapshot builder (rootwatch.snapshot.cloudtrail_logs, root events only) makes of the same
files: ``query run root_activity`` and the CloudTrail controls then read it as they read a snapshot.

How the rows are found, cheapest test first (almost every record is not root's):

1. each file is read whole as text, and only a file whose text contains ``Root`` (every root
   record has ``"type":"Root"``; every ``sts:AssumeRoot`` call its event name) or a ``\\u``
   escape (which could spell either) is parsed at all;
2. its ``Records`` are split into record texts, and the same test runs on each record;
3. the few records left are parsed field by field, and kept when ``userIdentity.type`` is ``Root``
   or the record is an ``sts:AssumeRoot`` call, the builder's selection.

Fields map as in the builder (rootwatch.snapshot.transforms.events, one definition): text columns
take a JSON number or structure as its JSON text, JSON columns hold JSON text, ``event_time`` is
required (a kept record without it fails the read, naming the file), ``read_only`` is the boolean
of ``readOnly`` (``true``/``"true"``). A file that is not gzip, or not a ``{"Records": [...]}``
document while it may hold root activity, fails the read: evidence that could not be read is never
taken for "nothing there". The window selects files by delivery day (the key's date), as a snapshot
built from those files would hold them; an event at 23:59 may be delivered the next day.

JSON columns are Spark strings of JSON text; ``timestamptz`` columns Spark timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from rootwatch.cloudtrail_layout import LOG_SUFFIXES, LogObject, list_log_files
from rootwatch.schema.tables import ColumnType, table_named
from rootwatch.snapshot.transforms.common import partition_of_region
from rootwatch.snapshot.transforms.events import (
    EVENT_JSON_FIELDS,
    EVENT_TEXT_FIELDS,
    EVENT_TIME_PATH,
    READ_ONLY_PATH,
    USER_IDENTIFIER_PATHS,
)

VIEW = "aws_cloudtrail_trail_event"
_SPARK_TYPES = {
    ColumnType.TEXT: "string",
    ColumnType.BOOLEAN: "boolean",
    ColumnType.TIMESTAMPTZ: "timestamp",
    ColumnType.BIGINT: "bigint",
    ColumnType.JSONB: "string",
    ColumnType.DOUBLE: "double",
}
_LOG_GLOB = "*.{" + ",".join(suffix.lstrip(".") for suffix in LOG_SUFFIXES) + "}"
"""The log files of a day folder, as rootwatch.cloudtrail_layout lists them."""
_KEY_PATTERN = r"^.*/(AWSLogs/(?:o-[a-z0-9]{10,32}/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/[0-9]{4}/[0-9]{2}/[0-9]{2}/[^/]+)$"
"""A file's URL → its key from ``AWSLogs/`` on (1), account (2) and region (3)."""
# ``Root`` is in the text of every record the selection keeps; ``\u`` could hide it in an escape.
_MAY_BE_ROOT = "(contains({0}, 'Root') OR contains({0}, '\\\\u'))"


def register_cloudtrail_view(
    session: Any,
    location: str,
    *,
    since: date,
    until: date,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    s3_client: Any = None,
) -> list[LogObject]:
    """Create the temporary view ``aws_cloudtrail_trail_event`` on ``session`` (a SparkSession, local or
    Spark Connect) from the CloudTrail logs at ``location`` delivered from ``since`` to ``until``
    (inclusive, UTC days), for ``accounts`` and ``regions`` (None: all). Returns the files read.

    ``location``: a local folder, or ``s3://``/``s3a://bucket/prefix/`` (listed with boto3, or
    ``s3_client``; Spark opens the files with the same scheme, so give the one its cluster reads:
    ``s3://`` on EMR and Databricks, ``s3a://`` with hadoop-aws). Nothing is read until the view is queried.
    """
    files = list_log_files(location, since=since, until=until, accounts=accounts, regions=regions, s3_client=s3_client)
    events_view(session, files).createOrReplaceTempView(VIEW)
    return files


def events_view(session: Any, files: Sequence[LogObject]) -> Any:
    """The DataFrame of the view: the root events of ``files``, with the snapshot table's columns."""
    table = table_named(VIEW)
    schema = ", ".join(f"`{c.name}` {_SPARK_TYPES[c.type]}" for c in table.columns)
    if not files:
        return session.createDataFrame([], schema)
    records = "from_json(value, 'Records array<string>', map('mode', 'FAILFAST')).Records"
    rows = (
        # One row per file (text()'s default would split it into lines). Spark is handed the day
        # folders, not each file: it lists a folder in one call, where it would look up each file
        # on its own (one request per object on S3).
        session.read.text(sorted({f.url.rsplit("/", 1)[0] for f in files}), wholetext=True, pathGlobFilter=_LOG_GLOB)
        .selectExpr("_metadata.file_path AS file_path", "value")
        .where(_MAY_BE_ROOT.format("value"))
        .selectExpr(
            "file_path",
            f"url_decode(regexp_extract(file_path, '{_KEY_PATTERN}', 1)) AS key",
            f"explode(CASE WHEN {records} IS NULL "
            "THEN raise_error(concat('not a CloudTrail log file (no \"Records\" list): ', file_path)) "
            f"ELSE {records} END) AS r",
        )
        .where(_MAY_BE_ROOT.format("r"))
        .selectExpr(
            "file_path", "key", "r",
            f"regexp_extract(file_path, '{_KEY_PATTERN}', 2) AS account_id",
            f"regexp_extract(file_path, '{_KEY_PATTERN}', 3) AS region",
        )
        .where(
            "get_json_object(r, '$.userIdentity.type') = 'Root' OR (get_json_object(r, '$.eventName') = 'AssumeRoot' "
            "AND get_json_object(r, '$.eventSource') = 'sts.amazonaws.com')"
        )
        # Checked in a filter, which every query runs (a column's check would run only when the
        # query reads the column): a kept record without eventTime fails the read, as in the builder.
        .where(
            f"CASE WHEN get_json_object(r, '{_path(EVENT_TIME_PATH)}') IS NULL "
            "THEN raise_error(concat('a record without eventTime in ', file_path)) ELSE true END"
        )
    )
    expressions = _column_expressions(sorted({f.region for f in files}))
    return rows.selectExpr(*(f"CAST({expressions[c.name]} AS {_SPARK_TYPES[c.type]}) AS `{c.name}`" for c in table.columns))


def _path(path: tuple[str, ...]) -> str:
    return "$." + ".".join(path)


def _column_expressions(regions: Sequence[str]) -> dict[str, str]:
    """Each column's Spark SQL over a kept record ``r`` of ``file_path``, ``key``, ``account_id`` and
    ``region``: the builder's mapping, field by field."""

    def field(path: tuple[str, ...]) -> str:
        return f"get_json_object(r, '{_path(path)}')"

    time = field(EVENT_TIME_PATH)
    select: dict[str, str] = {name: field(path) for name, path in EVENT_TEXT_FIELDS.items()}
    select.update({name: field(path) for name, path in EVENT_JSON_FIELDS.items()})
    context = """concat('{"connection_name":"aws_', account_id, '"}')"""
    select.update(
        {
            "read_only": f"CAST({field(READ_ONLY_PATH)} AS BOOLEAN)",
            "user_identifier": "coalesce(" + ", ".join(f"nullif({field(p)}, '')" for p in USER_IDENTIFIER_PATHS) + ")",
            "filter": "NULL",
            "log_group_name": "NULL",
            "log_stream_name": "key",
            "event_time": f"CAST({time} AS TIMESTAMP)",
            "timestamp": f"CAST({time} AS TIMESTAMP)",
            "timestamp_ms": f"unix_millis(CAST({time} AS TIMESTAMP))",
            "cloudtrail_event": "r",
            # The files' regions are known here: each one's partition by the builder's own rule.
            "partition": "CASE region " + " ".join(f"WHEN '{r}' THEN '{partition_of_region(r)}'" for r in regions) + " END",
            "region": "region",
            "account_id": "account_id",
            "sp_connection_name": "concat('aws_', account_id)",
            "sp_ctx": context,
            "_ctx": context,
        }
    )
    return select
