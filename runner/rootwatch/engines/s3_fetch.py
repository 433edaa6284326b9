"""CloudTrail log objects fetched from S3 by Spark's Python workers, for a Spark without an S3 filesystem.

PySpark from PyPI has no hadoop-aws, so its Spark cannot open ``s3://`` or ``s3a://`` paths. Then
rootwatch.engines.spark_cloudtrail hands Spark the pruned list of objects as rows (``url``,
``bucket``, ``key``, ...) and :func:`fetch_batches` runs in ``mapInArrow`` on the executors (local
mode or a cluster behind Spark Connect): each worker gets its objects with boto3, a few at a time,
gunzips the ``.gz`` ones and passes on the text of each one that may hold root activity (the same
cheap ``Root``/``\\u`` test the native read applies first); Spark then splits and selects records
exactly as it does for files it opens itself.

This module runs on executors, which may have boto3 and pyarrow but not rootwatch: it imports
nothing of rootwatch, and spark_cloudtrail ships it to them by value (cloudpickle), not by name.

Credentials: in local mode the workers are this machine's own processes, started by the driver's
JVM, whose environment may predate the caller's (a test's moto endpoint, a profile chosen later),
so the driver's resolved credentials are handed to them in memory; on a cluster each executor uses
its own credential chain (instance profile, environment), and only the endpoint and region travel.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

FETCHED_SCHEMA = "file_path string, key string, account_id string, region string, value string"
"""The rows :func:`fetch_batches` yields: one per object that may hold root activity."""
FETCH_THREADS = 8
"""Concurrent GETs per Python worker: S3's latency, not its bandwidth, bounds small objects."""
BATCH_BYTES = 64 << 20
"""Text handed back to Spark per Arrow batch (an organisation's log file is up to some MB)."""


@dataclass(frozen=True)
class S3ClientSettings:
    """How an executor's boto3 client reaches the bucket: what the driver's listing used."""

    endpoint_url: str | None = None
    region_name: str | None = None
    credentials: tuple[str, str, str | None] | None = field(default=None, repr=False)
    """(access key, secret key, session token), local mode only; never printed (``repr=False``)."""

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        access_key, secret_key, token = self.credentials or (None, None, None)
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
            config=Config(max_pool_connections=FETCH_THREADS, retries={"max_attempts": 5, "mode": "standard"}),
        )


class FetchFailed(Exception):
    """An object that could not be fetched or decompressed; the message names it and says why."""


def may_be_root(text: str) -> bool:
    """The native read's first test: every record the selection keeps says ``Root`` (its identity's
    type, or ``AssumeRoot``), unless a ``\\u`` escape spells it."""
    return "Root" in text or "\\u" in text


def describe_error(exc: Exception) -> str:
    """A boto3 error in a line: S3's code and message (a ClientError), or botocore's own message
    (no connection, no credentials); neither holds the request's signature or credentials."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def fetch_text(client: Any, url: str, bucket: str, key: str) -> str:
    """The text of one log object (gunzipped when its name ends ``.gz``, as Spark's reader does)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        raise FetchFailed(f"cannot read {url}: {describe_error(exc)}") from None
    if key.endswith(".gz"):
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise FetchFailed(f"cannot read {url}: not a complete gzip file ({exc})") from None
    return body.decode("utf-8", errors="replace")


def fetch_batches(settings: S3ClientSettings, batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInArrow``'s function: batches of objects (``url``, ``bucket``, ``key``, ``log_key``,
    ``account_id``, ``region``) in, batches of :data:`FETCHED_SCHEMA` rows out."""
    import pyarrow as pa

    client = settings.client()
    names = ("file_path", "key", "account_id", "region", "value")
    columns: dict[str, list[str]] = {name: [] for name in names}
    size = 0
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        for batch in batches:
            objects = batch.to_pylist()
            # A few objects at a time: a batch may list thousands, of some MB each.
            for start in range(0, len(objects), 2 * FETCH_THREADS):
                chunk = objects[start : start + 2 * FETCH_THREADS]
                texts = pool.map(lambda o: fetch_text(client, o["url"], o["bucket"], o["key"]), chunk)
                for item, text in zip(chunk, texts):
                    if not may_be_root(text):
                        continue
                    for name, value in zip(names, (item["url"], item["log_key"], item["account_id"], item["region"], text)):
                        columns[name].append(value)
                    size += len(text)
                if size >= BATCH_BYTES:
                    yield pa.RecordBatch.from_pydict(columns)
                    columns, size = {name: [] for name in names}, 0
    if columns["value"]:
        yield pa.RecordBatch.from_pydict(columns)
