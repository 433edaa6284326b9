"""``rootwatch snapshot ...``: inspect and build snapshots.

``info`` lives here; each way of building a snapshot (and ``export``, which writes one out as
Parquet) registers its own subcommands from the modules in ``BUILDER_MODULES`` (one module per
source or target, so they evolve independently).
"""

from __future__ import annotations

import argparse
import importlib
import sys

BUILDER_MODULES: tuple[str, ...] = ("rootwatch.cli.snapshot_live", "rootwatch.cli.snapshot_files", "rootwatch.cli.snapshot_export")


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("snapshot", help="build and inspect DuckDB snapshots", description="Build and inspect DuckDB snapshots.")
    commands = parser.add_subparsers(dest="snapshot_command", metavar="COMMAND", required=True)

    info = commands.add_parser("info", help="print a snapshot's metadata", description="Print what a snapshot holds: capture time, source, accounts, regions, errors, row counts.")
    info.add_argument("snapshot", metavar="FILE")
    info.add_argument("--output", default="text", choices=("text", "json"), help="format (default: text)")
    info.set_defaults(handler=snapshot_info)

    for module in BUILDER_MODULES:
        importlib.import_module(module).register(commands)


def snapshot_info(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from rootwatch.accounts import account_names, display_account
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.errors import InputError
    from rootwatch.output.style import printable
    from rootwatch.schema.tables import load_tables

    engine = DuckDBEngine.open(Path(args.snapshot))
    try:
        info = engine.snapshot_info()
        if info is None:
            raise InputError(f"{args.snapshot} is a DuckDB file without rootwatch snapshot metadata")
        if engine.capture_time_missing:
            raise InputError(f"{args.snapshot} {engine.capture_time_missing}: it was damaged or edited",
                             hint="rebuild it; to grade it anyway, pass --as-of to benchmark run")
        available = engine.available_tables()
        names = account_names(engine, info.captured_at)
        counts = {
            name: engine.execute(f'SELECT count(*) FROM "{name}"').rows[0][0]
            for name in load_tables()
            if name in available
        }
    finally:
        engine.close()
    if args.output == "json":
        sys.stdout.write(json.dumps({**info.as_dict(), "row_counts": counts}, indent=2) + "\n")
        return 0
    lines = [
        f"snapshot        {args.snapshot}",
        f"captured at     {info.captured_at.isoformat()}  (the default as-of)",
        f"source          {info.source}" + (f" ({info.source_detail})" if info.source_detail else ""),
        f"tool version    {info.tool_version}",
        f"created at      {info.created_at.isoformat()}",
        f"accounts        {len(info.accounts)}",
    ]
    for account in info.accounts:
        report = account.credential_report_generated_at
        lines.append(
            f"  {display_account(account.account_id, names)}  regions: {', '.join(account.regions) or '-'}  "
            f"credential report: {report.isoformat() if report else 'none'}"
        )
    lines.append(f"issues          {len(info.issues)}")
    for issue in info.issues:
        where = " ".join(p for p in (issue.account_id, issue.region, issue.source) if p)
        lines.append(f"  {issue.kind}: {where}: {issue.message}")
    lines.append("rows")
    for name, count in counts.items():
        lines.append(f"  {name:<36} {count}")
    # Sources, issue messages and file names come from the captured data: no raw control characters.
    sys.stdout.write("\n".join(printable(line) for line in lines) + "\n")
    return 0
