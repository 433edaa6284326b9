"""Pieces every transform shares: where a row comes from, time values, and the transform error.

AWS responses reach the transforms in two spellings: boto3 dictionaries (timestamps as aware
``datetime`` objects) and the JSON the AWS CLI prints (the same keys, timestamps as ISO 8601 strings,
or, from AWS CLI v1 for JSON-protocol services such as CloudTrail and Organizations, epoch seconds).
A few APIs (CloudWatch Logs) give epoch milliseconds in both. The helpers here accept all of these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

Row = dict[str, Any]
"""A Steampipe-shaped row: column name to plain value (JSON columns as Python structures)."""

GLOBAL_REGION = "global"
"""The ``region`` Steampipe gives account-level tables (``aws_account``, ``aws_iam_*``)."""


class TransformError(ValueError):
    """An AWS response that does not have the shape its transform expects.

    ``line`` is the 1-based line of the input text at fault when the input was text (the credential
    report CSV); callers that read files add the path.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class Origin:
    """The account (and Steampipe connection) a set of rows belongs to.

    ``connection_name`` fills ``sp_connection_name`` and the ``connection_name`` of ``sp_ctx`` and
    ``_ctx``, as a Steampipe connection of that name would.
    """

    account_id: str
    partition: str = "aws"
    connection_name: str = "aws"

    def __post_init__(self) -> None:
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise TransformError(f"account id {self.account_id!r} is not 12 digits")

    def columns(self, region: str) -> Row:
        """The columns every row of a table carries: scope and connection."""
        context = {"connection_name": self.connection_name}
        return {
            "partition": self.partition,
            "region": region,
            "account_id": self.account_id,
            "sp_connection_name": self.connection_name,
            "sp_ctx": dict(context),
            "_ctx": dict(context),
        }

    def account_columns(self) -> Row:
        """Scope columns of an account-level table (``region = 'global'``)."""
        return self.columns(GLOBAL_REGION)

    def arn(self, service: str, resource: str, region: str = "") -> str:
        """An ARN in this account's partition."""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"


def partition_of_region(region: str) -> str:
    """The partition a region belongs to (``us-gov-west-1`` is in ``aws-us-gov``)."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


def partition_of_arn(arn: str) -> str:
    """The partition field of an ARN (``arn:<partition>:...``)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[1]:
        raise TransformError(f"{arn!r} is not an ARN")
    return parts[1]


def timestamp(value: Any, what: str) -> datetime | None:
    """An aware UTC ``datetime`` from a boto3 datetime, an ISO 8601 string, epoch seconds or None.

    Numbers are epoch seconds because that is what AWS CLI v1 prints for the timestamps of
    JSON-protocol services (``aws cloudtrail get-trail-status``, ``aws organizations list-accounts``):
    it hands botocore's parsed value to ``json.dumps`` as a float. CloudWatch Logs' epoch
    milliseconds go through :func:`epoch_millis` instead.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        # A bool is an int to Python, but true/false is never a time: say so rather than 1970.
        raise TransformError(f"{what}: expected a timestamp, got {value!r}")
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # NaN, infinity, or beyond year 9999
            raise TransformError(f"{what}: {value!r} is not a time in epoch seconds") from None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise TransformError(f"{what}: {value!r} is not an ISO 8601 timestamp") from None
    else:
        raise TransformError(f"{what}: expected a timestamp, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is in year 10000 in UTC
        raise TransformError(f"{what}: {value!r} is out of range (after 9999-12-31 in UTC)") from None


def epoch_millis(value: Any, what: str) -> datetime | None:
    """An aware UTC ``datetime`` from epoch milliseconds (CloudWatch Logs' time format)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # Tolerate the ISO spelling too: a hand-written file is more likely to use it.
        return timestamp(value, what)
    try:
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):  # beyond year 9999 (or before year 1)
        raise TransformError(f"{what}: {value!r} is not a time in epoch milliseconds") from None


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object; a TransformError naming ``what`` otherwise."""
    if not isinstance(value, Mapping):
        raise TransformError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def items(response: Any, key: str, what: str) -> list[Mapping[str, Any]]:
    """The list of objects under ``response[key]`` (a missing key is an empty list)."""
    listed = mapping(response, what).get(key, [])
    if not isinstance(listed, list):
        raise TransformError(f"{what}: {key} must be a list")
    for index, item in enumerate(listed):
        mapping(item, f"{what}: {key}[{index}]")
    return listed


def flag(value: Any, what: str) -> bool | None:
    """A JSON boolean (or None); the strings 'true'/'false' that some APIs return are accepted."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TransformError(f"{what}: expected true or false, got {value!r}")


def tags_map(tag_list: Any) -> dict[str, Any] | None:
    """Steampipe's ``tags`` column: a ``[{Key, Value}]`` list as a ``{key: value}`` object."""
    if tag_list is None:
        return None
    return {str(t.get("Key")): t.get("Value") for t in tag_list if isinstance(t, Mapping)}


def tag_columns(tag_list: Any) -> dict[str, Any]:
    """Steampipe's ``tags_src`` (the ``[{Key, Value}]`` list as AWS returns it) and ``tags`` columns."""
    return {"tags_src": plain(tag_list) if tag_list is not None else None, "tags": tags_map(tag_list)}


def plain(value: Any) -> Any:
    """A JSON-ready copy of a response fragment: datetimes become ISO strings (for JSON columns)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
