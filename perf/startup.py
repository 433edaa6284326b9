#!/usr/bin/env python3
"""Start-up time of the command: ``rootwatch --help`` and ``rootwatch control list``.

Target: under 0.3 s each. Measured side by side with the bare interpreter (``python -c pass``) in
the same run, so the figures can be read as "rootwatch's own cost" on a shared, noisy machine.

    .venv/bin/python perf/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTWATCH = [sys.executable, "-m", "rootwatch"]

COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "rootwatch --help": [*ROOTWATCH, "--help"],
    "rootwatch control list": [*ROOTWATCH, "control", "list"],
    "rootwatch benchmark list": [*ROOTWATCH, "benchmark", "list"],
}


def wall(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the page cache and .pyc files
        wall(command)
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):  # interleaved, so drift in machine load hits every command alike
        for name, command in COMMANDS.items():
            samples[name].append(wall(command))
    baseline = statistics.median(samples["python -c pass (baseline)"])
    print(f"{'command':<28} {'median':>9} {'p90':>9} {'vs python':>10}  target 0.300 s")
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        verdict = "" if name.startswith("python") else ("  ok" if median < 0.3 else "  OVER")
        print(f"{name:<28} {median:>8.3f}s {p90:>8.3f}s {median / baseline:>9.1f}x{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
