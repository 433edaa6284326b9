#!/usr/bin/env python3
"""Where a DuckDB run's memory goes, statement by statement: a benchmark run on one worker, each
statement (a shared relation computed once, or a control) with its wall and CPU seconds and the
process's resident memory before it, at its peak and after it.

The peak of each statement is the kernel's high-water mark (VmHWM), reset before the statement
(``/proc/self/clear_refs``), so it is that statement's own peak on top of what the run holds then:
the kept rows, the results graded so far, and what DuckDB's allocator keeps of earlier statements
(memory freed by one statement is mostly reused by the next, not returned to the system).
``--alone`` runs each statement again in a fresh process of its own, reading the kept relations as
tables of a copy of the snapshot: its peak growth there is what the statement itself needs.

Linux only (``/proc``). Not a test; nothing here runs under pytest.

    .venv/bin/python perf/statement_memory.py --snapshot build/scale/org10000-v2.duckdb [--alone]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))


@dataclass(frozen=True)
class Statement:
    kind: str
    """``keep`` (a shared relation computed once) or ``control``."""
    name: str
    sql: str
    seconds: float
    cpu: float
    """CPU seconds of the whole process while it ran (one worker: the statement's own)."""
    rss_before: int
    rss_peak: int
    rss_after: int


def run_recorded(snapshot: Path, benchmark: str) -> tuple[list[Statement], list[str]]:
    """Run ``benchmark`` on ``snapshot`` with one worker, every statement recorded; also the names
    of the kept relations, in the order they were computed."""
    import contextlib
    import io

    import rootwatch.execution as execution
    from rootwatch.cli.main import main
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.engines.duckdb_memory import reset_resident_peak, resident_memory

    statements: list[Statement] = []
    kept: list[str] = []
    current = threading.local()
    execute_control = execution.execute_control

    def naming(control, engine, sql, shared=None):  # type: ignore[no-untyped-def]
        current.name = control.id
        return execute_control(control, engine, sql, shared)

    def recorded(method, kind):  # type: ignore[no-untyped-def]
        def run(engine, *args):  # type: ignore[no-untyped-def]
            name = args[0] if kind == "keep" else getattr(current, "name", None)
            sql = args[-1]
            before = resident_memory().now
            reset_resident_peak()
            began, cpu = time.perf_counter(), time.process_time()
            try:
                return method(engine, *args)
            finally:
                if name is not None:  # the runner's own small statements (account names) are left out
                    after = resident_memory()
                    statements.append(Statement(kind, name, sql, time.perf_counter() - began,
                                                time.process_time() - cpu, before, after.peak, after.now))
                    if kind == "keep":
                        kept.append(name)
        return run

    execution.execute_control = naming
    DuckDBEngine.execute = recorded(DuckDBEngine.execute, "control")  # type: ignore[method-assign]
    DuckDBEngine.keep_rows = recorded(DuckDBEngine.keep_rows, "keep")  # type: ignore[method-assign]
    with contextlib.redirect_stdout(io.StringIO()):
        main(["benchmark", "run", benchmark, "--max-parallel", "1", "--snapshot", str(snapshot)])
    return statements, kept


_ALONE = r"""
import json, resource, sys, time
import duckdb
database, sql = sys.argv[1], sys.stdin.read()
connection = duckdb.connect(database, read_only=True)
connection.execute("SET TimeZone = 'UTC'")
connection.execute("SET enable_progress_bar = false")
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before, began, usage = rss(), time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
connection.execute(sql).fetchall()
seconds, after = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM"))
print(json.dumps([seconds, after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime, peak - before]))
"""


def run_alone(snapshot: Path, statements: list[Statement], kept: list[str], work: Path) -> dict[str, tuple[float, float, int]]:
    """Each statement in a fresh process, on a copy of ``snapshot`` holding the kept relations as
    tables: name -> (wall seconds, CPU seconds, peak RSS growth in MB)."""
    import duckdb

    copy = work / "kept.duckdb"
    shutil.copy(snapshot, copy)
    by_name = {s.name: s for s in statements}
    with duckdb.connect(str(copy)) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        for name in kept:
            connection.execute(f'CREATE TABLE "{name}" AS {by_name[name].sql}')
    alone = {}
    for statement in statements:
        done = subprocess.run([sys.executable, "-c", _ALONE, str(copy)], input=statement.sql, capture_output=True,
                              text=True, check=True)
        seconds, cpu, growth = json.loads(done.stdout)
        alone[statement.name] = (seconds, cpu, growth)
    return alone


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--benchmark", default="root")
    parser.add_argument("--alone", action="store_true", help="also run each statement alone in a fresh process")
    args = parser.parse_args()
    snapshot = args.snapshot.resolve()
    statements, kept = run_recorded(snapshot, args.benchmark)
    alone: dict[str, tuple[float, float, int]] = {}
    if args.alone:
        with tempfile.TemporaryDirectory(prefix="rootwatch-statement-memory-") as tmp:
            alone = run_alone(snapshot, statements, kept, Path(tmp))
    print(f"benchmark run {args.benchmark} --max-parallel 1 on {snapshot}; resident memory in MB")
    head = f"  {'':<8}{'statement':<40}{'wall':>7}{'CPU':>7}{'before':>8}{'peak':>7}{'growth':>8}{'after':>7}"
    print(head + (f"{'alone: wall':>13}{'CPU':>7}{'growth':>8}" if alone else ""))
    for s in statements:
        line = (f"  {s.kind:<8}{s.name:<40}{s.seconds:>6.2f}s{s.cpu:>6.2f}s{s.rss_before:>8}{s.rss_peak:>7}"
                f"{s.rss_peak - s.rss_before:>+8}{s.rss_after:>7}")
        if s.name in alone:
            seconds, cpu, growth = alone[s.name]
            line += f"{seconds:>12.2f}s{cpu:>6.2f}s{growth:>+8}"
        print(line)
    print(f"peak of the run: {max(s.rss_peak for s in statements)} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
