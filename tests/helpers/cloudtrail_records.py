"""CloudTrail records for the tests that compare readers of log files: root activity of every kind
rootwatch tells apart, records that must be left out, and the odd shapes real logs have."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"


def root_identity(account: str = ACCOUNT, **extra: Any) -> dict[str, Any]:
    return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account, **extra}


def records(account: str = ACCOUNT) -> list[dict[str, Any]]:
    """One log file's worth: five root events and an ``sts:AssumeRoot`` call the root selection keeps,
    then four records it leaves out."""
    return [
        {"eventVersion": "1.11", "eventTime": "2026-11-19T08:12:33Z", "eventSource": "signin.amazonaws.com",
         "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.24",
         "userAgent": "Mozilla/5.0 (Écran; 日本)", "userIdentity": root_identity(account), "requestParameters": None,
         "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Yes"}, "eventID": f"{account}-e01",
         "readOnly": False, "eventType": "AwsConsoleSignIn", "managementEvent": True, "recipientAccountId": account,
         "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3"}},
        {"eventTime": "2026-11-18T22:41:07.250Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
         "userIdentity": root_identity(account, accessKeyId="AKIAEXAMPLEROOTKEY01"), "readOnly": True, "eventID": f"{account}-e02",
         "errorCode": 403, "errorMessage": "Access \"Denied\"", "resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]},
        {"eventTime": "2026-11-18T10:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeRegions",
         "userIdentity": root_identity(account, invokedBy="trustedadvisor.amazonaws.com"), "eventID": f"{account}-e03", "readOnly": "true"},
        {"eventTime": "2026-11-17T09:30:00+00:00", "eventSource": "iam.amazonaws.com", "eventName": "DeleteLoginProfile",
         "userIdentity": root_identity(account, accessKeyId="ASIAEXAMPLESESSION01",
                                       sessionContext={"assumedRoot": "true", "attributes": {"mfaAuthenticated": "false"}}),
         "eventID": f"{account}-e04", "requestParameters": {"userName": "root"}, "responseElements": None},
        {"eventTime": "2026-11-16T01:02:03Z", "eventSource": "iam.amazonaws.com", "eventName": "GetAccountSummary",
         "userIdentity": {"type": "\u0052oot", "arn": ""}, "eventID": f"{account}-e05", "sharedEventID": "shared-1",
         "vpcEndpointId": "vpce-1"},
        {"eventTime": "2026-10-02T13:00:01Z", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoot", "eventID": f"{account}-e06",
         "userIdentity": {"type": "AssumedRole", "arn": "", "userName": 7,
                          "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/OrgAdmin"}}},
         "requestParameters": {"targetPrincipal": "555555555555"}},
        {"eventTime": "2026-10-02T13:00:02Z", "eventSource": "example.amazonaws.com", "eventName": "AssumeRoot", "eventID": f"{account}-x1",
         "userIdentity": {"type": "AssumedRole"}},
        {"eventTime": "2026-10-02T13:00:03Z", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "eventID": f"{account}-x2",
         "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{account}:assumed-role/RootAuditor/s"}},
        {"eventTime": "2026-10-02T13:00:04Z", "eventID": f"{account}-x3", "userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
         "eventType": "AwsServiceEvent", "serviceEventDetails": {"x": 1}},
        {"eventTime": "2026-10-02T13:00:05Z", "eventID": f"{account}-x4", "userIdentity": {"type": "IAMUser", "userName": "alice"}},
    ]
