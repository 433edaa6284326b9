"""CloudTrail records → ``aws_cloudtrail_trail_event`` rows.

A record is one element of a log file's ``Records`` (S3 delivery), one CloudWatch Logs message
(CloudTrail → CloudWatch Logs delivery) or the ``detail`` of an EventBridge event. Columns follow
Steampipe's table: the record's fields flattened, ``user_type``/``username``/``access_key_id`` from
``userIdentity``, ``user_identifier`` the first of ``userIdentity.arn``,
``sessionContext.sessionIssuer.arn`` and ``.principalId``, the whole record in ``cloudtrail_event``.

The field tables below are the single definition used by this module and by the bulk SQL loader
(rootwatch.snapshot.cloudtrail_logs), so both produce the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from rootwatch.snapshot.transforms.common import Origin, Row, TransformError, flag, mapping, timestamp

Path = tuple[str, ...]

EVENT_TEXT_FIELDS: dict[str, Path] = {
    "access_key_id": ("userIdentity", "accessKeyId"),
    "aws_region": ("awsRegion",),
    "error_code": ("errorCode",),
    "error_message": ("errorMessage",),
    "event_category": ("eventCategory",),
    "event_id": ("eventID",),
    "event_name": ("eventName",),
    "event_source": ("eventSource",),
    "event_type": ("eventType",),
    "event_version": ("eventVersion",),
    "recipient_account_id": ("recipientAccountId",),
    "request_id": ("requestID",),
    "shared_event_id": ("sharedEventID",),
    "source_ip_address": ("sourceIPAddress",),
    "user_agent": ("userAgent",),
    "user_type": ("userIdentity", "type"),
    "username": ("userIdentity", "userName"),
    "vpc_endpoint_id": ("vpcEndpointId",),
}
"""Text columns and the record field each is read from."""

EVENT_JSON_FIELDS: dict[str, Path] = {
    "additional_event_data": ("additionalEventData",),
    "request_parameters": ("requestParameters",),
    "response_elements": ("responseElements",),
    "resources": ("resources",),
    "tls_details": ("tlsDetails",),
    "user_identity": ("userIdentity",),
}
"""JSON columns and the record field each is read from (a JSON null is NULL)."""

USER_IDENTIFIER_PATHS: tuple[Path, ...] = (
    ("userIdentity", "arn"),
    ("userIdentity", "sessionContext", "sessionIssuer", "arn"),
    ("userIdentity", "sessionContext", "sessionIssuer", "principalId"),
)
"""``user_identifier`` is the first of these that is present and not empty."""

EVENT_TIME_PATH: Path = ("eventTime",)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
READ_ONLY_PATH: Path = ("readOnly",)


def _get(record: Mapping[str, Any], path: Path) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # A number or structure where text is expected: keep its JSON spelling, as SQL's
    # json_extract_string does, rather than Python's repr.
    return json.dumps(value, separators=(",", ":"))


def trail_event_row(
    record: Mapping[str, Any],
    *,
    origin: Origin,
    region: str,
    log_group_name: str | None = None,
    log_stream_name: str | None = None,
) -> Row:
    """The ``aws_cloudtrail_trail_event`` row of one CloudTrail record.

    ``origin``/``region`` say whose log it is (for S3 delivery: the account and region in the
    object key). ``timestamp`` is the event time (CloudTrail stamps its CloudWatch Logs events with
    it). Raises TransformError when the record is not an object or has no valid ``eventTime``.
    """
    mapping(record, "CloudTrail record")
    raw_time = _get(record, EVENT_TIME_PATH)
    if raw_time is None:
        raise TransformError("CloudTrail record without eventTime")
    if not isinstance(raw_time, (str, datetime)):
        # CloudTrail writes ISO 8601 text; DuckDB's bulk loader (which this function is the
        # reference for) cannot cast a number, so epoch seconds must fail here too.
        raise TransformError(f"eventTime: expected an ISO 8601 timestamp, got {raw_time!r}")
    event_time = timestamp(raw_time, "eventTime")
    assert event_time is not None
    row: Row = {column: _text(_get(record, path)) for column, path in EVENT_TEXT_FIELDS.items()}
    for column, path in EVENT_JSON_FIELDS.items():
        row[column] = _get(record, path)
    identifier = None
    for path in USER_IDENTIFIER_PATHS:
        identifier = _text(_get(record, path)) or None
        if identifier:
            break
    row.update(
        {
            "filter": None,
            "log_group_name": log_group_name,
            "log_stream_name": log_stream_name,
            "timestamp": event_time,
            "timestamp_ms": (event_time - _EPOCH) // timedelta(milliseconds=1),
            "event_time": event_time,
            "read_only": flag(_get(record, READ_ONLY_PATH), "readOnly"),
            "user_identifier": identifier,
            "cloudtrail_event": dict(record),
            **origin.columns(region),
        }
    )
    return row


def log_file_records(document: Any) -> list[Mapping[str, Any]]:
    """The records of a parsed CloudTrail log file (``{"Records": [...]}``), each checked to be an object."""
    body = mapping(document, "CloudTrail log file")
    records = body.get("Records")
    if not isinstance(records, list):
        raise TransformError('not a CloudTrail log file: no "Records" list')
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise TransformError(f"Records[{index}] is not an object")
    return records
