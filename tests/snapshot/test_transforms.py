"""The shared AWS → Steampipe transforms: one test per behaviour Steampipe has and controls rely on."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest

from rootwatch.snapshot import transforms as t

ORIGIN = t.Origin("123456789012")
HEADER = ",".join(t.CREDENTIAL_REPORT_COLUMNS)
NO_KEYS = "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
ROOT_CLASSIC = (
    "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
    f"no_information,not_supported,not_supported,true,{NO_KEYS}"
)
UTC = timezone.utc


def report(*lines: str, header: str = HEADER) -> str:
    return "\n".join((header, *lines)) + "\n"


def root_row(rows: list[dict]) -> dict:
    return next(r for r in rows if r["user_name"] == t.ROOT_USER_NAME)


# -- credential report ---------------------------------------------------------------------------


def test_classic_root_row_maps_sentinels_like_steampipe() -> None:
    rows = t.credential_report_rows(report(ROOT_CLASSIC), origin=ORIGIN, generated_time="2026-11-25T08:00:00Z")
    row = root_row(rows)
    assert row["password_enabled"] is True  # not_supported -> true
    assert row["password_status"] == "never_used"  # no_information
    assert row["password_last_used"] is None
    assert row["password_last_changed"] is None and row["password_next_rotation"] is None
    assert row["access_key_1_last_rotated"] is None and row["access_key_1_last_used_region"] is None
    assert row["mfa_active"] is True and row["access_key_1_active"] is False
    assert row["user_creation_time"] == datetime(2020, 1, 1, tzinfo=UTC)
    assert row["generated_time"] == datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert (row["partition"], row["region"], row["account_id"]) == ("aws", "global", "123456789012")
    assert row["sp_connection_name"] == "aws" and row["sp_ctx"] == {"connection_name": "aws"}


@pytest.mark.parametrize(("enabled", "expected"), [("true", True), ("false", False), ("not_supported", True)])
def test_root_password_enabled_keeps_real_booleans(enabled: str, expected: bool) -> None:
    line = ROOT_CLASSIC.replace(",not_supported,no_information,", f",{enabled},no_information,", 1)
    assert root_row(t.credential_report_rows(report(line), origin=ORIGIN, generated_time=None))["password_enabled"] is expected


@pytest.mark.parametrize(
    ("last_used", "status", "value"),
    [
        ("2026-11-20T10:15:00+00:00", "used", datetime(2026, 11, 20, 10, 15, tzinfo=UTC)),
        ("no_information", "never_used", None),
        ("N/A", "not_set", None),
    ],
)
def test_password_status(last_used: str, status: str, value: datetime | None) -> None:
    line = ROOT_CLASSIC.replace(",no_information,", f",{last_used},", 1)
    row = root_row(t.credential_report_rows(report(line), origin=ORIGIN, generated_time=None))
    assert (row["password_status"], row["password_last_used"]) == (status, value)


def test_used_key_keeps_region_and_service() -> None:
    line = ROOT_CLASSIC.replace(
        NO_KEYS, "true,2021-04-12T09:15:00+00:00,2026-11-18T22:41:00+00:00,eu-west-1,s3,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    )
    row = root_row(t.credential_report_rows(report(line), origin=ORIGIN, generated_time=None))
    assert row["access_key_1_active"] is True
    assert row["access_key_1_last_used_date"] == datetime(2026, 11, 18, 22, 41, tzinfo=UTC)
    assert (row["access_key_1_last_used_region"], row["access_key_1_last_used_service"]) == ("eu-west-1", "s3")


def test_columns_are_found_by_name_and_extra_columns_ignored() -> None:
    names = list(t.CREDENTIAL_REPORT_COLUMNS)
    values = ROOT_CLASSIC.split(",")
    order = list(reversed(range(len(names))))
    text = report(",".join([values[i] for i in order] + ["x"]), header=",".join([names[i] for i in order] + ["future_column"]))
    row = root_row(t.credential_report_rows(text, origin=ORIGIN, generated_time=None))
    assert row["user_arn"] == "arn:aws:iam::123456789012:root" and row["mfa_active"] is True


def test_missing_columns_are_named_on_line_1() -> None:
    header = HEADER.replace(",mfa_active", "").replace(",cert_2_last_rotated", "")
    with pytest.raises(t.TransformError) as caught:
        t.credential_report_rows(report(header=header), origin=ORIGIN, generated_time=None)
    assert caught.value.line == 1
    assert str(caught.value).startswith("line 1: the header lacks columns mfa_active, cert_2_last_rotated (an IAM")


def test_unknown_sentinel_names_line_and_column() -> None:
    bad = ROOT_CLASSIC.replace(",no_information,", ",never,", 1)
    with pytest.raises(t.TransformError) as caught:
        t.credential_report_rows(report(ROOT_CLASSIC, bad), origin=ORIGIN, generated_time=None)
    assert str(caught.value) == (
        "line 3: column password_last_used: unknown value 'never' "
        "(expected an ISO 8601 timestamp or N/A or no_information)"
    )


def test_sentinel_outside_its_column_is_rejected() -> None:
    # no_information is only ever written for passwords; in a key date it is not a known value.
    bad = ROOT_CLASSIC.replace(NO_KEYS, "true,no_information" + NO_KEYS[len("false,N/A"):])
    with pytest.raises(t.TransformError, match=r"line 2: column access_key_1_last_rotated: unknown value 'no_information'"):
        t.credential_report_rows(report(bad), origin=ORIGIN, generated_time=None)


def test_bad_boolean_and_short_line() -> None:
    with pytest.raises(t.TransformError, match=r"line 2: column mfa_active: unknown value 'yes' \(expected true or false\)"):
        t.credential_report_rows(report(ROOT_CLASSIC.replace(",not_supported,true,", ",not_supported,yes,")), origin=ORIGIN, generated_time=None)
    with pytest.raises(t.TransformError, match=r"line 2: 21 fields where the header has 22"):
        t.credential_report_rows(report(ROOT_CLASSIC.rsplit(",", 1)[0]), origin=ORIGIN, generated_time=None)


def test_response_content_as_cli_base64_or_boto3_bytes() -> None:
    csv_text = report(ROOT_CLASSIC)
    cli = {"Content": base64.b64encode(csv_text.encode()).decode(), "ReportFormat": "text/csv", "GeneratedTime": "2026-11-25T08:00:00+00:00"}
    boto = {"Content": csv_text.encode(), "ReportFormat": "text/csv", "GeneratedTime": datetime(2026, 11, 25, 8, tzinfo=UTC)}
    assert t.credential_report_rows_from_response(cli, origin=ORIGIN) == t.credential_report_rows_from_response(boto, origin=ORIGIN)
    with pytest.raises(t.TransformError, match="Content is not base64"):
        t.credential_report_text({"Content": "not base64!"})


# -- IAM -----------------------------------------------------------------------------------------


def test_account_summary_snake_case_and_booleans() -> None:
    row = t.account_summary_row(
        {"SummaryMap": {"AccountMFAEnabled": 0, "AccountPasswordPresent": 1, "AccountAccessKeysPresent": 2,
                        "AccountSigningCertificatesPresent": 0, "MFADevicesInUse": 3, "SomeFutureKey": 9}},
        origin=ORIGIN,
    )
    assert row["account_mfa_enabled"] is False and row["account_password_present"] is True
    assert row["account_access_keys_present"] == 2 and row["mfa_devices_in_use"] == 3
    assert "some_future_key" not in row and row["region"] == "global"
    with pytest.raises(t.TransformError, match="SummaryMap.AccountMFAEnabled: expected an integer"):
        t.account_summary_row({"SummaryMap": {"AccountMFAEnabled": "1", "AccountAccessKeysPresent": 0,
                                              "AccountSigningCertificatesPresent": 0}}, origin=ORIGIN)


def test_virtual_mfa_devices() -> None:
    rows = t.virtual_mfa_device_rows(
        {"VirtualMFADevices": [
            {"SerialNumber": "arn:aws:iam::123456789012:mfa/anything", "EnableDate": datetime(2020, 7, 15, 12, 30, tzinfo=UTC),
             "User": {"UserId": "123456789012", "Arn": "arn:aws:iam::123456789012:root", "CreateDate": datetime(2020, 7, 15, tzinfo=UTC)}},
            {"SerialNumber": "arn:aws:iam::123456789012:mfa/spare", "Tags": [{"Key": "team", "Value": "sec"}]},
        ]},
        origin=ORIGIN,
    )
    assigned, spare = rows
    assert assigned["assignment_status"] == "Assigned" and assigned["user"]["Arn"] == "arn:aws:iam::123456789012:root"
    assert assigned["user"]["CreateDate"] == "2020-07-15T00:00:00Z"  # datetimes inside JSON become ISO text
    assert spare["assignment_status"] == "Unassigned" and spare["user"] is None and spare["tags"] == {"team": "sec"}


# -- CloudTrail trails ---------------------------------------------------------------------------

TRAIL = {
    "Name": "main", "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "HomeRegion": "us-east-1",
    "IsMultiRegionTrail": True, "IsOrganizationTrail": False, "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:ct:*",
}
ORG_TRAIL = {
    "Name": "org", "TrailARN": "arn:aws:cloudtrail:us-east-1:999999999999:trail/org", "HomeRegion": "us-east-1",
    "IsMultiRegionTrail": True, "IsOrganizationTrail": True,
}


def test_trail_with_status_and_classic_selectors() -> None:
    status = {"IsLogging": True, "StartLoggingTime": "2024-03-04T10:12:40.066000+00:00", "LatestDeliveryError": None}
    selectors = {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}
    (row,) = t.trail_rows({"trailList": [TRAIL]}, origin=ORIGIN, region="us-east-1", statuses={"main": status},
                          event_selectors={TRAIL["TrailARN"]: selectors})
    assert row["is_logging"] is True and row["start_logging_time"] == datetime(2024, 3, 4, 10, 12, 40, 66000, tzinfo=UTC)
    assert row["event_selectors"] == selectors["EventSelectors"] and row["advanced_event_selectors"] is None
    assert row["log_group_arn"] == TRAIL["CloudWatchLogsLogGroupArn"]
    assert (row["title"], row["akas"], row["region"]) == ("main", [TRAIL["TrailARN"]], "us-east-1")


def test_advanced_selectors_leave_classic_null() -> None:
    advanced = {"AdvancedEventSelectors": [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}
    (row,) = t.trail_rows({"trailList": [TRAIL]}, origin=ORIGIN, region="us-east-1", event_selectors={"main": advanced})
    assert row["event_selectors"] is None and row["advanced_event_selectors"] == advanced["AdvancedEventSelectors"]


def test_organization_trail_seen_from_member_has_null_status_and_selectors() -> None:
    (row,) = t.trail_rows({"trailList": [ORG_TRAIL]}, origin=ORIGIN, region="us-east-1",
                          statuses={"org": {"IsLogging": True}}, event_selectors={"org": {"EventSelectors": []}})
    assert row["is_logging"] is None and row["event_selectors"] is None and row["advanced_event_selectors"] is None
    assert row["is_organization_trail"] is True and row["account_id"] == "123456789012"


def test_shadow_copies_once_per_region() -> None:
    single = {**TRAIL, "Name": "local", "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/local", "IsMultiRegionTrail": False}
    rows = t.trail_rows({"trailList": [TRAIL, single]}, origin=ORIGIN, region="us-east-1", statuses={"main": {"IsLogging": True}})
    listed_in_eu = t.trail_rows({"trailList": [TRAIL]}, origin=ORIGIN, region="eu-west-1")
    result = t.add_shadow_copies(rows + listed_in_eu, ["us-east-1", "eu-west-1", "ap-south-1"])
    regions = sorted((r["name"], r["region"]) for r in result)
    assert regions == [("local", "us-east-1"), ("main", "ap-south-1"), ("main", "eu-west-1"), ("main", "us-east-1")]
    copy = next(r for r in result if r["region"] == "ap-south-1")
    assert copy["home_region"] == "us-east-1" and copy["is_logging"] is True  # copied from the home-region row
    assert next(r for r in result if r["region"] == "eu-west-1")["is_logging"] is None  # captured rows are kept


def test_per_trail_responses_are_checked_on_their_own() -> None:
    """From-files checks each per-trail file alone with these, so a bad one is blamed on itself."""
    status = t.trail_status_columns({"IsLogging": False, "LatestDeliveryTime": "2026-11-20T07:55:00Z"})
    assert status["is_logging"] is False and status["latest_delivery_time"] == datetime(2026, 11, 20, 7, 55, tzinfo=UTC)
    assert t.trail_status_columns(None)["is_logging"] is None
    with pytest.raises(t.TransformError, match=r"^IsLogging: expected true or false, got 'maybe'$"):
        t.trail_status_columns({"IsLogging": "maybe"})
    with pytest.raises(t.TransformError, match=r"^GetTrailStatus response: expected an object, got list$"):
        t.trail_status_columns([])
    assert t.event_selector_columns({"EventSelectors": [{"ReadWriteType": "All"}]}) == {
        "event_selectors": [{"ReadWriteType": "All"}], "advanced_event_selectors": None}
    with pytest.raises(t.TransformError, match=r"^EventSelectors: expected a list, got dict$"):
        t.event_selector_columns({"EventSelectors": {"ReadWriteType": "All"}})
    with pytest.raises(t.TransformError, match=r"^AdvancedEventSelectors\[0\]: expected an object, got str$"):
        t.event_selector_columns({"AdvancedEventSelectors": ["mgmt"]})
    assert t.insight_selector_columns({"InsightSelectors": []}) == {"insight_selectors": []}
    with pytest.raises(t.TransformError, match=r"^InsightSelectors: expected a list, got str$"):
        t.insight_selector_columns({"InsightSelectors": "ApiCallRateInsight"})
    # Within trail_rows the message names the trail (its file is not known there).
    with pytest.raises(t.TransformError, match=r"^trail status of main: IsLogging: expected true or false"):
        t.trail_rows({"trailList": [TRAIL]}, origin=ORIGIN, region="us-east-1", statuses={"main": {"IsLogging": "maybe"}})


def test_trail_status_times_in_epoch_seconds_as_aws_cli_v1_prints_them() -> None:
    (row,) = t.trail_rows({"trailList": [TRAIL]}, origin=ORIGIN, region="us-east-1",
                          statuses={"main": {"IsLogging": True, "LatestDeliveryTime": 1763625300.123, "StartLoggingTime": 1709547160}})
    assert row["latest_delivery_time"] == datetime(2025, 11, 20, 7, 55, 0, 123000, tzinfo=UTC)
    assert row["start_logging_time"] == datetime(2024, 3, 4, 10, 12, 40, tzinfo=UTC)


# -- CloudWatch, SNS, Organizations ----------------------------------------------------------------


def test_metric_filter_epoch_millis_and_transformation() -> None:
    (row,) = t.metric_filter_rows({"metricFilters": [{
        "filterName": "root", "filterPattern": "{ $.userIdentity.type = \"Root\" }", "logGroupName": "ct",
        "creationTime": 1709547600000,
        "metricTransformations": [{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}]}]},
        origin=ORIGIN, region="us-east-1")
    assert row["creation_time"] == datetime(2024, 3, 4, 10, 20, tzinfo=UTC)
    assert (row["metric_transformation_name"], row["metric_transformation_namespace"], row["metric_transformation_value"]) == ("RootUsage", "CIS", "1")
    assert row["akas"] == ["arn:aws:logs:us-east-1:123456789012:log-group:ct:metric-filter:root"]
    assert row["metric_transformation_dimensions"] == [], "captured, and none: not the NULL of 'not captured'"


def test_metric_filter_dimensions_are_part_of_the_metric() -> None:
    """The dimensions a filter publishes (its transformation's, then system fields) are captured by
    name, sorted, so that an alarm can be compared with them."""
    (row,) = t.metric_filter_rows({"metricFilters": [{
        "filterName": "root", "filterPattern": "{ $.userIdentity.type = \"Root\" }", "logGroupName": "ct",
        "emitSystemFieldDimensions": ["@aws.region"],
        "metricTransformations": [{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1",
                                   "dimensions": {"Account": "$.recipientAccountId", "Event": "$.eventName"}}]}]},
        origin=ORIGIN, region="us-east-1")
    assert row["metric_transformation_dimensions"] == ["@aws.region", "Account", "Event"]
    bad = {"filterName": "f", "logGroupName": "g", "metricTransformations": [{"metricName": "m", "dimensions": ["Account"]}]}
    with pytest.raises(t.TransformError, match=r"metricFilters\[0\].metricTransformations\[0\].dimensions must map names to fields"):
        t.metric_filter_rows({"metricFilters": [bad]}, origin=ORIGIN, region="us-east-1")
    bad = {"filterName": "f", "logGroupName": "g", "emitSystemFieldDimensions": "@aws.region", "metricTransformations": [{}]}
    with pytest.raises(t.TransformError, match=r"emitSystemFieldDimensions must be a list"):
        t.metric_filter_rows({"metricFilters": [bad]}, origin=ORIGIN, region="us-east-1")


def test_alarm_row() -> None:
    (row,) = t.alarm_rows({"MetricAlarms": [{
        "AlarmName": "root", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:root", "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:alerts"], "MetricName": "RootUsage", "Namespace": "CIS",
        "Threshold": 1, "Period": 300, "EvaluationPeriods": 1, "StateUpdatedTimestamp": datetime(2026, 11, 1, tzinfo=UTC),
        "Dimensions": []}], "CompositeAlarms": []}, origin=ORIGIN, region="us-east-1")
    assert row["actions_enabled"] is True and row["threshold"] == 1.0 and row["period"] == 300
    assert row["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:alerts"] and row["ok_actions"] is None
    with pytest.raises(t.TransformError, match=r"MetricAlarms\[0\].Period: expected an integer"):
        t.alarm_rows({"MetricAlarms": [{"AlarmName": "a", "AlarmArn": "arn:x", "Period": "300"}]}, origin=ORIGIN, region="us-east-1")


def test_subscriptions_pending_and_attributes() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:alerts"
    confirmed = f"{topic}:5f0c2b7e"
    rows = t.subscription_rows(
        {"Subscriptions": [
            {"SubscriptionArn": confirmed, "TopicArn": topic, "Protocol": "email", "Endpoint": "a@example.com", "Owner": "123456789012"},
            {"SubscriptionArn": "PendingConfirmation", "TopicArn": topic, "Protocol": "email", "Endpoint": "b@example.com"},
        ]},
        origin=ORIGIN, region="us-east-1",
        attributes={confirmed: {"Attributes": {"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true",
                                               "RawMessageDelivery": "false", "FilterPolicy": "{\"severity\": [\"high\"]}"}}},
    )
    assert rows[0]["pending_confirmation"] is False and rows[0]["confirmation_was_authenticated"] is True
    assert rows[0]["filter_policy"] == {"severity": ["high"]}
    assert rows[1]["pending_confirmation"] is True and rows[1]["confirmation_was_authenticated"] is None


def test_account_row_with_and_without_organization() -> None:
    alone = t.account_row(origin=t.Origin("123456789012", "aws-us-gov"))
    assert alone["arn"] == "arn:aws-us-gov:::123456789012" and alone["organization_id"] is None
    assert alone["title"] == "123456789012" and alone["account_aliases"] == []
    member = t.account_row(
        origin=ORIGIN, aliases={"AccountAliases": ["prod"]},
        organization={"Organization": {"Id": "o-a1b2c3d4e5", "MasterAccountId": "999999999999", "FeatureSet": "ALL",
                                       "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}},
    )
    assert (member["organization_id"], member["organization_master_account_id"], member["title"]) == ("o-a1b2c3d4e5", "999999999999", "prod")


def test_organizations_features_and_accounts() -> None:
    row = t.organizations_features_row({"OrganizationId": "o-a1b2c3d4e5", "EnabledFeatures": ["RootSessions"]}, origin=ORIGIN)
    assert row["enabled_features"] == ["RootSessions"] and row["region"] == "global"
    (account,) = t.organizations_account_rows({"Accounts": [{"Id": "222222222222", "Name": "dev", "Arn": "arn:aws:organizations::1:account/o/2",
                                                            "Status": "ACTIVE", "JoinedTimestamp": "2021-02-10T09:30:00+00:00"}]}, origin=ORIGIN)
    assert account["id"] == "222222222222" and account["joined_timestamp"] == datetime(2021, 2, 10, 9, 30, tzinfo=UTC)
    # AWS CLI v1 prints Organizations' timestamps as epoch seconds.
    (v1,) = t.organizations_account_rows({"Accounts": [{"Id": "222222222222", "JoinedTimestamp": 1612949400.5}]}, origin=ORIGIN)
    assert v1["joined_timestamp"] == datetime(2021, 2, 10, 9, 30, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    (1763625300, datetime(2025, 11, 20, 7, 55, tzinfo=UTC)),
    (1763625300.25, datetime(2025, 11, 20, 7, 55, 0, 250000, tzinfo=UTC)),
    (0, datetime(1970, 1, 1, tzinfo=UTC)),
    ("2025-11-20T07:55:00Z", datetime(2025, 11, 20, 7, 55, tzinfo=UTC)),
    ("2025-11-20T08:55:00+01:00", datetime(2025, 11, 20, 7, 55, tzinfo=UTC)),
    (datetime(2025, 11, 20, 7, 55), datetime(2025, 11, 20, 7, 55, tzinfo=UTC)),
    (None, None),
])
def test_timestamp_accepts_iso_text_datetimes_and_epoch_seconds(value: object, expected: datetime | None) -> None:
    from rootwatch.snapshot.transforms.common import timestamp

    assert timestamp(value, "t") == expected


@pytest.mark.parametrize(("value", "message"), [
    (True, "t: expected a timestamp, got True"),  # a bool is an int to Python, never a time
    (False, "t: expected a timestamp, got False"),
    (float("nan"), "t: nan is not a time in epoch seconds"),
    (1e20, "t: 1e+20 is not a time in epoch seconds"),
    ("yesterday", "t: 'yesterday' is not an ISO 8601 timestamp"),
    ([2025], "t: expected a timestamp, got [2025]"),
])
def test_timestamp_rejects_what_is_not_a_time(value: object, message: str) -> None:
    from rootwatch.snapshot.transforms.common import epoch_millis, timestamp

    with pytest.raises(t.TransformError) as caught:
        timestamp(value, "t")
    assert str(caught.value) == message
    if isinstance(value, bool):
        with pytest.raises(t.TransformError, match="expected a timestamp"):
            epoch_millis(value, "t")


def test_origin_validates_account_and_partitions() -> None:
    with pytest.raises(t.TransformError, match="account id '1234' is not 12 digits"):
        t.Origin("1234")
    assert t.partition_of_region("us-gov-west-1") == "aws-us-gov" and t.partition_of_region("cn-north-1") == "aws-cn"
    assert t.partition_of_arn("arn:aws-cn:iam::123456789012:root") == "aws-cn"


# -- CloudTrail records --------------------------------------------------------------------------


def test_trail_event_row_fields() -> None:
    record = {
        "eventVersion": "1.11", "eventTime": "2026-11-19T08:12:33Z", "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.24",
        "userIdentity": {"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"},
        "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Yes"},
        "requestParameters": None, "readOnly": False, "eventType": "AwsConsoleSignIn", "eventID": "e1",
    }
    row = t.trail_event_row(record, origin=ORIGIN, region="us-east-1", log_stream_name="AWSLogs/x.json.gz")
    assert row["user_type"] == "Root" and row["user_identifier"] == "arn:aws:iam::123456789012:root"
    assert row["event_time"] == row["timestamp"] == datetime(2026, 11, 19, 8, 12, 33, tzinfo=UTC)
    assert row["timestamp_ms"] == 1795075953000
    assert row["read_only"] is False and row["request_parameters"] is None and row["access_key_id"] is None
    assert row["additional_event_data"] == {"MFAUsed": "Yes"} and row["cloudtrail_event"] == record
    assert row["log_stream_name"] == "AWSLogs/x.json.gz" and row["log_group_name"] is None


def test_user_identifier_falls_back_to_session_issuer() -> None:
    record = {"eventTime": "2026-11-19T08:12:33Z", "userIdentity": {"type": "AssumedRole", "arn": "",
              "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/Admin"}}}}
    assert t.trail_event_row(record, origin=ORIGIN, region="us-east-1")["user_identifier"] == "arn:aws:iam::123456789012:role/Admin"


def test_record_without_event_time_and_log_shape() -> None:
    with pytest.raises(t.TransformError, match="CloudTrail record without eventTime"):
        t.trail_event_row({"eventName": "x"}, origin=ORIGIN, region="us-east-1")
    # CloudTrail writes ISO text, and the DuckDB bulk loader cannot read a number: the Python
    # reference must refuse it too (rather than take it as epoch seconds, as trail statuses are).
    with pytest.raises(t.TransformError, match=r"^eventTime: expected an ISO 8601 timestamp, got 1795075953$"):
        t.trail_event_row({"eventTime": 1795075953}, origin=ORIGIN, region="us-east-1")
    with pytest.raises(t.TransformError, match='no "Records" list'):
        t.log_file_records({"records": []})
    with pytest.raises(t.TransformError, match=r"Records\[1\] is not an object"):
        t.log_file_records({"Records": [{}, 3]})
