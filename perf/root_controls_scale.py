#!/usr/bin/env python3
"""Do the root controls scale linearly? Every control of the ``root`` benchmark, timed at two sizes
of organisation on PostgreSQL and on a DuckDB snapshot, side by side in one run.

    .venv/bin/python perf/root_controls_scale.py                       # 1,000 and 10,000 accounts
    .venv/bin/python perf/root_controls_scale.py --sizes 200 2000 --users 5
    .venv/bin/python perf/root_controls_scale.py --no-analyze          # Postgres without statistics
    .venv/bin/python perf/root_controls_scale.py --keep scale          # keep the data; reuse it next time
    .venv/bin/python perf/root_controls_scale.py --compare-with main   # today's controls against main's

Accounts come from ``perf/org_scale.py``'s generator (Steampipe-shaped rows: credential report with
~20 users, summary, virtual MFA devices, a multi-region trail seen in every region plus a regional
one, CIS metric filters, alarms, SNS subscriptions), varied here so that every link of the
root-usage chain is exercised: one account in ten has its root filter on a log group the trail does
not feed, one its alarm in another namespace, one an unconfirmed subscription only, one a filter
with dimensions the alarm does not name, one no trail log group at all. EventBridge rules watching
root activity follow the hub-and-spoke design in four kinds of account (``eventbridge_rules``), so
that root_activity_alerted's rule x target x region paths are measured too.

The data's shape is versioned (:data:`DATA_VERSION`, in the kept files' and schemas' names): data
kept by ``--keep`` from an older generator is not reused for a newer one.

Rows are loaded with COPY into a schema per size of a PostgreSQL database created for the run
(``--pg`` is the server's admin DSN; the database is dropped afterwards unless ``--keep``) and,
through ``SnapshotWriter``, into a DuckDB snapshot per size. Postgres tables are ANALYZEd unless
``--no-analyze`` (a Steampipe endpoint's foreign tables have no statistics; the controls must plan
well either way). Each control runs ``--repeat`` times per engine and size; the best time counts.

Printed: seconds per control and size, the ratio large/small (linear scaling means about
large/small accounts; the target is at most 1.2 times that), and the plans of
``root_usage_monitored`` and ``root_activity_alerted`` at the larger size on both engines (join operators with the rows they
handled), ending with a verdict line on nested-loop joins over the large relations.

A benchmark, not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))
sys.path.insert(0, str(REPO / "perf"))

from org_scale import CAPTURED, REGIONS, account_id, account_rows  # noqa: E402
from plan_shapes import NESTED_LOOP_LIMIT, duckdb_plan, postgres_plan  # noqa: E402

PLANNED = ("root_usage_monitored", "root_activity_alerted")
"""The controls whose plans are printed and checked for nested loops (the two longest)."""
DATA_VERSION = 2
"""Shape of the generated data; 2 added the EventBridge rules."""
HUB_BUS = "root-activity"
"""The custom event bus of the hub account (account 0) that spoke rules forward root events to."""
ROOT_PATTERN = {
    "source": [{"prefix": "aws."}],
    "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
    "detail": {"userIdentity": {"type": ["Root"]}},
}
"""An event pattern that lets every root activity through."""


def eventbridge_rules(n: int, rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rules watching root activity for account ``n``, by ``n % 4``:

    0. a spoke: a rule on the default bus of every region it was seen in, forwarding to the hub's
       bus (account 0, whose home region is the first region, has the hub rule on that bus,
       targeting its SNS topic);
    1. a rule in its home region only, targeting its SNS topic (the other regions unwatched);
    2. a rule in every region targeting its topic, every other one narrowed to ConsoleLogin;
    3. none.
    """
    trails = rows["aws_cloudtrail_trail"]
    acct, home = account_id(n), trails[0]["home_region"]
    seen = sorted({t["region"] for t in trails})
    scope = {key: trails[0][key] for key in ("partition", "account_id", "sp_connection_name", "sp_ctx", "_ctx")}
    topic = f"arn:aws:sns:{home}:{acct}:security-alerts"  # org_scale's topic, with a subscription
    hub_bus = f"arn:aws:events:{home if n == 0 else REGIONS[0]}:{account_id(0)}:event-bus/{HUB_BUS}"
    narrowed = {**ROOT_PATTERN, "detail": {**ROOT_PATTERN["detail"], "eventName": ["ConsoleLogin"]}}

    def rule(region: str, name: str, pattern: dict[str, Any], target: str, bus: str = "default") -> dict[str, Any]:
        arn = f"arn:aws:events:{region}:{acct}:rule/{'' if bus == 'default' else bus + '/'}{name}"
        return {
            **scope, "region": region, "name": name, "arn": arn, "state": "ENABLED", "event_bus_name": bus,
            "event_pattern": pattern, "targets": [{"Id": "alert", "Arn": target}], "tags_src": [],
        }  # fmt: skip

    found = [rule(home, "root-activity-hub", ROOT_PATTERN, topic, bus=HUB_BUS)] if n == 0 else []
    kind = n % 4
    if kind == 0:
        found += [rule(region, "root-activity-to-hub", ROOT_PATTERN, hub_bus) for region in seen]
    elif kind == 1:
        found.append(rule(home, "root-activity", ROOT_PATTERN, topic))
    elif kind == 2:
        found += [rule(region, "root-activity", narrowed if i % 2 else ROOT_PATTERN, topic) for i, region in enumerate(seen)]
    return found


