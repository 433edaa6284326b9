"""IAM responses → ``aws_iam_credential_report``, ``aws_iam_account_summary``, ``aws_iam_virtual_mfa_device``.

The credential report is validated column by column: its sentinel strings (``N/A``,
``no_information``, ``not_supported``) are accepted only where AWS writes them, and anything else
that is not a value of the column's type is an error naming the line, so a malformed or edited
report never turns into a silent pass.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rootwatch.snapshot.transforms.common import (
    Origin,
    Row,
    TransformError,
    items,
    mapping,
    plain,
    tag_columns,
    timestamp,
)

CREDENTIAL_REPORT_COLUMNS: tuple[str, ...] = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active", "access_key_1_active",
    "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region",
    "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated",
    "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)  # fmt: skip
"""The 22 columns of the IAM credential report CSV, in AWS's order."""

ROOT_USER_NAME = "<root_account>"

# How each CSV column is read: its kind and the sentinels allowed in it (all of which mean NULL,
# except password_enabled's not_supported, which Steampipe turns into true).
_FLAGS = ("mfa_active", "access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active")
_DATES: dict[str, tuple[str, ...]] = {
    "user_creation_time": ("N/A",),
    "password_last_used": ("N/A", "no_information"),
    "password_last_changed": ("N/A", "not_supported"),
    "password_next_rotation": ("N/A", "not_supported"),
    "access_key_1_last_rotated": ("N/A",),
    "access_key_1_last_used_date": ("N/A",),
    "access_key_2_last_rotated": ("N/A",),
    "access_key_2_last_used_date": ("N/A",),
    "cert_1_last_rotated": ("N/A",),
    "cert_2_last_rotated": ("N/A",),
}
_TEXTS = (
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
)
_PASSWORD_STATUS = {"N/A": "not_set", "no_information": "never_used"}


