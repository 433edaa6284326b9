"""A control's YAML cases on Spark local mode, side by side with a base commit: seconds per case.

Each side runs in a fresh process of its own checkout (``runner/`` and ``tests/`` on PYTHONPATH,
the base in a temporary worktree from ``side_by_side.base_worktree``), on the tests' Spark
(``local[2]`` with ``tests/helpers/spark.py``'s settings). The session is started and warmed up
with one case of another control before the clock runs; then every case is timed as the test
suite runs it (``rootwatch.cases.run_case_spark``: views of the case's rows, the control, the
grading) and its graded rows are compared with DuckDB's. Reported per case: wall seconds and the
CPU seconds of the process tree (Python and its JVM); at the end, the peak RSS of the JVM. On a
shared machine CPU seconds are the figure to trust. Not part of the test suite::

    python perf/spark_cases.py                              # root_activity_alerted, base = merge-base with main
    python perf/spark_cases.py --base-cases 4 --base REF    # only the first 4 cases on the (slow) base
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "perf"))

from spark_cloudtrail import _rss_and_cpu, _tree  # noqa: E402  (the process-tree readings, one definition)

WARM_UP_CONTROL = "root_mfa_enabled"


def _cpu_seconds(pids: list[int]) -> float:
    return sum(_rss_and_cpu(pid)[1] for pid in pids)


def _peak_rss_mb(pids: list[int]) -> int:
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) // 1024
        except OSError:
            continue
    return peak


def child(control: str, limit: int | None) -> None:
    """Run in a checkout: time each case of ``control``; one JSON line per case, then a summary."""
    from helpers.spark import spark_test_target

    from rootwatch.cases import compare, load_cases, run_case_duckdb, run_case_spark
    from rootwatch.engines.spark_session import session_for
    from rootwatch.mod.loader import load_mod

    mod = load_mod(Path.cwd())
    cases = load_cases(Path("tests/cases") / f"{control}.yaml")[:limit]
    session = session_for(spark_test_target())
    run_case_spark(load_cases(Path("tests/cases") / f"{WARM_UP_CONTROL}.yaml")[0], mod, session)
    for case in cases:
        pids = _tree(os.getpid())
        cpu, began = _cpu_seconds(pids), time.perf_counter()
        rows, error = run_case_spark(case, mod, session)
        wall = time.perf_counter() - began
        cpu = _cpu_seconds(_tree(os.getpid())) - cpu
        duck_rows, _ = run_case_duckdb(case, mod)
        same = error is None and not compare(case, rows) and sorted(rows, key=repr) == sorted(duck_rows, key=repr)
        print(json.dumps({"case": case.id, "wall": round(wall, 2), "cpu": round(cpu, 2), "same": same,
                          "error": error}), flush=True)
    print(json.dumps({"peak_rss_mb": _peak_rss_mb(_tree(os.getpid()))}), flush=True)


def run_side(checkout: Path, control: str, limit: int | None) -> tuple[dict[str, dict], int]:
    env = {**os.environ, "PYTHONPATH": f"{checkout / 'runner'}{os.pathsep}{checkout / 'tests'}"}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--control", control]
    if limit is not None:
        command += ["--cases", str(limit)]
    results: dict[str, dict] = {}
    peak = 0
    with subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            record = json.loads(line)
            if "peak_rss_mb" in record:
                peak = record["peak_rss_mb"]
                continue
            results[record["case"]] = record
            print(f"  {checkout.name:<24} {record['case']:<72} {record['wall']:>7.1f} s wall {record['cpu']:>7.1f} s CPU"
                  f"{'' if record['same'] else '  ROWS DIFFER: ' + str(record['error'])}", flush=True)
    if process.returncode:
        raise SystemExit(f"the case runner in {checkout} exited {process.returncode}")
    return results, peak


def main() -> int:
    from side_by_side import base_worktree, default_base

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", default="root_activity_alerted")
    parser.add_argument("--cases", type=int, help="only the first N cases (both sides)")
    parser.add_argument("--base", default=None, help="base commit (default: the merge-base with main)")
    parser.add_argument("--base-cases", type=int, help="only the first N cases on the base side")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.control, args.cases)
        return 0
    base = args.base or default_base()
    print(f"{args.control} on Spark local[2], this checkout vs {base} (CPUs: {os.cpu_count()}, load {os.getloadavg()[0]:.1f})")
    head, head_peak = run_side(REPO, args.control, args.cases)
    with tempfile.TemporaryDirectory() as scratch, base_worktree(base, Path(scratch) / "base") as checkout:
        limit = min(n for n in (args.cases, args.base_cases, 10**6) if n is not None)
        before, base_peak = run_side(checkout, args.control, limit)
    print(f"\n{'case':<72} {'base wall':>9} {'head wall':>9} {'base CPU':>9} {'head CPU':>9} {'CPU ratio':>9}")
    for name, after in head.items():
        was = before.get(name)
        if was is None:
            continue
        print(f"{name:<72} {was['wall']:>9.1f} {after['wall']:>9.1f} {was['cpu']:>9.1f} {after['cpu']:>9.1f}"
              f" {was['cpu'] / max(after['cpu'], 0.01):>9.1f}")
    shared = [name for name in head if name in before]
    for label, names in (("cases run on both sides", shared), ("all cases, head", list(head))):
        if not names:
            continue
        wall_after = sum(head[n]["wall"] for n in names)
        cpu_after = sum(head[n]["cpu"] for n in names)
        line = f"{label} ({len(names)}): head {wall_after:.1f} s wall, {cpu_after:.1f} s CPU"
        if all(n in before for n in names):
            wall_before = sum(before[n]["wall"] for n in names)
            cpu_before = sum(before[n]["cpu"] for n in names)
            line += f"; base {wall_before:.1f} s wall, {cpu_before:.1f} s CPU; CPU ratio {cpu_before / max(cpu_after, 0.01):.1f}"
        print(line)
    print(f"peak RSS of the process tree: base {base_peak} MB, head {head_peak} MB")
    differ = [n for n, r in {**before, **head}.items() if not r["same"]]
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