def varied_rows(n: int, *, users: int, regions: int, organization: int) -> dict[str, list[dict[str, Any]]]:
    """``account_rows`` with one account in ten broken at a different link of the root-usage chain."""
    rows = account_rows(n, users=users, regions=regions, organization=organization)
    for metric_filter in rows["aws_cloudwatch_log_metric_filter"]:
        metric_filter["metric_transformation_dimensions"] = []  # captured, as from-aws does
    flaw = n % 10
    filters = [f for f in rows["aws_cloudwatch_log_metric_filter"] if f["name"] == "root-usage"]
    alarms = [a for a in rows["aws_cloudwatch_alarm"] if a["name"] == "root-usage"]
    if flaw == 3:
        for f in filters:
            f["log_group_name"] = "elsewhere"
    elif flaw == 5:
        for a in alarms:
            a["namespace"] = "Other"
    elif flaw == 7:
        rows["aws_sns_topic_subscription"] = [s for s in rows["aws_sns_topic_subscription"] if s["pending_confirmation"]]
    elif flaw == 8:
        for f in filters:
            f["metric_transformation_dimensions"] = ["Account"]
    elif flaw == 9:
        for t in rows["aws_cloudtrail_trail"]:
            t["log_group_arn"] = None
    rows["aws_eventbridge_rule"] = eventbridge_rules(n, rows)
    return rows


