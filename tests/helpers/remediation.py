"""Helpers of the remediation tests: build accounts on moto's server, capture, run the command,
read its log (the ``aws`` fixture is in tests/remediate/conftest.py)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


def reset_auth(url: str, free_requests: str) -> None:
    """moto's IAM enforcement: after ``free_requests`` unchecked requests every call is checked
    against the caller's IAM policies ("inf": never)."""
    # text/plain: moto reads the raw body, which a form content type would hide from it
    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=free_requests.encode(), method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request).close()


def session(**credentials: str) -> Any:
    import boto3

    credentials = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.Session(region_name=REGION, **credentials)


def unmonitored_account(url: str) -> None:
    """A single-region trail that logs all management events to log group ``cloudtrail``; no
    metric filter, no alarm, no topic: both CloudTrail controls fail."""
    aws = session()
    aws.client("s3", endpoint_url=url).create_bucket(Bucket="trail-logs-bucket")
    aws.client("logs", endpoint_url=url).create_log_group(logGroupName="cloudtrail")
    cloudtrail = aws.client("cloudtrail", endpoint_url=url)
    cloudtrail.create_trail(
        Name="main",
        S3BucketName="trail-logs-bucket",
        IsMultiRegionTrail=False,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:cloudtrail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-logs",
    )
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])


def capture(url: str, out: Path, *extra: str) -> None:
    from rootwatch.cli.main import main

    code = main(["snapshot", "from-aws", "--endpoint-url", url, "--region", REGION, "--no-progress", "--report-poll", "0.05", "-o", str(out), "--force", *extra])
    assert code in (0, 2), code


def remediate(*args: str) -> int:
    from rootwatch.cli.main import main

    return main(["remediate", *args, "--report-poll", "0.05"])


def graded(snapshot: Path, control: str) -> dict[str, tuple[str, str]]:
    """Account → (status, reason) of ``control`` on ``snapshot``."""
    from rootwatch import api

    mod = api.load_mod(Path(__file__).resolve().parents[2])
    with api.open_engine(api.DataSource(snapshot=snapshot)) as engine:
        result = api.run_controls(mod, engine, [control], api.RunOptions(variables=api.resolve_variables(mod)))
    return {dict(r.dimensions)["account_id"]: (r.status.value, r.reason) for _p, run in result.control_runs() for r in run.rows}


def log_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
