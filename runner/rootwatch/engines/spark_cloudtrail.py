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

from rootwatch.cloudtrail_layout import LOG_SUFFIXES, LogObject, default_boto3_session, list_log_files, parse_location, s3_error
from rootwatch.engines import s3_fetch
from rootwatch.engines.s3_fetch import S3ClientSettings
from rootwatch.engines.spark_session import first_line
from rootwatch.errors import InputError, UsageError
from rootwatch.schema.tables import TRAIL_EVENT_TABLE, ColumnType, table_named
from rootwatch.snapshot.transforms.common import partition_of_region
from rootwatch.snapshot.transforms.events import (
    EVENT_JSON_FIELDS,
    EVENT_TEXT_FIELDS,
    EVENT_TIME_PATH,
    READ_ONLY_PATH,
    USER_IDENTIFIER_PATHS,
)

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


READERS = ("auto", "spark", "boto3")
"""How S3 objects are read: ``spark`` opens them itself (an S3 filesystem: EMR, Databricks, Glue,
hadoop-aws), ``boto3`` has its Python workers fetch them (rootwatch.engines.s3_fetch: PySpark from
PyPI has no S3 filesystem), ``auto`` asks Spark whether it can open the scheme and uses it if so."""
FILES_PER_TASK = 32
"""Objects one fetching task gets (a task per object would cost more in scheduling than in reading)."""
MAX_FETCH_TASKS = 2000


def register_cloudtrail_view(
    session: Any,
    location: str,
    *,
    since: date,
    until: date,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    s3_client: Any = None,
    reader: str = "auto",
) -> list[LogObject]:
    """Create the temporary view ``aws_cloudtrail_trail_event`` on ``session`` (a SparkSession, local or
    Spark Connect) from the CloudTrail logs at ``location`` delivered from ``since`` to ``until``
    (inclusive, UTC days), for ``accounts`` and ``regions`` (None: all). Returns the files read.

    ``location``: a local folder, or ``s3://``/``s3a://bucket/prefix/``, listed with boto3 (or
    ``s3_client``) and read as ``reader`` (one of :data:`READERS`) says. With ``spark``, Spark opens
    the URLs with the location's scheme: give the one its cluster reads (``s3://`` on EMR and
    Databricks, ``s3a://`` with hadoop-aws). Before the view exists, the first object is opened
    once, so a bucket that cannot be read is an InputError now, not an empty answer later.
    """
    if reader not in READERS:
        raise UsageError(f"CloudTrail reader {reader!r} is not one of {', '.join(READERS)}")
    parsed = parse_location(location)
    if not parsed.is_s3:
        if reader == "boto3":
            raise UsageError("--cloudtrail-reader boto3 reads an s3:// location, not a local folder", hint="leave it at auto")
        files = list_log_files(location, since=since, until=until, accounts=accounts, regions=regions)
        events_view(session, files).createOrReplaceTempView(TRAIL_EVENT_TABLE)
        return files
    boto_session = None
    if s3_client is None:
        boto_session = default_boto3_session()
        s3_client = boto_session.client("s3")
    files = list_log_files(location, since=since, until=until, accounts=accounts, regions=regions, s3_client=s3_client)
    fetch: S3ClientSettings | None = None
    if files and not (reader != "boto3" and _spark_opens(session, files[0].url, required=reader == "spark")):
        fetch = _client_settings(s3_client, boto_session if _runs_locally(session) else None)
        _check_readable(fetch, files[0])
    events_view(session, files, fetch=fetch).createOrReplaceTempView(TRAIL_EVENT_TABLE)
    return files


