#!/usr/bin/env python3
"""How long Ctrl-C takes to end a run whose controls are waiting on a slow Postgres endpoint.

A mod of ``--controls`` controls that each wait ``--sleep`` seconds on the server (``pg_sleep``) is
run with ``control run all --max-parallel N``; SIGINT is sent ``--after`` seconds in, and the time
from the signal to the process's exit is measured, with its exit code. Before the fix the run waited
for every running statement (up to the sleep); after, the statements are cancelled on the server.
``--baseline CHECKOUT`` measures another checkout's rootwatch (its ``runner/`` on PYTHONPATH) in the
same interleaved loop, e.g. a ``git worktree add /tmp/base main``.

    .venv/bin/python perf/interrupt_postgres.py [--dsn postgresql://postgres@127.0.0.1/postgres]
        [--runs 3] [--sleep 30] [--baseline /tmp/base]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_mod(root: Path, controls: int, sleep: float) -> Path:
    lines = ["mod: {name: slow, title: Slow mod}", "benchmarks:", "  slow:", "    title: Slow", "    children:"]
    (root / "controls").mkdir(parents=True)
    for index in range(controls):
        name = f"slow_{index}"
        lines.append(f"      - control: {name}")
        (root / "controls" / f"{name}.sql").write_text(
            f"select 'r{index}' as resource, 'ok' as status, 'slept' as reason from (select pg_sleep({sleep})) as s\n"
        )
        (root / "controls" / f"{name}.yaml").write_text(
            f"title: Slow {index}\ndescription: Waits.\nseverity: low\ndocs: {{rationale: r, remediation: m}}\n"
        )
    (root / "mod.yaml").write_text("\n".join(lines) + "\n")
    return root


SCHEMA = "rootwatch_perf_interrupt"


def create_schema(dsn: str) -> None:
    """A schema with the one table every run needs (the accounts the controls grade)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        con.execute(f"CREATE SCHEMA {SCHEMA}")
        con.execute(f"CREATE TABLE {SCHEMA}.aws_account (account_id text, partition text, region text)")
        con.execute(f"INSERT INTO {SCHEMA}.aws_account VALUES ('111111111111', 'aws', 'global')")


def drop_schema(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def interrupt_once(checkout: Path, mod: Path, dsn: str, after: float, controls: int) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(checkout / "runner")}
    command = [sys.executable, "-m", "rootwatch", "control", "run", "all", "--mod-location", str(mod), "--database", dsn,
               "--search-path", SCHEMA, "--max-parallel", str(controls), "--output", "none"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    began = time.perf_counter()
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=600)
    return time.perf_counter() - began, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default=os.environ.get("ROOTWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--controls", type=int, default=4)
    parser.add_argument("--sleep", type=float, default=30.0)
    parser.add_argument("--after", type=float, default=4.0, help="seconds between start and SIGINT")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure in the same loop")
    args = parser.parse_args()

    checkouts = {"this": REPO, **({"baseline": args.baseline} if args.baseline else {})}
    times: dict[str, list[float]] = {name: [] for name in checkouts}
    codes: dict[str, set[int]] = {name: set() for name in checkouts}
    create_schema(args.dsn)
    try:
        with tempfile.TemporaryDirectory(prefix="rootwatch-perf-") as directory:
            mod = write_mod(Path(directory) / "mod", args.controls, args.sleep)
            for _ in range(args.runs):
                for name, checkout in checkouts.items():
                    seconds, code = interrupt_once(checkout, mod, args.dsn, args.after, args.controls)
                    times[name].append(seconds)
                    codes[name].add(code)
    finally:
        drop_schema(args.dsn)
    print(f"Ctrl-C {args.after:g} s into {args.controls} controls sleeping {args.sleep:g} s each on {args.dsn.split('@')[-1]}")
    for name, values in times.items():
        print(f"  {name:<9} signal to exit: median {statistics.median(values):6.2f} s  max {max(values):6.2f} s  exit codes {sorted(codes[name])}")
    if args.baseline:
        ratio = statistics.median(times["baseline"]) / max(statistics.median(times["this"]), 1e-9)
        print(f"  baseline / this: {ratio:.1f}x")


if __name__ == "__main__":
    main()
