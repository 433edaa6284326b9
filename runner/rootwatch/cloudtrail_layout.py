"""Which CloudTrail log files a date window needs, from the key layout alone (no engine, no file opened).

CloudTrail delivers to ``AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz``
(the date is the delivery day, UTC). Given where that tree lies (a local folder or
``s3://bucket/prefix/``), an inclusive window of days and optionally some accounts and regions,
:func:`list_log_files` walks only the branches that can match: the accounts and regions asked for
(or found one level at a time), then the day folders of the window. On S3 each step is a listing by
prefix (with a delimiter where only the next level's names are wanted; a whole month's prefix when
the window covers the month), so a 30-day question lists 30 days, never the whole bucket.

The location may name the ``AWSLogs`` folder itself or the folder (bucket, prefix) holding it.
Files with other suffixes (digests live in ``CloudTrail-Digest``, which is never entered) are passed
over.
"""

from __future__ import annotations

import calendar
import os
from abc import ABC, abstractmethod
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rootwatch.errors import InputError, UsageError

LOG_SUFFIXES = (".json.gz", ".json")
_ACCOUNT = re.compile(r"^\d{12}$")
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
S3_SCHEMES = ("s3", "s3a", "s3n")
S3_LIST_THREADS = 16
"""Concurrent S3 listings: one per account, region and day (or month) prefix."""


@dataclass(frozen=True)
class LogObject:
    """One CloudTrail log file and what its key says about it."""

    url: str
    """Where a reader opens it: a local path, or ``<scheme>://bucket/key`` with the location's scheme."""
    key: str
    """The key from ``AWSLogs/`` on (the snapshot's ``log_stream_name``)."""
    account_id: str
    region: str
    day: date
    organization_id: str | None = None

    def s3_object(self) -> tuple[str, str]:
        """(bucket, object key) of an S3 ``url``."""
        bucket, _, object_key = self.url.split("://", 1)[1].partition("/")
        return bucket, object_key


@dataclass(frozen=True)
class TrailLocation:
    """A parsed location: local ``root`` (the AWSLogs folder), or S3 ``bucket`` and ``prefix`` (ending ``AWSLogs/``)."""

    scheme: str
    """``file`` or an S3 scheme (``s3``, ``s3a``: kept for the URLs handed to a reader)."""
    root: Path | None = None
    bucket: str = ""
    prefix: str = ""

    @property
    def is_s3(self) -> bool:
        return self.scheme != "file"


def parse_location(location: str) -> TrailLocation:
    """``location`` as a :class:`TrailLocation`; UsageError for what cannot be one."""
    scheme, sep, rest = location.partition("://")
    if not sep:
        root = Path(location)
        if root.name != "AWSLogs" and (root / "AWSLogs").is_dir():
            root = root / "AWSLogs"
        if not root.is_dir():
            raise InputError(
                f"CloudTrail location {location} is not a folder",
                hint="give the AWSLogs folder (or the folder holding it) of an 'aws s3 sync' of the trail's bucket",
            )
        return TrailLocation("file", root=root)
    if scheme == "file":
        return parse_location(rest)
    if scheme not in S3_SCHEMES:
        raise UsageError(f"CloudTrail location {location}: scheme {scheme}:// is not supported", hint="use s3://bucket/prefix/ or a local folder")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise UsageError(f"CloudTrail location {location} names no bucket", hint="for example s3://my-trail-bucket/AWSLogs/")
    prefix = prefix.strip("/")
    if prefix.split("/")[-1] != "AWSLogs":
        prefix = f"{prefix}/AWSLogs" if prefix else "AWSLogs"
    return TrailLocation(scheme, bucket=bucket, prefix=prefix + "/")


def window_days(since: date, until: date) -> list[date]:
    """Every day from ``since`` to ``until`` inclusive; UsageError when the window is empty."""
    if until < since:
        raise UsageError(f"the window ends ({until.isoformat()}) before it starts ({since.isoformat()})")
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


def day_prefixes(since: date, until: date) -> list[str]:
    """``YYYY/MM/`` for each month wholly inside the window and ``YYYY/MM/DD/`` for the other days: the
    fewest prefixes that cover the window exactly."""
    prefixes: list[str] = []
    day = since
    while day <= until:
        last_of_month = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        if day.day == 1 and last_of_month <= until:
            prefixes.append(f"{day:%Y/%m}/")
            day = last_of_month + timedelta(days=1)
        else:
            prefixes.append(f"{day:%Y/%m/%d}/")
            day += timedelta(days=1)
    return prefixes


