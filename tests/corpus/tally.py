"""Count what the corpus finds wrong: ``python tests/corpus/tally.py [--source TREE] [-v]``.

``--source`` runs the corpus's entries with the rootwatch of another checkout (``/work/main``, say)
to measure before and after a change: cases, tracebacks, exit 4s, wrong verdicts, printed secrets
and side effects (see tests/helpers/corpus.py for each kind).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.corpus import KINDS, REPO, all_cases, run_case, runnable  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO, help="checkout whose rootwatch runs the entries")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failing entry")
    args = parser.parse_args()
    counts: Counter[str] = Counter()
    failing = 0
    cases = [case for case in all_cases() if runnable(case) is None]
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="rootwatch-corpus-") as root:
            outcome = run_case(case, Path(root), args.source.resolve())
        counts.update(outcome.broken.keys())
        failing += bool(outcome.broken)
        if outcome.broken and args.verbose:
            print(outcome.report())
    print(f"source {args.source.resolve()}: {len(cases)} cases, {failing} failing")
    print("  " + ", ".join(f"{kind} {counts[kind]}" for kind in KINDS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
