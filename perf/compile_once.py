#!/usr/bin/env python3
"""Issue 14's small-run rows, before and after, side by side in one run: ``benchmark run cis_v700`` on
the 5-account example snapshot against ``rootwatch --help``, and ``rootwatch check``.

The baseline is another commit of this repository (``--base``, default: where this branch left
``main``), checked out into a temporary ``git worktree`` and run with the same interpreter and
packages (its ``runner/`` on PYTHONPATH, its own mod). Every command runs ``--runs`` times, interleaved, so changes in the load
of a shared machine hit every command alike; the median counts.

Each side gets a cache directory of its own (``ROOTWATCH_CACHE_DIR``), warmed by one run first: the
figures are those of a user's second and later runs. The first run after an upgrade or an edit
compiles cold, as does every run in a CI job that keeps no cache; it is measured on both sides too
(``cold``: a fresh, empty cache directory for every run).

    .venv/bin/python perf/compile_once.py [--base REF] [--runs 9]

Printed: median seconds per command and side, the ratio before/after, and the two targets (the
benchmark run at most 3x ``--help``, ``check`` at most 1 s), once for wall time and once for CPU
time (user + system, threads included), which a loaded machine disturbs far less.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import REPO, base_worktree, default_base, run_rootwatch  # noqa: E402

EXAMPLE = "examples/org"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref of the baseline (default: where this branch left main)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    base_ref = args.base or default_base()

    with tempfile.TemporaryDirectory(prefix="rootwatch-compile-once-") as tmp:
        work = Path(tmp)
        with base_worktree(base_ref, work / "base") as base:
            snapshot = work / "example.duckdb"
            run_rootwatch(["snapshot", "from-files", str(REPO / EXAMPLE), "-o", str(snapshot)], REPO, work / "build-cache")
            bench = ["benchmark", "run", "cis_v700", "--snapshot", str(snapshot)]
            cases: dict[str, tuple[list[str], Path, str]] = {
                "--help": (["--help"], REPO, "warm"),
                "bench (before)": (bench, base, "warm"),
                "bench (after)": (bench, REPO, "warm"),
                "bench (before, cold)": (bench, base, "cold"),
                "bench (after, cold)": (bench, REPO, "cold"),
                "check (before)": (["check"], base, "warm"),
                "check (after)": (["check"], REPO, "warm"),
                "check (before, cold)": (["check"], base, "cold"),
                "check (after, cold)": (["check"], REPO, "cold"),
            }
            caches = {name: work / f"cache-{n}" for n, name in enumerate(cases)}
            for name, (command, checkout, _) in cases.items():  # warm caches, .pyc files, page cache
                run_rootwatch(command, checkout, caches[name])
            walls: dict[str, list[float]] = {name: [] for name in cases}
            cpus: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):  # interleaved, so drift in machine load hits every command alike
                for name, (command, checkout, temperature) in cases.items():
                    if temperature == "cold":
                        shutil.rmtree(caches[name], ignore_errors=True)
                    measured = run_rootwatch(command, checkout, caches[name])
                    walls[name].append(measured.wall)
                    cpus[name].append(measured.cpu)

    for label, samples in (("wall", walls), ("CPU (user + system)", cpus)):
        report(label, samples, args.runs, base_ref)
    return 0


def report(label: str, samples: dict[str, list[float]], runs: int, base_ref: str) -> None:
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"\n{label}: {runs} interleaved runs each, median seconds; baseline {base_ref}")
    for name, value in median.items():
        print(f"  {name:<24}{value:>8.3f} s")
    help_time = median["--help"]
    print("\nrow                                    before     after   before/after")
    rows = [
        ("benchmark run cis_v700, x --help", median["bench (before)"] / help_time, median["bench (after)"] / help_time, "x"),
        ("benchmark run cis_v700 (s)", median["bench (before)"], median["bench (after)"], "s"),
        ("rootwatch check (s)", median["check (before)"], median["check (after)"], "s"),
        ("cold: benchmark run cis_v700 (s)", median["bench (before, cold)"], median["bench (after, cold)"], "s"),
        ("cold: rootwatch check (s)", median["check (before, cold)"], median["check (after, cold)"], "s"),
    ]
    for row, before, after, unit in rows:
        print(f"  {row:<36}{before:>8.2f}{unit}{after:>8.2f}{unit}{before / after:>12.1f}x")
    bench_ratio = median["bench (after)"] / help_time
    print(f"\ntarget benchmark run <= 3x --help: {bench_ratio:.1f}x {'ok' if bench_ratio <= 3 else 'OVER'}")
    print(f"target check <= 1 s: {median['check (after)']:.2f} s {'ok' if median['check (after)'] <= 1 else 'OVER'}")


if __name__ == "__main__":
    raise SystemExit(main())
