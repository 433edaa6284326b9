"""CloudWatch responses → ``aws_cloudwatch_log_metric_filter`` and ``aws_cloudwatch_alarm`` rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rootwatch.snapshot.transforms.common import (
    Origin,
    Row,
    TransformError,
    epoch_millis,
    flag,
    items,
    plain,
    tag_columns,
    timestamp,
)


def metric_filter_rows(response: Mapping[str, Any], *, origin: Origin, region: str) -> list[Row]:
    """Rows of ``aws_cloudwatch_log_metric_filter`` from a DescribeMetricFilters response.

    ``creationTime`` is epoch milliseconds (CLI and boto3 alike). A filter has one metric
    transformation (the API allows no more), flattened into the ``metric_transformation_*`` columns.
    ``metric_transformation_dimensions`` (a rootwatch column: Steampipe has none) lists the names of
    the dimensions the metric is published with, sorted: the keys of the transformation's
    ``dimensions`` and the filter's ``emitSystemFieldDimensions``. Dimensions are part of a metric's
    identity, so an alarm naming others watches another metric; ``[]`` records that there are none.
    """
    rows: list[Row] = []
    for index, metric_filter in enumerate(items(response, "metricFilters", "describe-metric-filters")):
        name = metric_filter.get("filterName")
        group = metric_filter.get("logGroupName")
        if not name or not group:
            raise TransformError(f"metricFilters[{index}] needs filterName and logGroupName")
        transformations = metric_filter.get("metricTransformations") or [{}]
        if not isinstance(transformations, list) or not isinstance(transformations[0], Mapping):
            raise TransformError(f"metricFilters[{index}].metricTransformations must be a list of objects")
        first = transformations[0]
        value = first.get("metricValue")
        dimensions = first.get("dimensions") or {}
        if not isinstance(dimensions, Mapping) or not all(isinstance(k, str) for k in dimensions):
            raise TransformError(f"metricFilters[{index}].metricTransformations[0].dimensions must map names to fields")
        system = metric_filter.get("emitSystemFieldDimensions") or []
        if not isinstance(system, list) or not all(isinstance(k, str) for k in system):
            raise TransformError(f"metricFilters[{index}].emitSystemFieldDimensions must be a list of field names")
        rows.append(
            {
                "name": name,
                "log_group_name": group,
                "creation_time": epoch_millis(metric_filter.get("creationTime"), f"metricFilters[{index}].creationTime"),
                "filter_pattern": metric_filter.get("filterPattern"),
                "metric_transformation_name": first.get("metricName"),
                "metric_transformation_namespace": first.get("metricNamespace"),
                "metric_transformation_value": None if value is None else str(value),
                "metric_transformation_dimensions": sorted({*dimensions, *system}),
                "title": name,
                "akas": [origin.arn("logs", f"log-group:{group}:metric-filter:{name}", region)],
                **origin.columns(region),
            }
        )
    return rows


_ALARM_TEXTS = {
    "name": "AlarmName",
    "arn": "AlarmArn",
    "state_value": "StateValue",
    "evaluation_state": "EvaluationState",
    "alarm_description": "AlarmDescription",
    "comparison_operator": "ComparisonOperator",
    "evaluate_low_sample_count_percentile": "EvaluateLowSampleCountPercentile",
    "extended_statistic": "ExtendedStatistic",
    "metric_name": "MetricName",
    "namespace": "Namespace",
    "state_reason": "StateReason",
    "state_reason_data": "StateReasonData",
    "statistic": "Statistic",
    "threshold_metric_id": "ThresholdMetricId",
    "treat_missing_data": "TreatMissingData",
    "unit": "Unit",
}
_ALARM_INTEGERS = {
    "datapoints_to_alarm": "DatapointsToAlarm",
    "evaluation_periods": "EvaluationPeriods",
    "period": "Period",
}
_ALARM_TIMES = {
    "alarm_configuration_updated_timestamp": "AlarmConfigurationUpdatedTimestamp",
    "state_updated_timestamp": "StateUpdatedTimestamp",
    "state_transitioned_timestamp": "StateTransitionedTimestamp",
}
_ALARM_JSON = {
    "alarm_actions": "AlarmActions",
    "dimensions": "Dimensions",
    "insufficient_data_actions": "InsufficientDataActions",
    "metrics": "Metrics",
    "ok_actions": "OKActions",
}


def alarm_rows(
    response: Mapping[str, Any],
    *,
    origin: Origin,
    region: str,
    tags: Mapping[str, list[Mapping[str, Any]]] | None = None,
) -> list[Row]:
    """Rows of ``aws_cloudwatch_alarm`` from a DescribeAlarms response (its ``MetricAlarms``).

    ``tags`` (ListTagsForResource's ``Tags``, keyed by alarm ARN) fill ``tags_src``/``tags``.
    """
    rows: list[Row] = []
    for index, alarm in enumerate(items(response, "MetricAlarms", "describe-alarms")):
        where = f"MetricAlarms[{index}]"
        if not alarm.get("AlarmName") or not alarm.get("AlarmArn"):
            raise TransformError(f"{where} needs AlarmName and AlarmArn")
        row: Row = {column: alarm.get(key) for column, key in _ALARM_TEXTS.items()}
        for column, key in _ALARM_INTEGERS.items():
            value = alarm.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TransformError(f"{where}.{key}: expected an integer, got {value!r}")
            row[column] = value
        threshold = alarm.get("Threshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            raise TransformError(f"{where}.Threshold: expected a number, got {threshold!r}")
        row["threshold"] = None if threshold is None else float(threshold)
        row["actions_enabled"] = flag(alarm.get("ActionsEnabled"), f"{where}.ActionsEnabled")
        for column, key in _ALARM_TIMES.items():
            row[column] = timestamp(alarm.get(key), f"{where}.{key}")
        for column, key in _ALARM_JSON.items():
            row[column] = plain(alarm.get(key))
        tag_list = (tags or {}).get(alarm["AlarmArn"])
        row.update(tag_columns(tag_list))
        row["title"] = alarm["AlarmName"]
        row["akas"] = [alarm["AlarmArn"]]
        row.update(origin.columns(region))
        rows.append(row)
    return rows
