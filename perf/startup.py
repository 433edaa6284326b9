#!/usr/bin/env python3
"""Start-up time of the command: ``--help``, ``control list``, ``benchmark list`` and ``check``.

Target: under 0.3 s for the listing commands. Measured side by side with the bare interpreter
(``python -c pass``) in the same run, so the figures can be read as "rootwatch's own cost" on a
shared, noisy machine. ``--baseline CHECKOUT`` times another checkout's rootwatch (its ``runner/``
on PYTHONPATH, its own mod) in the same interleaved loop, so a change is measured against the code
it replaces, e.g. a ``git worktree add /tmp/base main``.

    .venv/bin/python perf/startup.py [--runs 15] [--baseline /tmp/base]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMANDS = {
    "--help": ["--help"],
    "control list": ["control", "list"],
    "benchmark list": ["benchmark", "list"],
    "check": ["check"],
}
# `check` also parses and transpiles every control's SQL: it is measured, but not held to the
# target of the listing commands.
TARGETED = ("--help", "control list", "benchmark list")


def wall(command: list[str], checkout: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout / "runner")}
    began = time.perf_counter()
    subprocess.run(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another checkout to time side by side")
    args = parser.parse_args()
    checkouts = {"": REPO} if args.baseline is None else {"this": REPO, "baseline": args.baseline.resolve()}
    runs: dict[str, tuple[list[str], Path]] = {"python -c pass": ([sys.executable, "-c", "pass"], REPO)}
    for label, checkout in checkouts.items():
        for name, argv in COMMANDS.items():
            key = f"{name} ({label})" if label else name
            runs[key] = ([sys.executable, "-m", "rootwatch", *argv], checkout)
    for command, checkout in runs.values():  # warm the page cache and .pyc files
        wall(command, checkout)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.runs):  # interleaved, so drift in machine load hits every command alike
        for name, (command, checkout) in runs.items():
            samples[name].append(wall(command, checkout))
    baseline = statistics.median(samples["python -c pass"])
    print(f"{'command':<28} {'median':>9} {'p90':>9} {'vs python':>10}  target 0.300 s")
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        targeted = name.split(" (")[0] in TARGETED
        verdict = ("  ok" if median < 0.3 else "  OVER") if targeted else ""
        print(f"{name:<28} {median:>8.3f}s {p90:>8.3f}s {median / baseline:>9.1f}x{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
