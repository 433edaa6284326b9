#!/usr/bin/env python3
"""``snapshot from-steampipe`` of generated organisations, base commits and this checkout in one run.

    .venv/bin/python perf/steampipe_copy.py                                  # 10,000 accounts vs the merge base
    .venv/bin/python perf/steampipe_copy.py --accounts 1000 3000 10000 --base 6d046c2 --base main --repeat 2

For each ``--accounts`` size the organisation of ``perf/root_controls_scale.py`` (``perf/org_scale.py``'s
generator, varied along the root-usage chain) is loaded with COPY into a schema of a PostgreSQL
database made for the row (``--pg``: the server's admin DSN; dropped afterwards), the schema standing
in for a Steampipe connection. Every ``--base`` is checked out in a temporary ``git worktree``
(``side_by_side.base_worktree``); all checkouts copy the schema into a snapshot, taking turns (the
order reversed on every repeat), ``--repeat`` times each. Printed per checkout: the best wall seconds
and, of that run, the CPU seconds of the ``rootwatch`` process (threads included; not the server's)
and its peak RSS, with the machine's load average (``uptime``) before and after the row. Then every
table of each base's snapshot is compared with this checkout's, row for row and column type for
column type.

Loading the organisation and comparing snapshots run in child processes of their own: Linux hands a
process's peak RSS down to the children it starts, so a script that had held 570k rows would
report its own peak as every ``rootwatch`` run's.

A benchmark, not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))
sys.path.insert(0, str(REPO / "perf"))

from root_controls_scale import load_postgres  # noqa: E402
from side_by_side import Measured, base_worktree, default_base, run_rootwatch  # noqa: E402

THIS = "this checkout"


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


def in_child(function: Callable[..., object], *args: object) -> object:
    """``function(*args)`` in a fresh process, so that its memory never counts as this one's."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def count_rows(dsn: str) -> int:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn) as connection:
        tables = connection.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'aws_org'").fetchall()
        return sum(connection.execute(sql.SQL("SELECT count(*) FROM aws_org.{}").format(sql.Identifier(t))).fetchone()[0] for (t,) in tables)


def load_average() -> str:
    return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def organisation_database(admin_dsn: str) -> tuple[str, str]:
    """(name, DSN) of a new database on the server of ``admin_dsn``."""
    import psycopg
    from psycopg import sql

    name = f"rootwatch_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = psycopg.conninfo.conninfo_to_dict(admin_dsn)
    params["dbname"] = name
    return name, psycopg.conninfo.make_conninfo(**params)


def drop_database(admin_dsn: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def measure_row(accounts: int, checkouts: dict[str, Path], args: argparse.Namespace, work: Path) -> None:
    """Load an organisation of ``accounts``, copy it with every checkout, print the comparison."""
    name, dsn = organisation_database(args.pg)
    try:
        seconds = in_child(load_postgres, dsn, "aws_org", accounts, args.users, args.regions, True)
        rows = count_rows(dsn)
        print(f"\n{accounts:,} accounts, {rows:,} rows loaded into PostgreSQL in {seconds:.0f} s; {load_average()}", flush=True)
        runs: dict[str, list[Measured]] = {label: [] for label in checkouts}
        outputs = {label: work / f"{label.split()[0]}-{index}.duckdb" for index, label in enumerate(checkouts)}
        order = list(checkouts)
        for attempt in range(args.repeat):
            for label in order if attempt % 2 == 0 else order[::-1]:
                command = ["snapshot", "from-steampipe", "--database", dsn, "--connection", "aws_org", "-o", str(outputs[label]), "--force", "--no-progress"]
                runs[label].append(run_rootwatch(command, checkouts[label], work / "cache", ok=(0,)))
        best = {label: min(measured, key=lambda m: m.wall) for label, measured in runs.items()}
        mine = best[THIS]
        for label, measured in runs.items():
            ratio = "" if label == THIS else f"   this checkout {best[label].wall / mine.wall:.1f}x faster (wall), {best[label].cpu / mine.cpu:.1f}x less CPU"
            print(
                f"  {label:<16} best {best[label].wall:6.1f} s wall {best[label].cpu:6.1f} s CPU {best[label].rss_mb:5d} MB peak RSS"
                f"   (all: {', '.join(f'{m.wall:.1f}/{m.cpu:.1f}' for m in measured)}){ratio}",
                flush=True,
            )
        print(f"  after the row: {load_average()}", flush=True)
        for label in checkouts:
            if label != THIS:
                print(f"  snapshots, {label} vs this checkout: {in_child(same_snapshots, outputs[label], outputs[THIS])}", flush=True)
    finally:
        drop_database(args.pg, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", action="append", help="commit to compare with (repeatable; default: where this branch left main)")
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    print(f"{load_average()}; {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="rootwatch-copy-perf-") as scratch, ExitStack() as stack:
        work = Path(scratch)
        checkouts: dict[str, Path] = {}
        for index, ref in enumerate(args.base or [default_base()]):
            checkouts[f"base {ref}"] = stack.enter_context(base_worktree(ref, work / f"base-{index}"))
        checkouts[THIS] = REPO
        for accounts in args.accounts:
            measure_row(accounts, checkouts, args, work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
