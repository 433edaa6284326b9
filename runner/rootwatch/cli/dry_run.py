"""``--dry-run``: what a run would do, without opening the data source.

One row per selected control node (a benchmark item, or a control run on its own) with the SQL
control behind it, then what would run: each SQL control once, however many benchmarks place it,
and the items the mod does not assess (graded ``skip`` without running anything). The rows print
in the listing formats (text, csv, json, md); the closing line goes to stdout with text and to
stderr otherwise, so machine output stays clean.
"""

from __future__ import annotations

import argparse
import sys

from rootwatch.engines.base import DataSource
from rootwatch.plan import RunPlan
from rootwatch.wording import controls_phrase, plural


def plan_summary(plan: RunPlan, source: DataSource | None) -> str:
    """``Would grade 71 controls (8 assessed, 63 not assessed), executing 8 SQL controls, on
    snapshot org.duckdb; nothing was run.`` Counted as the run's own summary counts them."""
    if source is None:
        where = " (no data source given)"
    elif source.snapshot is not None:
        where = f" on snapshot {source.snapshot}"
    else:
        where = " on the live --database endpoint"
    controls = controls_phrase(len(plan.nodes), plan.not_assessed)
    executed = plural(len(plan.controls), "SQL control")
    return f"Would grade {controls}, executing {executed}{where}; nothing was run."


def print_plan(plan: RunPlan, source: DataSource | None, args: argparse.Namespace) -> int:
    """Print the plan in ``--output``'s listing format (text for the run formats); exit 0."""
    from rootwatch.cli.listing import LIST_FORMATS, print_table

    fmt = args.output if args.output in LIST_FORMATS else "text"
    rows = [
        (node.id, node.control.id if node.control else "(not assessed)", node.control.severity if node.control else "", node.title)
        for node in plan.nodes
    ]
    print_table(("id", "control", "severity", "title"), rows, fmt)
    stream = sys.stdout if fmt == "text" else sys.stderr
    stream.write(("\n" if fmt == "text" else "") + plan_summary(plan, source) + "\n")
    return 0
