"""CloudTrail trail responses → ``aws_cloudtrail_trail`` rows, including Steampipe's shadow copies.

Steampipe lists DescribeTrails in every region of a connection, so a multi-region trail appears
once per region (``region`` = the region listed, ``home_region`` = where it lives). GetTrailStatus,
GetEventSelectors, GetInsightSelectors and ListTags are only asked for trails of the connection's
own account: an organization trail seen from a member account has NULL ``is_logging``,
``event_selectors`` and ``advanced_event_selectors`` however the caller fills the maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rootwatch.snapshot.transforms.common import (
    Origin,
    Row,
    TransformError,
    flag,
    items,
    mapping,
    plain,
    tag_columns,
    timestamp,
)

_TRAIL_FIELDS = {
    "name": "Name",
    "arn": "TrailARN",
    "home_region": "HomeRegion",
    "log_group_arn": "CloudWatchLogsLogGroupArn",
    "cloudwatch_logs_role_arn": "CloudWatchLogsRoleArn",
    "kms_key_id": "KmsKeyId",
    "s3_bucket_name": "S3BucketName",
    "s3_key_prefix": "S3KeyPrefix",
    "sns_topic_arn": "SnsTopicARN",
}
_TRAIL_FLAGS = {
    "is_multi_region_trail": "IsMultiRegionTrail",
    "log_file_validation_enabled": "LogFileValidationEnabled",
    "has_custom_event_selectors": "HasCustomEventSelectors",
    "has_insight_selectors": "HasInsightSelectors",
    "include_global_service_events": "IncludeGlobalServiceEvents",
    "is_organization_trail": "IsOrganizationTrail",
}
_STATUS_TEXTS = {
    "latest_cloudwatch_logs_delivery_error": "LatestCloudWatchLogsDeliveryError",
    "latest_delivery_error": "LatestDeliveryError",
    "latest_digest_delivery_error": "LatestDigestDeliveryError",
    "latest_notification_error": "LatestNotificationError",
}
_STATUS_TIMES = {
    "latest_cloudwatch_logs_delivery_time": "LatestCloudWatchLogsDeliveryTime",
    "latest_delivery_time": "LatestDeliveryTime",
    "latest_digest_delivery_time": "LatestDigestDeliveryTime",
    "latest_notification_time": "LatestNotificationTime",
    "start_logging_time": "StartLoggingTime",
    "stop_logging_time": "StopLoggingTime",
}


def trail_account_id(arn: str) -> str:
    """The account that owns a trail (the 5th field of its ARN)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise TransformError(f"TrailARN {arn!r} is not an ARN")
    return parts[4]


