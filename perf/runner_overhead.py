#!/usr/bin/env python3
"""The runner's own overhead per control: everything but the query (load, bind, transpile, grade).

Builds a synthetic snapshot (--accounts accounts with root rows in every table the controls read),
then runs every control of the mod repeatedly on it. A timing proxy around the engine measures the
database's share; overhead = wall time per control run minus the time inside ``engine.execute``.
Cold (first run: parse + bind + transpile) and warm (cached translation) are reported side by side.
Target: under 5 ms per control once warm.

    .venv/bin/python perf/runner_overhead.py [--accounts 50] [--rounds 30]
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

from rootwatch.engines.duckdb_engine import DuckDBEngine  # noqa: E402
from rootwatch.execution import missing_optional_tables, run_control_sql  # noqa: E402
from rootwatch.mod.loader import load_mod  # noqa: E402
from rootwatch.mod.variables import resolve_variables  # noqa: E402
from rootwatch.options import RunOptions  # noqa: E402
from rootwatch.snapshot.metadata import AccountInfo  # noqa: E402
from rootwatch.snapshot.writer import SnapshotWriter  # noqa: E402

AS_OF = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


def build_snapshot(path: Path, accounts: int) -> None:
    with SnapshotWriter(path, source="benchmark", captured_at=AS_OF) as writer:
        for n in range(accounts):
            account = f"{100000000000 + n}"
            base = {"account_id": account, "partition": "aws", "region": "global"}
            writer.add_rows("aws_account", [{**base, "organization_id": "o-bench"}])
            writer.add_rows(
                "aws_iam_account_summary",
                [{**base, "account_access_keys_present": n % 2, "account_mfa_enabled": n % 3 != 0,
                  "account_password_present": True, "account_signing_certificates_present": 0}],
            )
            writer.add_rows(
                "aws_iam_credential_report",
                [{**base, "user_name": "<root_account>", "user_arn": f"arn:aws:iam::{account}:root",
                  "generated_time": AS_OF - timedelta(hours=2), "password_enabled": True, "password_status": "used",
                  "password_last_used": AS_OF - timedelta(days=n % 60), "mfa_active": n % 3 != 0,
                  "access_key_1_active": n % 2 == 1, "access_key_1_last_rotated": AS_OF - timedelta(days=400) if n % 2 else None,
                  "access_key_2_active": False, "cert_1_active": False, "cert_2_active": False}],
            )
            writer.add_rows(
                "aws_cloudtrail_trail",
                [{**base, "region": region, "name": "org", "arn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/org",
                  "home_region": "us-east-1", "is_multi_region_trail": True, "is_logging": True,
                  "log_group_arn": f"arn:aws:logs:us-east-1:{account}:log-group:trail:*",
                  "event_selectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}
                 for region in ("us-east-1", "eu-west-1", "ap-southeast-2")],
            )
            writer.add_account(AccountInfo(account, ("us-east-1", "eu-west-1", "ap-southeast-2")))


class TimedEngine:
    """Delegates to a real engine and adds up the seconds spent inside ``execute``."""

    def __init__(self, engine: DuckDBEngine) -> None:
        self._engine = engine
        self.kind = engine.kind
        self.in_database = 0.0

    def execute(self, sql: str):  # noqa: ANN201
        began = time.perf_counter()
        try:
            return self._engine.execute(sql)
        finally:
            self.in_database += time.perf_counter() - began

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._engine, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    mod = load_mod(REPO)
    options = RunOptions(variables=resolve_variables(mod.variables, environ={}), as_of=AS_OF, max_parallel=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        build_snapshot(path, args.accounts)
        engine = TimedEngine(DuckDBEngine.open(path))
        missing = missing_optional_tables(engine)
        cold: dict[str, float] = {}
        warm: dict[str, list[float]] = {c: [] for c in mod.controls}
        query: dict[str, list[float]] = {c: [] for c in mod.controls}
        for round_number in range(args.rounds + 1):
            for control in mod.controls.values():
                engine.in_database = 0.0
                began = time.perf_counter()
                graded = run_control_sql(control, engine, options, AS_OF, missing)
                total = time.perf_counter() - began
                if graded.error:
                    print(f"{control.id}: {graded.error}", file=sys.stderr)
                overhead = total - engine.in_database
                if round_number == 0:
                    cold[control.id] = overhead
                else:
                    warm[control.id].append(overhead)
                    query[control.id].append(engine.in_database)
        engine.close()

    print(f"{args.accounts} accounts, {args.rounds} warm rounds; times in milliseconds")
    print(f"{'control':<40} {'cold overhead':>14} {'warm overhead':>14} {'query':>9} {'warm/query':>11}")
    for control_id in mod.controls:
        w = statistics.median(warm[control_id]) * 1000
        q = statistics.median(query[control_id]) * 1000
        print(f"{control_id:<40} {cold[control_id] * 1000:>14.2f} {w:>14.3f} {q:>9.2f} {w / q:>10.1%}")
    worst = max(statistics.median(v) for v in warm.values()) * 1000
    print(f"worst warm overhead: {worst:.3f} ms per control (target < 5 ms): {'ok' if worst < 5 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
