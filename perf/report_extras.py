#!/usr/bin/env python3
"""What the people-facing extras of a run cost: account names, the root-activity timeline, and the
HTML report with its pictures, measured side by side in one process.

Builds a synthetic snapshot (--accounts accounts, each with an alias, an Organizations name and
--events root CloudTrail events over 90 days), then times, for ``benchmark run root cis_v700``:

* the plain run (no timeline query: the plan carries no activity query);
* the run with the timeline (the mod's ``root_activity`` query, aggregated per day);
* rendering the text output and the HTML report (charts, alerting chains, timeline) from it.

Account names are looked up in both runs (one small query per table), so their cost is inside the
plain run; the ratio of the two runs is what the timeline adds.

    .venv/bin/python perf/report_extras.py [--accounts 500] [--events 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))

from rootwatch import api  # noqa: E402
from rootwatch.activity import activity_query  # noqa: E402
from rootwatch.output import RenderOptions, format_named  # noqa: E402
from rootwatch.snapshot.metadata import AccountInfo  # noqa: E402
from rootwatch.snapshot.writer import SnapshotWriter  # noqa: E402

AS_OF = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


def build(path: Path, accounts: int, events: int) -> None:
    with SnapshotWriter(path, source="benchmark", captured_at=AS_OF) as writer:
        org = []
        for n in range(accounts):
            account = f"{100000000000 + n}"
            writer.add_rows("aws_account", [{"account_id": account, "partition": "aws", "region": "global",
                                             "account_aliases": [f"alias-{n}"]}])
            org.append({"id": account, "name": f"team-{n}", "account_id": "100000000000", "region": "global",
                        "partition": "aws", "status": "ACTIVE"})
            writer.add_rows("aws_iam_credential_report", [{
                "account_id": account, "partition": "aws", "region": "global", "user_name": "<root_account>",
                "user_arn": f"arn:aws:iam::{account}:root", "generated_time": AS_OF - timedelta(hours=2),
                "password_enabled": True, "mfa_active": n % 3 != 0, "access_key_1_active": n % 7 == 0,
                "access_key_2_active": False, "cert_1_active": False, "cert_2_active": False,
            }])
            writer.add_rows("aws_cloudtrail_trail_event", [{
                "account_id": account, "region": "us-east-1", "partition": "aws",
                "event_time": AS_OF - timedelta(days=(n + e) % 90, minutes=e), "event_id": f"{account}-{e}",
                "event_name": "ConsoleLogin" if e % 2 else "ListBuckets", "event_source": "signin.amazonaws.com",
                "user_type": "Root", "user_identity": {"type": "Root"},
                "access_key_id": None if e % 2 else "AKIAEXAMPLE",
                "error_code": "Failed" if e % 11 == 0 else None,
            } for e in range(events)])
            writer.add_account(AccountInfo(account, ("us-east-1",)))
        writer.add_rows("aws_organizations_account", org)


def timed(function, rounds: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    mod = api.load_mod(REPO)
    options = api.RunOptions(variables=api.resolve_variables(mod), max_parallel=4)
    targets = api.benchmark_targets(mod, ["root", "cis_v700"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "org.duckdb"
        began = time.perf_counter()
        build(path, args.accounts, args.events)
        print(f"snapshot: {args.accounts} accounts, {args.accounts * args.events} root events, built in {time.perf_counter() - began:.1f} s")
        with api.open_engine(api.DataSource(snapshot=path)) as engine:
            plain_plan = api.plan_run(targets, options)
            full_plan = api.plan_run(targets, options, activity=activity_query(mod))
            api.run_plan(engine, plain_plan)  # warm the translation cache for both
            plain, _ = timed(lambda: api.run_plan(engine, plain_plan), args.rounds)
            full, result = timed(lambda: api.run_plan(engine, full_plan), args.rounds)
        text, _ = timed(lambda: format_named("text").render(result, RenderOptions(width=100)), args.rounds)
        html, page = timed(lambda: format_named("html").render(result), args.rounds)
    days = len(result.context.root_activity or ())
    print(f"run without timeline: {plain * 1000:8.1f} ms (median of {args.rounds})")
    print(f"run with timeline:    {full * 1000:8.1f} ms ({full / plain:.2f}x; {days} account-days of activity)")
    print(f"text output:          {text * 1000:8.1f} ms")
    print(f"html report:          {html * 1000:8.1f} ms ({len(page) / 1e6:.2f} MB)")
    print(f"account names found:  {len(result.context.account_names)} of {args.accounts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