def credential_report_text(response: Mapping[str, Any]) -> str:
    """The CSV text of a GetCredentialReport response.

    The CLI prints ``Content`` base64-encoded; boto3 hands over the decoded bytes. Both are accepted.
    """
    content = mapping(response, "credential report").get("Content")
    if isinstance(content, (bytes, bytearray)):
        raw = bytes(content)
    elif isinstance(content, str):
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise TransformError("Content is not base64 (expected the output of aws iam get-credential-report)") from None
    else:
        raise TransformError("no Content (expected the output of aws iam get-credential-report)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TransformError("Content does not decode to UTF-8 CSV text") from None


def credential_report_generated_time(response: Mapping[str, Any]) -> datetime:
    """``GeneratedTime`` of a GetCredentialReport response. AWS always sends it; without it the
    report's age (credential_report_fresh, every "days ago") could not be told, so it is required."""
    generated = timestamp(mapping(response, "credential report").get("GeneratedTime"), "GeneratedTime")
    if generated is None:
        raise TransformError("GeneratedTime is missing or null (expected the output of aws iam get-credential-report)")
    return generated


def credential_report_rows(csv_text: str, *, origin: Origin, generated_time: datetime | None) -> list[Row]:
    """Rows of ``aws_iam_credential_report`` from the report's CSV text.

    Every one of the 22 columns must be in the header (extra columns AWS may add later are
    ignored); every value is checked. ``not_supported`` in ``password_enabled`` becomes true, as in
    Steampipe, and a real ``true``/``false`` is kept; ``N/A``, ``no_information`` and
    ``not_supported`` dates become NULL; ``password_status`` is ``used``, ``never_used``
    (no_information) or ``not_set`` (N/A). Raises TransformError naming the line.
    """
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or header == []:
        raise TransformError("the credential report is empty (expected a header line)", line=1)
    header = [name.strip() for name in header]
    missing = [name for name in CREDENTIAL_REPORT_COLUMNS if name not in header]
    if missing:
        raise TransformError(
            f"the header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(an IAM credential report has these {len(CREDENTIAL_REPORT_COLUMNS)} columns: "
            f"{', '.join(CREDENTIAL_REPORT_COLUMNS)})",
            line=1,
        )
    position = {name: header.index(name) for name in CREDENTIAL_REPORT_COLUMNS}
    generated = timestamp(generated_time, "generated time")
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not fields or fields == [""]:
            continue
        if len(fields) != len(header):
            raise TransformError(f"{len(fields)} fields where the header has {len(header)}", line=line)
        values = {name: fields[index].strip() for name, index in position.items()}
        row = _report_row(values, origin, generated, line)
        # A report lists each user once: a second row (two <root_account> rows, say) would be graded
        # by row order, MFA on in one and off in the other passing or failing by chance.
        if values["user"] in seen:
            raise TransformError(f"user {values['user']} is listed twice (lines {seen[values['user']]} and {line}): "
                                 "an IAM credential report has one row per user", line=line)
        seen[values["user"]] = line
        rows.append(row)
    return rows


_ACCOUNT_IN_ARN = re.compile(r"^arn:[a-z-]+:iam::\d{12}:")


def _report_row(values: dict[str, str], origin: Origin, generated: datetime | None, line: int) -> Row:
    if not values["user"]:
        raise TransformError("column user is empty", line=line)
    if not values["arn"].startswith("arn:"):
        raise TransformError(f"column arn: {values['arn']!r} is not an ARN", line=line)
    if not _ACCOUNT_IN_ARN.match(values["arn"]):
        raise TransformError(f"column arn: {values['arn']!r} is not an IAM ARN with a 12-digit account id", line=line)
    if values["user"] == ROOT_USER_NAME and not values["arn"].endswith(":root"):
        raise TransformError(f"column arn: the root user's ARN {values['arn']!r} does not end in :root", line=line)
    row: Row = {"user_name": values["user"], "user_arn": values["arn"], "generated_time": generated}
    for name in _FLAGS:
        row[name] = _report_flag(values[name], name, line)
    for name, sentinels in _DATES.items():
        row[name] = _report_date(values[name], name, sentinels, line)
    for name in _TEXTS:
        row[name] = None if values[name] in ("N/A", "") else values[name]
    enabled = values["password_enabled"]
    if enabled == "not_supported":
        row["password_enabled"] = True  # the classic root row: Steampipe reports its password as enabled
    else:
        row["password_enabled"] = _report_flag(enabled, "password_enabled", line, also="not_supported")
    row["password_status"] = _PASSWORD_STATUS.get(values["password_last_used"], "used")
    row.update(origin.account_columns())
    return row


def _report_flag(text: str, column: str, line: int, also: str | None = None) -> bool:
    if text in ("true", "TRUE", "True"):
        return True
    if text in ("false", "FALSE", "False"):
        return False
    expected = "true or false" + (f" or {also}" if also else "")
    raise TransformError(f"column {column}: unknown value {text!r} (expected {expected})", line=line)


def _report_date(text: str, column: str, sentinels: tuple[str, ...], line: int) -> datetime | None:
    if text in sentinels:
        return None
    try:
        parsed = timestamp(text, column) if text else None
    except TransformError:
        parsed = None
    if parsed is None:
        allowed = " or ".join(("an ISO 8601 timestamp", *sentinels))
        raise TransformError(f"column {column}: unknown value {text!r} (expected {allowed})", line=line)
    return parsed


def credential_report_rows_from_response(response: Mapping[str, Any], *, origin: Origin) -> list[Row]:
    """``credential_report_rows`` straight from a GetCredentialReport response (CLI JSON or boto3)."""
    return credential_report_rows(
        credential_report_text(response), origin=origin, generated_time=credential_report_generated_time(response)
    )


_SNAKE_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SUMMARY_BOOLEANS = {"account_mfa_enabled", "account_password_present"}
_SUMMARY_MAX = 2**31 - 1
"""No IAM count or quota comes near this; a larger one (or a negative one) is not AWS output."""
SUMMARY_KEYS_GRADED = ("AccountMFAEnabled", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent")
"""SummaryMap keys a control's verdict rests on; a response without one is refused, not read as 0."""


def summary_column(key: str) -> str:
    """The ``aws_iam_account_summary`` column of a SummaryMap key (``AccountMFAEnabled`` → ``account_mfa_enabled``)."""
    return _SNAKE_BOUNDARY.sub("_", key).lower()


def account_summary_row(response: Mapping[str, Any], *, origin: Origin) -> Row:
    """The one ``aws_iam_account_summary`` row of a GetAccountSummary response (``{"SummaryMap": {...}}``).

    ``AccountMFAEnabled`` and ``AccountPasswordPresent`` (0/1) become booleans; counts stay integers.
    Keys the table does not have (AWS adds some over time) are left out.
    """
    from rootwatch.schema.tables import table_named

    summary = mapping(mapping(response, "account summary").get("SummaryMap"), "account summary: SummaryMap")
    missing = [key for key in SUMMARY_KEYS_GRADED if key not in summary]
    if missing:
        # A missing count is not zero: read as NULL it let root_no_access_keys pass an account whose
        # credential report shows an active root key.
        raise TransformError(f"SummaryMap lacks {', '.join(missing)} (every GetAccountSummary response has "
                             f"{', '.join(SUMMARY_KEYS_GRADED)}; capture it again with aws iam get-account-summary)")
    known = set(table_named("aws_iam_account_summary").column_names)
    row: Row = {}
    for key, value in summary.items():
        column = summary_column(str(key))
        if column not in known:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TransformError(f"SummaryMap.{key}: expected an integer, got {value!r}")
        if column in _SUMMARY_BOOLEANS and value not in (0, 1):
            raise TransformError(f"SummaryMap.{key}: expected 0 or 1, got {value!r}")
        if not 0 <= value <= _SUMMARY_MAX:
            raise TransformError(f"SummaryMap.{key}: {value!r} is not a possible count (0 to {_SUMMARY_MAX})")
        row[column] = bool(value) if column in _SUMMARY_BOOLEANS else value
    row.update(origin.account_columns())
    return row


def virtual_mfa_device_rows(response: Mapping[str, Any], *, origin: Origin) -> list[Row]:
    """Rows of ``aws_iam_virtual_mfa_device`` from a ListVirtualMFADevices response.

    ``assignment_status`` is ``Assigned`` when the device has a ``User`` (root's devices have
    ``User.Arn = arn:<partition>:iam::<account>:root``), else ``Unassigned``.
    """
    rows: list[Row] = []
    for index, device in enumerate(items(response, "VirtualMFADevices", "virtual MFA devices")):
        serial = device.get("SerialNumber")
        if not isinstance(serial, str) or not serial:
            raise TransformError(f"VirtualMFADevices[{index}] has no SerialNumber")
        user = device.get("User")
        if user is not None:
            mapping(user, f"VirtualMFADevices[{index}].User")
        tags = device.get("Tags")
        rows.append(
            {
                "serial_number": serial,
                "enable_date": timestamp(device.get("EnableDate"), f"VirtualMFADevices[{index}].EnableDate"),
                "assignment_status": "Assigned" if user else "Unassigned",
                "user_id": user.get("UserId") if user else None,
                "user_name": user.get("UserName") if user else None,
                "user": plain(user) if user else None,
                **tag_columns(tags),
                "title": serial,
                "akas": [serial],
                **origin.account_columns(),
            }
        )
    return rows
