"""``rootwatch snapshot export``: a snapshot's tables as Parquet files, one folder per table."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export",
        help="write a snapshot's tables as Parquet (one folder per table) for Spark and other engines",
        description="Write every table of a DuckDB snapshot, its metadata included, as Parquet under DIR: one folder "
        "per table, large tables (CloudTrail events) split by account, plus rootwatch-export.json saying what is there "
        "(docs/spark.md). DIR appears complete or not at all.",
        epilog="exit codes: 0 written, 3 bad input or usage (nothing is written)",
    )
    parser.add_argument("directory", metavar="DIR", help="folder to write (must not exist, unless --force)")
    parser.add_argument("--format", dest="export_format", choices=("parquet",), default="parquet", help="file format (default: parquet)")
    parser.add_argument("--snapshot", metavar="FILE", help="DuckDB snapshot to export (default: $ROOTWATCH_SNAPSHOT)")
    parser.add_argument("--force", action="store_true", help="replace DIR if it is an earlier export or an empty folder")
    parser.set_defaults(handler=export)


def export(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from rootwatch.cli.common import SNAPSHOT_ENV, report_written
    from rootwatch.errors import UsageError
    from rootwatch.snapshot.parquet_export import export_parquet
    from rootwatch.wording import plural

    snapshot = args.snapshot or os.environ.get(SNAPSHOT_ENV)
    if not snapshot:
        raise UsageError("no snapshot to export", hint=f"pass --snapshot FILE (or set {SNAPSHOT_ENV})")
    summary = export_parquet(Path(snapshot), Path(args.directory), force=args.force)
    split = [t.name for t in summary.tables if t.partitioned_by]
    details = [plural(len(summary.tables), "table"), plural(summary.total_rows, "row")]
    if split:
        details.append("split by account: " + ", ".join(split))
    report_written(summary.out_dir, ", ".join(details))
    return 0
