"""AWS API responses → Steampipe-shaped rows: the transforms every snapshot builder shares.

Each function is pure: it takes one AWS response as the AWS CLI prints it or as boto3 returns it
(same keys; timestamps as ISO strings or ``datetime``; the credential report's ``Content`` as base64
text or as bytes) and returns rows (``dict`` column → plain value; JSON columns as Python
structures; timestamps as aware UTC ``datetime``) ready for ``SnapshotWriter.add_rows(table, rows)``.
Rows come out as the Steampipe AWS plugin shows them, so the same control SQL grades both.

Where a row comes from is an :class:`Origin` (account id, partition, Steampipe connection name);
regional tables also take ``region=``. Malformed input raises :class:`TransformError` (a
``ValueError``; ``.line`` is set for the credential report CSV); callers add the file or API name.

=====================================  ===========================================================
table                                  function (AWS call)
=====================================  ===========================================================
aws_iam_credential_report              ``credential_report_rows_from_response(resp, origin=)``
                                       (GetCredentialReport), or ``credential_report_rows(csv_text,
                                       origin=, generated_time=)`` for a decoded CSV
aws_iam_account_summary                ``account_summary_row(resp, origin=)`` (GetAccountSummary)
aws_iam_virtual_mfa_device             ``virtual_mfa_device_rows(resp, origin=)`` (ListVirtualMFADevices)
aws_cloudtrail_trail                   ``trail_rows(describe_trails, origin=, region=, statuses=,
                                       event_selectors=, insight_selectors=, tags=)``; maps are keyed
                                       by trail ARN or name (GetTrailStatus, GetEventSelectors, ...).
                                       ``trail_status_columns``, ``event_selector_columns`` and
                                       ``insight_selector_columns`` check one per-trail response.
                                       ``add_shadow_copies(rows, regions)`` repeats multi-region
                                       trails in regions where DescribeTrails was not captured.
aws_cloudwatch_log_metric_filter       ``metric_filter_rows(resp, origin=, region=)`` (DescribeMetricFilters)
aws_cloudwatch_alarm                   ``alarm_rows(resp, origin=, region=, tags=)`` (DescribeAlarms)
aws_sns_topic_subscription             ``subscription_rows(resp, origin=, region=, attributes=)``
                                       (ListSubscriptions[ByTopic], GetSubscriptionAttributes)
aws_eventbridge_rule                   ``eventbridge_rule_rows(resp, origin=, region=, event_bus=,
                                       targets=)`` (ListRules of one bus, ListTargetsByRule per
                                       rule); ``rule_targets`` checks one targets response
aws_account                            ``account_row(origin=, aliases=, organization=)``
                                       (ListAccountAliases, DescribeOrganization)
aws_organizations_account              ``organizations_account_rows(resp, origin=)`` (ListAccounts)
rootwatch_organizations_features       ``organizations_features_row(resp, origin=)``
                                       (iam ListOrganizationsFeatures)
aws_cloudtrail_trail_event             ``trail_event_row(record, origin=, region=, log_group_name=,
                                       log_stream_name=)``; ``log_file_records(doc)`` checks and
                                       returns the records of a ``{"Records": [...]}`` log file
=====================================  ===========================================================

Example (boto3)::

    from rootwatch.snapshot.transforms import Origin, account_summary_row, trail_rows
    origin = Origin(account_id="123456789012", partition="aws", connection_name="aws_prod")
    writer.add_rows("aws_iam_account_summary", [account_summary_row(iam.get_account_summary(), origin=origin)])
    trails = ct.describe_trails()
    status = {t["TrailARN"]: ct.get_trail_status(Name=t["TrailARN"]) for t in trails["trailList"]}
    writer.add_rows("aws_cloudtrail_trail", trail_rows(trails, origin=origin, region="eu-west-1", statuses=status))
"""

from rootwatch.snapshot.transforms.cloudtrail import (
    add_shadow_copies,
    event_selector_columns,
    insight_selector_columns,
    trail_account_id,
    trail_rows,
    trail_status_columns,
)
from rootwatch.snapshot.transforms.cloudwatch import alarm_rows, metric_filter_rows
from rootwatch.snapshot.transforms.common import (
    GLOBAL_REGION,
    Origin,
    Row,
    TransformError,
    partition_of_arn,
    partition_of_region,
)
from rootwatch.snapshot.transforms.eventbridge import eventbridge_rule_rows, rule_targets
from rootwatch.snapshot.transforms.events import log_file_records, trail_event_row
from rootwatch.snapshot.transforms.iam import (
    CREDENTIAL_REPORT_COLUMNS,
    ROOT_USER_NAME,
    account_summary_row,
    credential_report_generated_time,
    credential_report_rows,
    credential_report_rows_from_response,
    credential_report_text,
    virtual_mfa_device_rows,
)
from rootwatch.snapshot.transforms.organizations import (
    account_row,
    organizations_account_rows,
    organizations_features_row,
)
from rootwatch.snapshot.transforms.sns import PENDING_CONFIRMATION, subscription_rows

__all__ = [
    "CREDENTIAL_REPORT_COLUMNS",
    "GLOBAL_REGION",
    "PENDING_CONFIRMATION",
    "ROOT_USER_NAME",
    "Origin",
    "Row",
    "TransformError",
    "account_row",
    "account_summary_row",
    "add_shadow_copies",
    "alarm_rows",
    "credential_report_generated_time",
    "credential_report_rows",
    "credential_report_rows_from_response",
    "credential_report_text",
    "event_selector_columns",
    "eventbridge_rule_rows",
    "insight_selector_columns",
    "log_file_records",
    "metric_filter_rows",
    "organizations_account_rows",
    "organizations_features_row",
    "partition_of_arn",
    "partition_of_region",
    "rule_targets",
    "subscription_rows",
    "trail_account_id",
    "trail_event_row",
    "trail_rows",
    "trail_status_columns",
    "virtual_mfa_device_rows",
]
