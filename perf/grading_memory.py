#!/usr/bin/env python3
"""Issue 14's DuckDB grading row, before and after, side by side: every root control
(``benchmark run root``) on a large snapshot against the 5-account example, wall time, CPU seconds
(the figure to trust on a loaded machine) and peak RSS.

Targets: the large run at most 1.0 s more than the 5-account run, peak RSS at most 300 MB.

The large snapshot is one ``perf/root_controls_scale.py --keep NAME`` built (``build/NAME/org10000-v2.duckdb``),
passed as ``--snapshot``. The baseline is another commit in a temporary ``git worktree``
(``perf/side_by_side.py``); each side's compile cache is warmed by one run first.

    .venv/bin/python perf/grading_memory.py --snapshot build/scale/org10000-v2.duckdb [--base REF] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import REPO, base_worktree, default_base, run_rootwatch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True, help="the large snapshot (e.g. 10,000 accounts)")
    parser.add_argument("--base", help="git ref of the baseline (default: where this branch left main)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base_ref = args.base or default_base()
    large = args.snapshot.resolve()

    with tempfile.TemporaryDirectory(prefix="rootwatch-grading-memory-") as tmp:
        work = Path(tmp)
        with base_worktree(base_ref, work / "base") as base:
            small = work / "example.duckdb"
            run_rootwatch(["snapshot", "from-files", str(REPO / "examples/org"), "-o", str(small)], REPO, work / "build-cache")
            sides = {"before": base, "after": REPO}
            cases = {
                (side, size): (["benchmark", "run", "root", "--snapshot", str(path)], checkout)
                for side, checkout in sides.items()
                for size, path in (("5 accounts", small), ("large", large))
            }
            for (side, _), (command, checkout) in cases.items():  # warm each side's cache
                run_rootwatch(command, checkout, work / f"cache-{side}")
            walls: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
            cpus: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
            peaks: dict[tuple[str, str], int] = {case: 0 for case in cases}
            for _ in range(args.runs):  # interleaved
                for (side, size), (command, checkout) in cases.items():
                    measured = run_rootwatch(command, checkout, work / f"cache-{side}")
                    walls[(side, size)].append(measured.wall)
                    cpus[(side, size)].append(measured.cpu)
                    peaks[(side, size)] = max(peaks[(side, size)], measured.rss_mb)

    median = {case: statistics.median(values) for case, values in walls.items()}
    cpu = {case: statistics.median(values) for case, values in cpus.items()}
    print(f"benchmark run root, {args.runs} interleaved runs each; large snapshot {large}; baseline {base_ref}")
    print(f"  {'':<10}{'5 accounts':>12}{'large':>10}{'difference':>12}{'CPU 5 acc.':>12}{'CPU large':>11}"
          f"{'CPU diff.':>11}{'peak RSS':>11}")
    for side in sides:
        difference = median[(side, "large")] - median[(side, "5 accounts")]
        print(f"  {side:<10}{median[(side, '5 accounts')]:>11.2f}s{median[(side, 'large')]:>9.2f}s"
              f"{difference:>11.2f}s{cpu[(side, '5 accounts')]:>11.2f}s{cpu[(side, 'large')]:>10.2f}s"
              f"{cpu[(side, 'large')] - cpu[(side, '5 accounts')]:>10.2f}s{peaks[(side, 'large')]:>8} MB")
    before = median[("before", "large")] - median[("before", "5 accounts")]
    after = median[("after", "large")] - median[("after", "5 accounts")]
    rss_before, rss_after = peaks[("before", "large")], peaks[("after", "large")]
    print(f"\nrow: large minus 5-account run {before:.2f} s -> {after:.2f} s ({before / max(after, 1e-9):.1f}x); "
          f"peak RSS {rss_before} -> {rss_after} MB ({rss_before / max(rss_after, 1):.1f}x)")
    print(f"target <= 1.0 s more: {'ok' if after <= 1.0 else 'OVER'}; target RSS <= 300 MB: {'ok' if rss_after <= 300 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