def organisation(accounts: int, users: int, regions: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    for n in range(accounts):
        yield varied_rows(n, users=users, regions=regions, organization=accounts)


def _known_columns(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rows without columns this checkout's table definitions lack (so the script runs on older
    checkouts too, for before/after figures)."""
    from rootwatch.schema.tables import load_tables

    tables = load_tables()
    return {
        name: [{k: v for k, v in row.items() if tables[name].column(k) is not None} for row in table_rows]
        for name, table_rows in rows.items()
    }


def build_snapshot(path: Path, accounts: int, users: int, regions: int) -> float:
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    started = time.perf_counter()
    with SnapshotWriter(path, source="aws", captured_at=CAPTURED, source_detail="perf") as writer:
        for n, rows in enumerate(organisation(accounts, users, regions)):
            for table, table_rows in _known_columns(rows).items():
                if table_rows:
                    writer.add_rows(table, table_rows)
            seen = tuple(sorted({r["region"] for r in rows["aws_cloudtrail_trail"]}))
            writer.add_account(AccountInfo(account_id(n), seen, CAPTURED - timedelta(hours=2), "perf"))
    return time.perf_counter() - started


def load_postgres(dsn: str, schema: str, accounts: int, users: int, regions: int, analyze: bool) -> float:
    import psycopg
    from psycopg import sql

    from rootwatch.schema.tables import ColumnType, load_tables
    from rootwatch.schema.values import coerce_row

    tables = load_tables()
    started = time.perf_counter()
    with psycopg.connect(dsn) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for table in tables.values():
            connection.execute(table.ddl("postgres", schema=schema))
        buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        for rows in organisation(accounts, users, regions):
            for name, table_rows in _known_columns(rows).items():
                buffers[name].extend(table_rows)
        with connection.cursor() as cursor:
            for name, table_rows in buffers.items():
                if not table_rows:
                    continue
                table = tables[name]
                target = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
                    sql.Identifier(schema), sql.Identifier(name), sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names)
                )
                with cursor.copy(target) as copy:
                    for row in table_rows:
                        typed = coerce_row(table, dict(row))
                        copy.write_row(
                            [
                                json.dumps(typed.get(c)) if table.column(c).type is ColumnType.JSONB and typed.get(c) is not None else typed.get(c)
                                for c in table.column_names
                            ]
                        )
        for name in tables:
            target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
            if analyze:
                connection.execute(sql.SQL("ANALYZE {}").format(target))
            else:  # and keep autovacuum from gathering statistics behind the measurement's back
                connection.execute(sql.SQL("ALTER TABLE {} SET (autovacuum_enabled = false)").format(target))
    return time.perf_counter() - started


def time_controls(engine: Any, mods: dict[str, Any], repeat: int) -> dict[str, dict[str, float]]:
    """Seconds per control of the ``root`` benchmark, for each mod (label -> mod), the mods' runs of
    one control taking turns so that a busy machine slows them alike."""
    from rootwatch.execution import missing_optional_columns, missing_optional_tables, run_control_sql
    from rootwatch.mod.variables import resolve_variables
    from rootwatch.options import RunOptions

    missing = missing_optional_tables(engine)
    missing_columns = missing_optional_columns(engine)
    seconds: dict[str, dict[str, float]] = {label: {} for label in mods}
    first = next(iter(mods.values()))
    for node in first.benchmark("root").control_nodes():
        for _ in range(repeat):
            for label, mod in mods.items():
                control = mod.control(node.control.id)
                options = RunOptions(variables=resolve_variables(mod.variables, environ={}), as_of=CAPTURED, max_parallel=1)
                began = time.perf_counter()
                graded = run_control_sql(control, engine, options, CAPTURED, missing, missing_columns)
                elapsed = time.perf_counter() - began
                seconds[label][control.id] = min(seconds[label].get(control.id, float("inf")), elapsed)
                if graded.error:
                    print(f"  {label} {control.id}: {graded.error}", file=sys.stderr)
    return seconds


def baseline_mod(ref: str, directory: Path) -> Any:
    """The mod's files (controls, queries, mod.yaml) as they were at git ``ref``, loaded by today's runner."""
    import io
    import subprocess
    import tarfile

    from rootwatch.mod.loader import load_mod

    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "controls", "queries", "mod.yaml"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return load_mod(directory)


def _control_sql(mod: Any, dialect: str, control_id: str) -> str:
    from rootwatch.mod.variables import resolve_variables
    from rootwatch.sql.compile import compile_sql

    return compile_sql(mod.control(control_id).source, dialect, resolve_variables(mod.variables, environ={}), CAPTURED)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs=2, default=(1000, 10000), metavar=("SMALL", "LARGE"))
    parser.add_argument("--users", type=int, default=20, help="IAM users per account besides root (default 20)")
    parser.add_argument("--regions", type=int, default=17, help="enabled regions per account (default 17)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per control, engine and size; the best counts")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin DSN of the PostgreSQL server")
    parser.add_argument("--no-analyze", action="store_true", help="leave the Postgres tables without statistics")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--compare-with",
        metavar="REF",
        help="also time the controls as they were at git REF (e.g. main), side by side with today's",
    )
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="keep the data for another run: snapshots in build/NAME/, Postgres database NAME (reused when present)",
    )
    args = parser.parse_args()

    import psycopg
    from psycopg import sql

    from rootwatch.mod.loader import load_mod

    mods = {"now": load_mod(REPO)}
    database = args.keep or f"rootwatch_perf_{uuid.uuid4().hex[:8]}"
    params = psycopg.conninfo.conninfo_to_dict(args.pg)
    params["dbname"] = database
    dsn = psycopg.conninfo.make_conninfo(**params)
    with tempfile.TemporaryDirectory(prefix="rootwatch-scale-") as tmp:
        workdir = REPO / "build" / args.keep if args.keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        admin = None
        if not args.no_postgres:
            admin = psycopg.connect(args.pg, autocommit=True)
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            if not exists:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        try:
            if args.compare_with:
                mods = {args.compare_with: baseline_mod(args.compare_with, Path(tmp) / "baseline"), **mods}
            measure(mods, args, workdir, dsn if admin is not None else None)
        finally:
            if admin is not None:
                if not args.keep:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
                admin.close()
    return 0


def _schema_exists(dsn: str, schema: str) -> bool:
    import psycopg

    with psycopg.connect(dsn) as connection:
        return connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


def measure(mods: dict[str, Any], args: argparse.Namespace, workdir: Path, dsn: str | None) -> None:
    """Load (or reuse) both sizes, time every root control of each mod on each engine, print the
    tables and the plans of the current mod."""
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.engines.postgres_engine import PostgresEngine

    mod = mods["now"]
    small, large = args.sizes
    times: dict[tuple[str, str, int], dict[str, float]] = {}
    for size in (small, large):
        snapshot = workdir / f"org{size}-v{DATA_VERSION}.duckdb"
        if not snapshot.exists():
            built = build_snapshot(snapshot, size, args.users, args.regions)
            print(f"{size:,} accounts: DuckDB snapshot built in {built:.1f} s", flush=True)
        engine = DuckDBEngine.open(snapshot)
        try:
            for label, seconds in time_controls(engine, mods, args.repeat).items():
                times[(label, "duckdb", size)] = seconds
        finally:
            engine.close()
        if dsn is not None:
            schema = f"org{size}_v{DATA_VERSION}"
            if not _schema_exists(dsn, schema):
                loaded = load_postgres(dsn, schema, size, args.users, args.regions, not args.no_analyze)
                print(f"{size:,} accounts: Postgres schema loaded in {loaded:.1f} s", flush=True)
            pg = PostgresEngine.open(dsn, search_path=schema, query_timeout=3600)
            try:
                for label, seconds in time_controls(pg, mods, args.repeat).items():
                    times[(label, "postgres", size)] = seconds
            finally:
                pg.close()
    for label in mods:
        report({(e, s): t for (lab, e, s), t in times.items() if lab == label}, small, large, label)
    if len(mods) > 1:
        compare(times, list(mods), large)
    verdicts: list[tuple[str, list[str]]] = []
    for control_id in PLANNED:
        print(f"\nplan of {control_id} at {large:,} accounts")
        print("  duckdb (EXPLAIN ANALYZE):")
        snapshot = workdir / f"org{large}-v{DATA_VERSION}.duckdb"
        lines, offenders = duckdb_plan(snapshot, _control_sql(mod, "duckdb", control_id))
        print("\n".join(f"    {line}" for line in lines))
        verdicts.append((f"{control_id} on duckdb", offenders))
        if dsn is not None:
            print("  postgres (EXPLAIN ANALYZE):")
            lines, offenders = postgres_plan(dsn, f"org{large}_v{DATA_VERSION}", _control_sql(mod, "postgres", control_id))
            print("\n".join(f"    {line}" for line in lines))
            verdicts.append((f"{control_id} on postgres", offenders))
    for engine_name, offenders in verdicts:
        if offenders:
            print(f"{engine_name}: {len(offenders)} nested-loop join(s) over large inputs: " + "; ".join(offenders))
        else:
            print(f"{engine_name}: no nested-loop join with both inputs above {NESTED_LOOP_LIMIT:,} rows")


def report(times: dict[tuple[str, int], dict[str, float]], small: int, large: int, label: str) -> None:
    target = 1.2 * large / small
    engines = sorted({engine for engine, _ in times})
    print(
        f"\n{label}: seconds per control (best of runs); ratio {large:,}/{small:,} accounts "
        f"(linear: {large / small:.0f}x, target <= {target:.0f}x)"
    )
    header = f"{'control':<40}" + "".join(f"{e + ' ' + format(s, ','):>18}" for e in engines for s in (small, large)) + "".join(f"{e + ' ratio':>16}" for e in engines)
    print(header)
    controls = list(times[(engines[0], small)])
    for control in controls:
        cells = "".join(f"{times[(e, s)][control]:>18.2f}" for e in engines for s in (small, large))
        ratios = "".join(f"{times[(e, large)][control] / max(times[(e, small)][control], 1e-9):>15.1f}x" for e in engines)
        print(f"{control:<40}{cells}{ratios}")
    totals = {(e, s): sum(times[(e, s)].values()) for e in engines for s in (small, large)}
    cells = "".join(f"{totals[(e, s)]:>18.2f}" for e in engines for s in (small, large))
    ratios = "".join(f"{totals[(e, large)] / max(totals[(e, small)], 1e-9):>15.1f}x" for e in engines)
    print(f"{'all root controls':<40}{cells}{ratios}")


def compare(times: dict[tuple[str, str, int], dict[str, float]], labels: list[str], large: int) -> None:
    """At the large size, each engine: seconds before and now, and how many times faster."""
    before, now = labels[0], labels[-1]
    engines = sorted({e for (_, e, _) in times})
    print(f"\n{large:,} accounts, side by side: {before} -> {now} (seconds; speed-up)")
    for engine in engines:
        old, new = times[(before, engine, large)], times[(now, engine, large)]
        for control in old:
            print(f"  {engine:<9}{control:<40}{old[control]:>9.2f} -> {new[control]:>7.2f}   {old[control] / max(new[control], 1e-9):>6.1f}x")
        total_old, total_new = sum(old.values()), sum(new.values())
        print(f"  {engine:<9}{'all root controls':<40}{total_old:>9.2f} -> {total_new:>7.2f}   {total_old / max(total_new, 1e-9):>6.1f}x")


if __name__ == "__main__":
    raise SystemExit(main())
