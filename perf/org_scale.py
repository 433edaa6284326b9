"""Organisation-scale benchmark: build one snapshot per account, merge them, grade the result.

    python perf/org_scale.py                      # 5,000 accounts, 2 build processes
    python perf/org_scale.py --accounts 500 --jobs 1 --baseline-accounts 100

Each account gets realistic rows: a credential report with the root user and ~20 users, the
account summary, virtual MFA devices, a multi-region trail seen in every region plus a regional
one, CIS metric filters, alarms and SNS subscriptions; the management account also lists every
account of the organization. The script reports rows per second and minutes for each phase.

Side by side, on the same sample of accounts and in this one run, it also measures

* the original writer path (a DuckDB instance and DDL per file, multi-row ``VALUES`` inserts with
  one bound parameter per cell, one INSERT per metadata row), reproduced below as ``baseline_write``,
  against the current ``SnapshotWriter``;
* merging with one input per batch (``ATTACH_BATCH = 1``: a few statements per input) against
  the default batches of 64 inputs.

It is a benchmark, not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CAPTURED = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-1", "ap-southeast-2", "sa-east-1",
)  # fmt: skip
ROOT_FILTER = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'


def account_id(n: int) -> str:
    return f"{100000000000 + n:012d}"


def account_rows(n: int, *, users: int, regions: int, organization: int) -> dict[str, list[dict[str, Any]]]:
    """Steampipe-shaped rows of account ``n`` (account 0 is the management account)."""
    acct = account_id(n)
    conn = f"aws_{acct}"
    ctx = {"connection_name": conn}
    scope = {"partition": "aws", "account_id": acct, "sp_connection_name": conn, "sp_ctx": ctx, "_ctx": ctx}
    glob = {**scope, "region": "global"}
    seen = REGIONS[:regions]
    home = seen[n % len(seen)]
    when = CAPTURED - timedelta(hours=2)
    report = [
        {
            **glob, "user_name": "<root_account>", "user_arn": f"arn:aws:iam::{acct}:root",
            "user_creation_time": when - timedelta(days=1500), "generated_time": when,
            "password_enabled": True, "password_status": "used", "password_last_used": when - timedelta(days=n % 90),
            "mfa_active": n % 7 != 0, "access_key_1_active": n % 50 == 0,
            "access_key_1_last_rotated": when - timedelta(days=400) if n % 50 == 0 else None,
            "access_key_2_active": False, "cert_1_active": False, "cert_2_active": False,
        }  # fmt: skip
    ]
    for u in range(users):
        report.append(
            {
                **glob, "user_name": f"user{u:02d}", "user_arn": f"arn:aws:iam::{acct}:user/user{u:02d}",
                "user_creation_time": when - timedelta(days=30 * u), "generated_time": when,
                "password_enabled": u % 3 != 0, "password_status": "used" if u % 3 else "not_set",
                "password_last_used": when - timedelta(days=u) if u % 3 else None,
                "mfa_active": u % 2 == 0, "access_key_1_active": True,
                "access_key_1_last_rotated": when - timedelta(days=10 * u),
                "access_key_1_last_used_date": when - timedelta(hours=u),
                "access_key_1_last_used_region": home, "access_key_1_last_used_service": "s3",
                "access_key_2_active": False, "cert_1_active": False, "cert_2_active": False,
            }  # fmt: skip
        )
    group = f"arn:aws:logs:{home}:{acct}:log-group:cloudtrail:*"
    trail = {
        **scope, "name": "org-audit", "arn": f"arn:aws:cloudtrail:{home}:{acct}:trail/org-audit", "home_region": home,
        "is_multi_region_trail": True, "is_logging": True, "is_organization_trail": False, "log_group_arn": group,
        "include_global_service_events": True, "log_file_validation_enabled": True, "s3_bucket_name": f"audit-{acct}",
        "event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
        "latest_delivery_time": CAPTURED - timedelta(minutes=5), "title": "org-audit", "tags_src": [],
    }  # fmt: skip
    topic = f"arn:aws:sns:{home}:{acct}:security-alerts"
    patterns = {"root-usage": ROOT_FILTER, "unauthorized-api": '{ ($.errorCode = "*UnauthorizedOperation") }', "console-no-mfa": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'}
    return {
        "aws_account": [
            {**glob, "arn": f"arn:aws:::{acct}", "account_aliases": [f"team-{n}"], "organization_id": "o-example123",
             "organization_master_account_id": account_id(0), "title": f"team-{n}", "akas": [f"arn:aws:::{acct}"]}  # fmt: skip
        ],
        "aws_iam_credential_report": report,
        "aws_iam_account_summary": [
            {**glob, "account_access_keys_present": 1 if n % 50 == 0 else 0, "account_mfa_enabled": n % 7 != 0,
             "account_password_present": True, "account_signing_certificates_present": 0, "users": users,
             "mfa_devices": users // 2 + 1, "mfa_devices_in_use": users // 2 + 1, "roles": 40, "policies": 25}  # fmt: skip
        ],
        "aws_iam_virtual_mfa_device": [
            {**glob, "serial_number": f"arn:aws:iam::{acct}:mfa/{who}", "enable_date": when - timedelta(days=100),
             "assignment_status": "Assigned", "user": {"Arn": f"arn:aws:iam::{acct}:{who}"}}  # fmt: skip
            for who in ["root", *(f"user/user{u:02d}" for u in range(0, users, 4))]
        ],
        "aws_cloudtrail_trail": [{**trail, "region": r} for r in seen]
        + [{**trail, "region": seen[0], "name": "data-events", "arn": f"arn:aws:cloudtrail:{seen[0]}:{acct}:trail/data-events",
            "home_region": seen[0], "is_multi_region_trail": False, "log_group_arn": None}],  # fmt: skip
        "aws_cloudwatch_log_metric_filter": [
            {**scope, "region": home, "name": name, "log_group_name": "cloudtrail", "filter_pattern": pattern,
             "metric_transformation_name": name, "metric_transformation_namespace": "CISBenchmark",
             "metric_transformation_value": "1", "creation_time": when - timedelta(days=300)}  # fmt: skip
            for name, pattern in patterns.items()
        ],
        "aws_cloudwatch_alarm": [
            {**scope, "region": home, "name": name, "arn": f"arn:aws:cloudwatch:{home}:{acct}:alarm:{name}",
             "metric_name": name, "namespace": "CISBenchmark", "actions_enabled": True, "alarm_actions": [topic],
             "threshold": 1.0, "period": 300, "evaluation_periods": 1, "state_value": "OK", "statistic": "Sum"}  # fmt: skip
            for name in patterns
        ]
        + [{**scope, "region": seen[-1], "name": "billing", "metric_name": "EstimatedCharges", "namespace": "AWS/Billing",
            "actions_enabled": True, "alarm_actions": [], "threshold": 1000.0, "period": 21600}],  # fmt: skip
        "aws_sns_topic_subscription": [
            {**scope, "region": home, "subscription_arn": f"{topic}:0a1b2c", "topic_arn": topic, "protocol": "email",
             "endpoint": "security@example.com", "pending_confirmation": False, "owner": acct},  # fmt: skip
            {**scope, "region": home, "subscription_arn": "PendingConfirmation", "topic_arn": topic, "protocol": "email",
             "endpoint": "oncall@example.com", "pending_confirmation": True, "owner": acct},  # fmt: skip
        ],
        "aws_organizations_account": [
            {**glob, "id": account_id(m), "name": f"team-{m}", "arn": f"arn:aws:organizations::{acct}:account/o-example123/{account_id(m)}",
             "state": "ACTIVE", "status": "ACTIVE", "email": f"team-{m}@example.com", "joined_method": "CREATED"}  # fmt: skip
            for m in range(organization)
        ]
        if n == 0
        else [],
        "rootwatch_organizations_features": [{**glob, "organization_id": "o-example123", "enabled_features": ["RootCredentialsManagement"]}]
        if n == 0
        else [],
    }


def write_current(path: Path, rows: dict[str, list[dict[str, Any]]], n: int) -> int:
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    with SnapshotWriter(path, source="aws", captured_at=CAPTURED, source_detail="benchmark") as writer:
        for table, table_rows in rows.items():
            if table_rows:
                writer.add_rows(table, table_rows)
        regions = tuple(sorted({r["region"] for r in rows["aws_cloudtrail_trail"]}))
        writer.add_account(AccountInfo(account_id(n), regions, CAPTURED - timedelta(hours=2), "aws benchmark"))
    return sum(len(v) for v in rows.values())


def baseline_write(path: Path, rows: dict[str, list[dict[str, Any]]], n: int) -> int:
    """The original writer path, kept here verbatim in behaviour to measure against."""
    import duckdb

    from rootwatch import __version__
    from rootwatch.schema.tables import ColumnType, load_tables
    from rootwatch.schema.values import coerce_row, json_text
    from rootwatch.snapshot.metadata import FORMAT_VERSION, METADATA_DDL

    temp = path.with_name(f".{path.name}.baseline.tmp")
    con = duckdb.connect(str(temp))
    con.execute("SET TimeZone = 'UTC'")
    tables = load_tables()
    for table in tables.values():
        con.execute(table.ddl("duckdb"))
    for statement in METADATA_DDL:
        con.execute(statement)
    for name, table_rows in rows.items():
        table = tables[name]
        names = table.column_names
        holes = "(" + ", ".join("?::JSON" if table.column(c).type is ColumnType.JSONB else "?" for c in names) + ")"
        iterator = iter(table_rows)
        while batch := list(islice(iterator, 500)):
            values: list[Any] = []
            for row in batch:
                typed = coerce_row(table, dict(row))
                for c in names:
                    value = typed.get(c)
                    values.append(json_text(value) if table.column(c).type is ColumnType.JSONB else value)
            con.execute(f'INSERT INTO "{name}" VALUES ' + ", ".join([holes] * len(batch)), values)
    con.execute("INSERT INTO rootwatch_snapshot VALUES (?, ?, ?, ?, ?, ?)", [FORMAT_VERSION, CAPTURED, "aws", "benchmark", __version__, datetime.now(timezone.utc)])
    regions = sorted({r["region"] for r in rows["aws_cloudtrail_trail"]})
    con.execute(
        "INSERT INTO rootwatch_snapshot_accounts (account_id, regions, credential_report_generated_at, source) VALUES (?, ?::JSON, ?, ?)",
        [account_id(n), json.dumps(regions), CAPTURED - timedelta(hours=2), "aws benchmark"],
    )
    con.execute("CHECKPOINT")
    con.close()
    os.replace(temp, path)
    return sum(len(v) for v in rows.values())


def build_chunk(job: tuple[str, str, list[int], int, int, int]) -> tuple[int, float]:
    """Worker: build the snapshots of accounts ``numbers``; returns (rows, seconds)."""
    how, directory, numbers, users, regions, organization = job
    write = write_current if how == "current" else baseline_write
    started = time.perf_counter()
    rows = 0
    for n in numbers:
        rows += write(Path(directory) / f"{account_id(n)}.duckdb", account_rows(n, users=users, regions=regions, organization=organization), n)
    return rows, time.perf_counter() - started


def build(how: str, directory: Path, numbers: list[int], args: argparse.Namespace, jobs: int) -> tuple[int, float]:
    directory.mkdir(parents=True, exist_ok=True)
    chunks = [numbers[i::jobs] for i in range(jobs)]
    started = time.perf_counter()
    specs = [(how, str(directory), chunk, args.users, args.regions, args.accounts) for chunk in chunks if chunk]
    if jobs == 1:
        results = [build_chunk(spec) for spec in specs]
    else:
        import multiprocessing

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(build_chunk, specs))
    return sum(r for r, _ in results), time.perf_counter() - started


def merge(files: list[Path], output: Path, batch: int | None = None) -> tuple[int, float]:
    from rootwatch.snapshot import merge as merging

    saved = merging.ATTACH_BATCH
    if batch is not None:
        merging.ATTACH_BATCH = batch
    try:
        started = time.perf_counter()
        summary = merging.merge_snapshots(merging.MergeOptions(tuple(files), output, overwrite=True))
        return summary.total_rows, time.perf_counter() - started
    finally:
        merging.ATTACH_BATCH = saved


def grade(snapshot: Path) -> tuple[int, float, str]:
    from rootwatch import api
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    mod = api.load_mod(REPO)
    started = time.perf_counter()
    engine = DuckDBEngine.open(snapshot)
    try:
        result = api.run_benchmarks(mod, engine, ["root"], api.RunOptions(variables=api.resolve_variables(mod), max_parallel=2))
    finally:
        engine.close()
    rows = sum(len(run.rows) for _, run in result.control_runs())
    return rows, time.perf_counter() - started, json.dumps(result.summary.as_dict())


def line(label: str, rows: int, seconds: float) -> str:
    rate = rows / seconds if seconds else float("inf")
    return f"  {label:<44} {rows:>9,} rows  {seconds:8.1f} s  {rate:>10,.0f} rows/s  {seconds / 60:5.2f} min"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--users", type=int, default=20, help="IAM users per account besides root (default 20)")
    parser.add_argument("--regions", type=int, default=len(REGIONS), help=f"enabled regions per account (max {len(REGIONS)})")
    parser.add_argument("--jobs", type=int, default=2, help="build processes (default 2: the machine's cores)")
    parser.add_argument("--baseline-accounts", type=int, default=250, help="sample size for the side-by-side comparisons (0: skip)")
    parser.add_argument("--workdir", type=Path, help="where the files go (default: a temporary directory, removed after)")
    parser.add_argument("--no-grade", action="store_true", help="skip grading the merged snapshot")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "runner"))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="rootwatch-org-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"organisation of {args.accounts:,} accounts, {args.users} users each, {args.regions} regions; {args.jobs} build process(es); in {work}")
    total_started = time.perf_counter()
    try:
        rows, seconds = build("current", work / "accounts", list(range(args.accounts)), args, args.jobs)
        report = ["build (SnapshotWriter, one file per account)", line(f"{args.accounts:,} snapshots", rows, seconds)]
        files = sorted((work / "accounts").glob("*.duckdb"))
        merged_rows, merge_seconds = merge(files, work / "org.duckdb")
        report += ["merge", line(f"{len(files):,} snapshots into one", merged_rows, merge_seconds)]
        if not args.no_grade:
            graded, grade_seconds, summary = grade(work / "org.duckdb")
            report += ["grade (benchmark 'root' on the merged snapshot)", line(f"{graded:,} result rows; {summary}", merged_rows, grade_seconds)]
        total = time.perf_counter() - total_started
        report.append(f"total {total / 60:.2f} min (build + merge{'' if args.no_grade else ' + grade'})")
        if args.baseline_accounts:
            sample = list(range(min(args.baseline_accounts, args.accounts)))
            before_rows, before = build("baseline", work / "baseline", sample, args, 1)
            after_rows, after = build("current", work / "sample", sample, args, 1)
            report += [
                f"side by side, {len(sample)} accounts, one process",
                line("before: original writer path", before_rows, before),
                line("after: SnapshotWriter", after_rows, after),
                f"  writer speed-up {before / after:.1f}x",
            ]
            sample_files = sorted((work / "sample").glob("*.duckdb"))
            one_rows, one = merge(sample_files, work / "merge-one.duckdb", batch=1)
            many_rows, many = merge(sample_files, work / "merge-many.duckdb")
            report += [
                line("before: merge, one input per batch", one_rows, one),
                line("after: merge, 64 inputs per batch", many_rows, many),
                f"  merge speed-up {one / many:.1f}x",
            ]
        print("\n".join(report))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