def list_log_files(
    location: str,
    *,
    since: date,
    until: date,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    s3_client: Any = None,
) -> list[LogObject]:
    """The log files delivered from ``since`` to ``until`` (inclusive days, UTC) for ``accounts`` in
    ``regions`` (None: every one found), sorted by key.

    ``s3_client`` is a boto3 S3 client for an S3 location (default: one from the environment's
    credentials and ``AWS_ENDPOINT_URL``).
    """
    window_days(since, until)  # rejects an empty window
    wanted_accounts = _checked(accounts, _ACCOUNT, "account id", "12 digits")
    wanted_regions = _checked(regions, _REGION, "region", "for example eu-west-1")
    parsed = parse_location(location)
    lister: _Lister = _S3Lister(parsed, s3_client) if parsed.is_s3 else _LocalLister(parsed)
    # AWSLogs/<account>/ or AWSLogs/<org-id>/<account>/
    account_prefixes: list[tuple[str, str | None]] = []
    for name in lister.folders(""):
        if _ORGANIZATION.match(name):
            account_prefixes += [(f"{name}/{a}/", name) for a in lister.folders(f"{name}/") if _ACCOUNT.match(a)]
        elif _ACCOUNT.match(name):
            account_prefixes.append((f"{name}/", None))
    if wanted_accounts is not None:
        account_prefixes = [(p, org) for p, org in account_prefixes if p.rstrip("/").rsplit("/", 1)[-1] in wanted_accounts]
    region_prefixes = lister.map(
        lambda entry: [
            (f"{entry[0]}CloudTrail/{region}/", entry[1])
            for region in (wanted_regions if wanted_regions is not None else lister.folders(f"{entry[0]}CloudTrail/"))
            if _REGION.match(region)
        ],
        account_prefixes,
    )
    scans = [(prefix + days, org) for prefix, org in (p for group in region_prefixes for p in group) for days in day_prefixes(since, until)]
    found = lister.map(lambda scan: list(lister.files(scan[0], scan[1], since, until)), scans)
    return sorted((item for group in found for item in group), key=lambda item: item.key)


def _checked(values: Sequence[str] | None, pattern: re.Pattern[str], what: str, example: str) -> frozenset[str] | None:
    if values is None:
        return None
    for value in values:
        if not pattern.match(value):
            raise UsageError(f"{value!r} is not a valid {what} ({example})")
    return frozenset(values)


def _parse_key(key: str, organization: str | None, url: str) -> LogObject | None:
    """The log object at ``key`` (from ``AWSLogs/`` on), or None for a file that is not a log."""
    parts = key.split("/")
    offset = 1 if organization else 0
    if len(parts) != 8 + offset or not parts[-1].endswith(LOG_SUFFIXES):
        return None
    account, _, region, year, month, day = parts[1 + offset : 7 + offset]
    try:
        delivered = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return LogObject(url, key, account, region, delivered, organization)


class _Lister(ABC):
    @abstractmethod
    def folders(self, prefix: str) -> list[str]:
        """Names of the folders right under ``prefix`` (relative to AWSLogs/)."""

    @abstractmethod
    def files(self, prefix: str, organization: str | None, since: date, until: date) -> Iterator[LogObject]:
        """Log files under ``prefix`` delivered inside the window."""

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        return [function(item) for item in items]


class _LocalLister(_Lister):
    def __init__(self, location: TrailLocation) -> None:
        assert location.root is not None
        self._root = location.root

    def folders(self, prefix: str) -> list[str]:
        try:
            return sorted(entry.name for entry in os.scandir(self._root / prefix) if entry.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def files(self, prefix: str, organization: str | None, since: date, until: date) -> Iterator[LogObject]:
        folder = self._root / prefix
        if not folder.is_dir():
            return
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = "AWSLogs/" + path.relative_to(self._root).as_posix()
            found = _parse_key(key, organization, str(path))
            if found is not None and since <= found.day <= until:
                yield found


class _S3Lister(_Lister):
    def __init__(self, location: TrailLocation, client: Any) -> None:
        self._location = location
        self._client = client if client is not None else default_boto3_session().client("s3")

    def folders(self, prefix: str) -> list[str]:
        names = []
        for page in self._pages(self._location.prefix + prefix, delimiter="/"):
            for common in page.get("CommonPrefixes", ()):
                names.append(common["Prefix"][len(self._location.prefix) + len(prefix) :].rstrip("/"))
        return sorted(names)

    def files(self, prefix: str, organization: str | None, since: date, until: date) -> Iterator[LogObject]:
        base = self._location.prefix
        aws_logs_at = len(base) - len("AWSLogs/")
        for page in self._pages(base + prefix):
            for item in page.get("Contents", ()):
                key = item["Key"][aws_logs_at:]
                found = _parse_key(key, organization, f"{self._location.scheme}://{self._location.bucket}/{item['Key']}")
                if found is not None and since <= found.day <= until:
                    yield found

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        items = list(items)
        if len(items) < 2:
            return [function(item) for item in items]
        with ThreadPoolExecutor(min(S3_LIST_THREADS, len(items))) as pool:
            return list(pool.map(function, items))

    def _pages(self, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        arguments = {"Bucket": self._location.bucket, "Prefix": prefix}
        if delimiter:
            arguments["Delimiter"] = delimiter
        try:
            yield from self._client.get_paginator("list_objects_v2").paginate(**arguments)
        except (BotoCoreError, ClientError) as exc:
            raise s3_error(f"cannot list s3://{self._location.bucket}/{prefix}", exc,
                           hint="check the bucket name and that these credentials may s3:ListBucket on it") from None  # fmt: skip


def s3_error(what: str, exc: Exception, *, hint: str | None = None) -> InputError:
    """``what`` failed with boto3's ``exc``: an InputError naming S3's error code and message (a
    ClientError) or botocore's own message (no connection, no credentials); never the request's
    signature or credentials, which neither message holds."""
    from rootwatch.engines.s3_fetch import describe_error

    if getattr(exc, "response", None) is None:
        hint = None  # no answer from S3 (no connection, no credentials): the hint would mislead
    return InputError(f"{what}: {describe_error(exc)}", hint=hint)


def default_boto3_session() -> Any:
    """A boto3 session from the environment's credential chain (``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...)."""
    try:
        import boto3
    except ImportError:
        raise UsageError("reading CloudTrail from S3 needs boto3", hint="pip install 'rootwatch[aws]'") from None
    return boto3.Session()