def events_view(session: Any, files: Sequence[LogObject], *, fetch: S3ClientSettings | None = None) -> Any:
    """The DataFrame of the view: the root events of ``files``, with the snapshot table's columns;
    ``fetch`` set: the objects are fetched by Spark's Python workers with those boto3 settings."""
    table = table_named(TRAIL_EVENT_TABLE)
    schema = ", ".join(f"`{c.name}` {_SPARK_TYPES[c.type]}" for c in table.columns)
    if not files:
        return session.createDataFrame([], schema)
    texts = _fetched_texts(session, files, fetch) if fetch is not None else _opened_texts(session, files)
    records = "from_json(value, 'Records array<string>', map('mode', 'FAILFAST')).Records"
    rows = (
        texts.where(_MAY_BE_ROOT.format("value"))
        .selectExpr(
            "file_path", "key", "account_id", "region",
            f"explode(CASE WHEN {records} IS NULL "
            "THEN raise_error(concat('not a CloudTrail log file (no \"Records\" list): ', file_path)) "
            f"ELSE {records} END) AS r",
        )
        .where(_MAY_BE_ROOT.format("r"))
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


def _opened_texts(session: Any, files: Sequence[LogObject]) -> Any:
    """(file_path, key, account_id, region, value): each file's whole text, opened by Spark."""
    # One row per file (text()'s default would split it into lines). Spark is handed the day
    # folders, not each file: it lists a folder in one call, where it would look up each file on
    # its own (one request per object on S3). Key, account and region come from the path; Spark
    # evaluates them only for the files the filter on the text keeps.
    return (
        session.read.text(sorted({f.url.rsplit("/", 1)[0] for f in files}), wholetext=True, pathGlobFilter=_LOG_GLOB)
        .selectExpr("_metadata.file_path AS file_path", "value")
        .selectExpr(
            "file_path",
            f"url_decode(regexp_extract(file_path, '{_KEY_PATTERN}', 1)) AS key",
            f"regexp_extract(file_path, '{_KEY_PATTERN}', 2) AS account_id",
            f"regexp_extract(file_path, '{_KEY_PATTERN}', 3) AS region",
            "value",
        )
    )


def _fetched_texts(session: Any, files: Sequence[LogObject], settings: S3ClientSettings) -> Any:
    """The same columns as :func:`_opened_texts`, for S3 objects fetched by the Python workers."""
    from functools import partial

    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(s3_fetch)  # executors need not have rootwatch installed
    objects = [(f.url, *f.s3_object(), f.key, f.account_id, f.region) for f in files]
    tasks = max(1, min(len(objects) // FILES_PER_TASK, MAX_FETCH_TASKS))
    listing = session.createDataFrame(
        objects, "url string, bucket string, key string, log_key string, account_id string, region string"
    ).repartition(tasks)
    return listing.mapInArrow(partial(s3_fetch.fetch_batches, settings), s3_fetch.FETCHED_SCHEMA)


def _runs_locally(session: Any) -> bool:
    """True for an embedded (``local[...]``) session, whose executors are this machine's processes."""
    if type(session).__module__.startswith("pyspark.sql.connect"):
        return False
    try:
        return str(session.sparkContext.master).startswith("local")
    except Exception:  # noqa: BLE001 - no context to ask: treat as a cluster
        return False


def _client_settings(client: Any, boto_session: Any) -> S3ClientSettings:
    """What the listing's client reached (endpoint, region); with ``boto_session`` (local mode),
    also its resolved credentials, for workers whose environment may not have them."""
    credentials = None
    if boto_session is not None:
        resolved = boto_session.get_credentials()
        if resolved is not None:
            frozen = resolved.get_frozen_credentials()
            credentials = (frozen.access_key, frozen.secret_key, frozen.token)
    return S3ClientSettings(client.meta.endpoint_url, client.meta.region_name, credentials)


def _check_readable(settings: S3ClientSettings, first: LogObject) -> None:
    """Open the first object (its first byte) on the driver: a bucket listed but not readable
    (no s3:GetObject, a KMS key without kms:Decrypt) is an InputError here, not a failed query."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, object_key = first.s3_object()
    try:
        settings.client().get_object(Bucket=bucket, Key=object_key, Range="bytes=0-0")["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        raise s3_error(f"cannot read {first.url}", exc,
                       hint="these credentials may list the bucket but not read its objects (s3:GetObject, and kms:Decrypt for SSE-KMS)") from None  # fmt: skip


_UNSUPPORTED_SCHEME = ("No FileSystem for scheme", "UnsupportedFileSystemException", "S3AFileSystem not found")


def _spark_opens(session: Any, url: str, *, required: bool) -> bool:
    """Whether Spark itself opens ``url`` (an S3 filesystem is installed): Spark resolves the path
    of one object, which needs no data read. False when the scheme has no filesystem (an
    InputError if ``required``); an InputError when the filesystem exists but fails."""
    try:
        session.read.text(url).schema  # noqa: B018 - resolving the path is the test
    except Exception as exc:  # noqa: BLE001 - Py4J, Connect and analysis errors alike
        text = str(exc)
        if any(marker in text for marker in _UNSUPPORTED_SCHEME):
            if required:
                raise InputError(
                    f"Spark cannot open {url.split('://', 1)[0]}:// paths (no S3 filesystem such as hadoop-aws in this session)",
                    hint="use --cloudtrail-reader boto3 (or auto): rootwatch then fetches the objects with boto3 on the executors",
                ) from None
            return False
        raise InputError(
            f"Spark cannot read {url}: {first_line(exc)}",
            hint="check the cluster's S3 credentials, or use --cloudtrail-reader boto3 to fetch the objects with boto3",
        ) from None
    return True


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
