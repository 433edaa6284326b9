#!/usr/bin/env python3
"""``snapshot from-steampipe`` of a 10,000-account organisation, before/after in one run.

    .venv/bin/python perf/steampipe_copy.py                      # 10,000 accounts, base = main
    .venv/bin/python perf/steampipe_copy.py --accounts 1000 --base 6d046c2 --repeat 3

The organisation is ``perf/root_controls_scale.py``'s (``perf/org_scale.py``'s generator, varied
along the root-usage chain): Steampipe-shaped rows loaded with COPY into a schema of a PostgreSQL
database made for the run (``--pg``, the server's admin DSN; dropped afterwards), the schema standing
in for a Steampipe connection. The base commit is checked out in a temporary ``git worktree``; both
checkouts copy the schema into a snapshot, taking turns, ``--repeat`` times each (the best counts),
and the wall seconds and peak RSS of each ``rootwatch`` process are printed with the ratio. Then
every table of the two snapshots is compared row for row and column type for column type.

A benchmark, not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))
sys.path.insert(0, str(REPO / "perf"))

from aws_collect import Checkout, Run, base_checkout, run  # noqa: E402
from root_controls_scale import load_postgres  # noqa: E402


def same_snapshots(first: Path, second: Path) -> str:
    """Every table's column types and (sorted) rows compared."""
    import duckdb

    copies = []
    for path in (first, second):
        con = duckdb.connect(str(path), read_only=True)
        names = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name NOT LIKE 'rootwatch_snapshot%' ORDER BY 1").fetchall()]
        tables = {}
        for name in names:
            types = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [name]).fetchall()
            tables[name] = (types, sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr))
        con.close()
        copies.append(tables)
    differing = [name for name in copies[0] if copies[0][name] != copies[1].get(name)]
    rows = sum(len(rows) for _, rows in copies[0].values())
    if differing or set(copies[0]) != set(copies[1]):
        return f"DIFFERENT: {', '.join(differing) or 'table sets'} ({rows} rows compared)"
    return f"identical: {len(copies[0])} tables, {rows} rows, same column types"


def main() -> int:
    import psycopg
    from psycopg import sql

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    database = f"rootwatch_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    params = psycopg.conninfo.conninfo_to_dict(args.pg)
    params["dbname"] = database
    dsn = psycopg.conninfo.make_conninfo(**params)
    try:
        seconds = load_postgres(dsn, "aws_org", args.accounts, args.users, args.regions, analyze=True)
        with psycopg.connect(dsn) as connection:
            rows = sum(
                connection.execute(sql.SQL("SELECT count(*) FROM aws_org.{}").format(sql.Identifier(t))).fetchone()[0]
                for (t,) in connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'aws_org'").fetchall()
            )
        print(f"{args.accounts} accounts, {rows} rows loaded into PostgreSQL in {seconds:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="rootwatch-copy-perf-") as scratch, base_checkout(args.base) as base:
            work = Path(scratch)
            checkouts = [base, Checkout("after", REPO / "runner")]
            results: dict[str, list[Run]] = {c.label: [] for c in checkouts}
            outputs: dict[str, Path] = {}
            env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ROOTWATCH_")}
            for attempt in range(args.repeat):
                for checkout in checkouts if attempt % 2 == 0 else list(reversed(checkouts)):
                    out = work / f"{checkout.label.split()[0]}.duckdb"
                    outputs[checkout.label] = out
                    result = run(checkout.rootwatch("snapshot", "from-steampipe", "--database", dsn, "--connection", "aws_org", "-o", str(out), "--force", "--no-progress"), env, log=work / "copy.log")
                    if result.code != 0:
                        raise SystemExit(f"{checkout.label}: from-steampipe exited {result.code}: {(work / 'copy.log').read_text()[-2000:]}")
                    results[checkout.label].append(result)
            best = {label: min(runs, key=lambda r: r.seconds) for label, runs in results.items()}
            now, after = best[base.label], best["after"]
            print(
                f"from-steampipe {args.accounts} accounts ({rows} rows): now {now.seconds:.1f} s, RSS {now.peak_mb:.0f} MB; "
                f"after {after.seconds:.1f} s, RSS {after.peak_mb:.0f} MB; {now.seconds / after.seconds:.1f}x faster",
                flush=True,
            )
            for label, runs in results.items():
                print(f"  {label}: " + ", ".join(f"{r.seconds:.1f} s wall / {r.cpu:.1f} s CPU" for r in runs), flush=True)
            print(f"  snapshots, base vs after: {same_snapshots(outputs[base.label], outputs['after'])}", flush=True)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