def _lookup(responses: Mapping[str, Any] | None, trail: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The per-trail response for ``trail``, keyed by its ARN or, failing that, its name."""
    if not responses:
        return None
    found = responses.get(trail["TrailARN"])
    if found is None:
        found = responses.get(trail["Name"])
    return None if found is None else mapping(found, f"response for trail {trail['Name']}")


def trail_rows(
    describe_trails: Mapping[str, Any],
    *,
    origin: Origin,
    region: str,
    statuses: Mapping[str, Mapping[str, Any]] | None = None,
    event_selectors: Mapping[str, Mapping[str, Any]] | None = None,
    insight_selectors: Mapping[str, Mapping[str, Any]] | None = None,
    tags: Mapping[str, list[Mapping[str, Any]]] | None = None,
) -> list[Row]:
    """Rows of ``aws_cloudtrail_trail`` for one DescribeTrails response listed in ``region``.

    ``statuses`` (GetTrailStatus), ``event_selectors`` (GetEventSelectors), ``insight_selectors``
    (GetInsightSelectors) and ``tags`` (ListTags' ``TagsList``) are keyed by trail ARN or name; a
    trail without an entry gets NULL in those columns. Entries for trails of another account are
    ignored, as Steampipe never asks for them.
    """
    rows: list[Row] = []
    for index, trail in enumerate(items(describe_trails, "trailList", "describe-trails")):
        for key in ("Name", "TrailARN", "HomeRegion"):
            if not isinstance(trail.get(key), str) or not trail.get(key):
                raise TransformError(f"trailList[{index}] has no {key}")
        own = trail_account_id(trail["TrailARN"]) == origin.account_id
        row: Row = {column: trail.get(key) for column, key in _TRAIL_FIELDS.items()}
        for column, key in _TRAIL_FLAGS.items():
            row[column] = flag(trail.get(key), f"trailList[{index}].{key}")
        name = trail["Name"]
        row.update(trail_status_columns(_lookup(statuses, trail) if own else None, f"trail status of {name}: "))
        row.update(event_selector_columns(_lookup(event_selectors, trail) if own else None,
                                          f"event selectors of {name}: "))
        row.update(insight_selector_columns(_lookup(insight_selectors, trail) if own else None,
                                            f"insight selectors of {name}: "))
        tag_list = (tags or {}).get(trail["TrailARN"], (tags or {}).get(trail["Name"])) if own else None
        row.update(tag_columns(tag_list))
        row["title"] = trail["Name"]
        row["akas"] = [trail["TrailARN"]]
        row.update(origin.columns(region))
        rows.append(row)
    return rows


def trail_status_columns(status: Any, context: str = "") -> Row:
    """The status columns of a trail from its GetTrailStatus response (all NULL for None).

    Callers holding a per-trail file check it on its own with this, so a bad status is blamed on
    its file rather than on the DescribeTrails output it joins. ``context`` prefixes error messages
    (``trail_rows`` names the trail; a file's path already does).
    """
    if status is None:
        return {"is_logging": None, **dict.fromkeys(_STATUS_TEXTS), **dict.fromkeys(_STATUS_TIMES)}
    status = mapping(status, f"{context}GetTrailStatus response")
    columns: Row = {"is_logging": flag(status.get("IsLogging"), f"{context}IsLogging")}
    for column, key in _STATUS_TEXTS.items():
        columns[column] = status.get(key)
    for column, key in _STATUS_TIMES.items():
        columns[column] = timestamp(status.get(key), f"{context}{key}")
    return columns


def _object_list(value: Any, what: str) -> Any:
    """``value`` (a list of objects, or None) as a JSON column value."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise TransformError(f"{what}: expected a list, got {type(value).__name__}")
    for index, item in enumerate(value):
        mapping(item, f"{what}[{index}]")
    return plain(value)


def event_selector_columns(selectors: Any, context: str = "") -> Row:
    """``event_selectors`` and ``advanced_event_selectors`` from a GetEventSelectors response (NULL for None).

    Checked here (not only stored) so a malformed file is reported instead of silently reading as
    a trail with no management-event selectors.
    """
    if selectors is None:
        return {"event_selectors": None, "advanced_event_selectors": None}
    selectors = mapping(selectors, f"{context}GetEventSelectors response")
    return {
        "event_selectors": _object_list(selectors.get("EventSelectors"), f"{context}EventSelectors"),
        "advanced_event_selectors": _object_list(selectors.get("AdvancedEventSelectors"),
                                                 f"{context}AdvancedEventSelectors"),
    }


def insight_selector_columns(insights: Any, context: str = "") -> Row:
    """``insight_selectors`` from a GetInsightSelectors response (NULL for None)."""
    if insights is None:
        return {"insight_selectors": None}
    insights = mapping(insights, f"{context}GetInsightSelectors response")
    return {"insight_selectors": _object_list(insights.get("InsightSelectors"), f"{context}InsightSelectors")}


def add_shadow_copies(rows: Iterable[Row], regions: Iterable[str]) -> list[Row]:
    """``rows`` plus a copy of each multi-region trail in every region of ``regions`` lacking one.

    Use when DescribeTrails was captured in some regions only (often just the home region): a live
    Steampipe connection would show the trail in every region it lists. Copies differ only in
    ``region``; rows already present for a (trail, region) are kept as they are.
    """
    result = list(rows)
    present = {(row["arn"], row["region"]) for row in result}
    templates: dict[str, Row] = {}
    for row in result:
        if row.get("is_multi_region_trail"):
            known = templates.get(row["arn"])
            if known is None or (row["region"] == row["home_region"] and known["region"] != known["home_region"]):
                templates[row["arn"]] = row
    wanted = list(regions)
    for arn, template in templates.items():
        for region in wanted:
            if (arn, region) not in present:
                result.append({**template, "region": region})
                present.add((arn, region))
    return result
