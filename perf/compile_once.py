#!/usr/bin/env python3
"""Issue 14's small-run rows, before and after, side by side in one run: ``benchmark run cis_v700`` on
the 5-account example snapshot against ``rootwatch --help``, and ``rootwatch check``.

The baseline is another commit of this repository (``--base``, default: where this branch left
``main``), checked out into a temporary ``git worktree`` and run with the same interpreter and
packages (its ``runner/`` on PYTHONPATH, its own mod). Every command runs ``--runs`` times, interleaved, so changes in the load
of a shared machine hit every command alike; the median counts.

Each side gets a cache directory of its own (``ROOTWATCH_CACHE_DIR``), warmed by one run first: the
figures are those of a user's second and later runs. The first run after an upgrade or an edit
compiles cold; it is measured too (``cold``: a fresh, empty cache directory for every run).

    .venv/bin/python perf/compile_once.py [--base REF] [--runs 9]

Printed: median wall seconds per command and side, the ratio before/after, and the two targets:
the benchmark run at most 3x ``--help``, ``check`` at most 1 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = "examples/org"


def run(command: list[str], checkout: Path, cache: Path) -> float:
    """Wall seconds of ``python -m rootwatch COMMAND`` from ``checkout`` with ``cache``."""
    env = {**os.environ, "PYTHONPATH": str(checkout / "runner"), "ROOTWATCH_CACHE_DIR": str(cache)}
    env.pop("ROOTWATCH_NO_SQL_CACHE", None)
    # As installed: bytecode compiled once and kept (a session that sets PYTHONDONTWRITEBYTECODE
    # would otherwise compile every module from source in every run, on both sides).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rootwatch", *command], cwd=checkout, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode not in (0, 1):  # 1: the example organisation has alarms
        raise SystemExit(f"{' '.join(command)} in {checkout} exited {done.returncode}: {done.stderr.strip()}")
    return seconds


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref of the baseline (default: where this branch left main)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if args.base is None:
        merge_base = ["git", "-C", str(REPO), "merge-base", "HEAD", "main"]
        args.base = subprocess.run(merge_base, capture_output=True, text=True, check=True).stdout.strip()[:12]
    # A kill unwinds like Ctrl-C, so the temporary worktree is removed.
    signal.signal(signal.SIGTERM, _interrupt)

    with tempfile.TemporaryDirectory(prefix="rootwatch-compile-once-") as tmp:
        work = Path(tmp)
        base = work / "base"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(base), args.base], check=True)
        try:
            snapshot = work / "example.duckdb"
            env = {**os.environ, "PYTHONPATH": str(REPO / "runner"), "ROOTWATCH_CACHE_DIR": str(work / "build-cache")}
            subprocess.run([sys.executable, "-m", "rootwatch", "snapshot", "from-files", EXAMPLE, "-o", str(snapshot)],
                           cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            bench = ["benchmark", "run", "cis_v700", "--snapshot", str(snapshot)]
            cases: dict[str, tuple[list[str], Path, str]] = {
                "--help": (["--help"], REPO, "warm"),
                "bench (before)": (bench, base, "warm"),
                "bench (after)": (bench, REPO, "warm"),
                "bench (after, cold)": (bench, REPO, "cold"),
                "check (before)": (["check"], base, "warm"),
                "check (after)": (["check"], REPO, "warm"),
                "check (after, cold)": (["check"], REPO, "cold"),
            }
            caches = {name: work / f"cache-{n}" for n, name in enumerate(cases)}
            for name, (command, checkout, _) in cases.items():  # warm caches, .pyc files, page cache
                run(command, checkout, caches[name])
            samples: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, (command, checkout, temperature) in cases.items():
                    if temperature == "cold":
                        shutil.rmtree(caches[name], ignore_errors=True)
                    samples[name].append(run(command, checkout, caches[name]))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)

    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{args.runs} interleaved runs each, median wall seconds; baseline {args.base}")
    for name, value in median.items():
        print(f"  {name:<24}{value:>8.3f} s")
    help_time = median["--help"]
    print("\nrow                                    before     after   before/after")
    rows = [
        ("benchmark run cis_v700, x --help", median["bench (before)"] / help_time, median["bench (after)"] / help_time, "x"),
        ("benchmark run cis_v700 (s)", median["bench (before)"], median["bench (after)"], "s"),
        ("rootwatch check (s)", median["check (before)"], median["check (after)"], "s"),
    ]
    for label, before, after, unit in rows:
        print(f"  {label:<36}{before:>8.2f}{unit}{after:>8.2f}{unit}{before / after:>12.1f}x")
    bench_ratio = median["bench (after)"] / help_time
    print(f"\ntarget benchmark run <= 3x --help: {bench_ratio:.1f}x {'ok' if bench_ratio <= 3 else 'OVER'}")
    print(f"target check <= 1 s: {median['check (after)']:.2f} s {'ok' if median['check (after)'] <= 1 else 'OVER'}")
    print(f"cold (first run after an edit or upgrade): benchmark {median['bench (after, cold)']:.2f} s, "
          f"check {median['check (after, cold)']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
