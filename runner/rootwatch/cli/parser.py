"""Argument parsing shaped like Powerpipe, with usage errors that exit 3 (not argparse's 2)."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from rootwatch.exitcodes import ExitCode


RUN_EXIT_CODES = (
    "exit codes: 0 nothing in alarm or error, 1 alarms only, 2 any control error, 3 usage/config/input/connection, "
    "4 internal error (a bug), 5 a notifier failed, 130 interrupted"
)
"""The epilog of ``benchmark run`` and ``control run``."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit with rootwatch's usage code."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(int(ExitCode.USAGE), f"rootwatch: error: {message}\n")


def add_mod_location(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mod-location",
        metavar="DIR",
        help="directory holding mod.yaml (default: found from the current directory)",
    )


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """--snapshot / --database and what goes with them."""
    group = parser.add_argument_group("data source")
    group.add_argument(
        "--snapshot",
        metavar="PATH",
        help="DuckDB snapshot to grade (default: $ROOTWATCH_SNAPSHOT)",
    )
    group.add_argument(
        "--database",
        metavar="DSN",
        nargs="?",
        const="",
        help="live Steampipe/Postgres endpoint; without a value: $ROOTWATCH_DATABASE or "
        "postgres://steampipe@127.0.0.1:9193/steampipe; duckdb:///PATH opens a snapshot",
    )
    group.add_argument(
        "--search-path",
        metavar="SCHEMAS",
        help="Postgres search path: the Steampipe connection(s) or aggregator to read, e.g. aws_all",
    )
    group.add_argument(
        "--spark",
        metavar="MASTER",
        help="run on Apache Spark: local[*] or local[N] (embedded), or sc://HOST:PORT (Spark Connect); "
        "--snapshot is then a DuckDB file or a Parquet export folder (needs rootwatch[spark])",
    )
    group.add_argument(
        "--spark-conf",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a Spark setting (repeatable), e.g. spark.driver.memory=4g",
    )
    group.add_argument(
        "--cloudtrail",
        metavar="LOCATION",
        help="with --spark: read CloudTrail log files where they lie (s3://bucket/AWSLogs/ or a local folder) "
        "instead of the snapshot's trail events",
    )
    group.add_argument(
        "--cloudtrail-days",
        metavar="N",
        type=int,
        default=90,
        help="with --cloudtrail: the days of logs read, up to the as-of instant (default: 90)",
    )
    group.add_argument(
        "--cloudtrail-reader",
        choices=("auto", "spark", "boto3"),
        default="auto",
        help="with --cloudtrail s3://...: spark opens the objects itself (an S3 filesystem: EMR, Databricks, hadoop-aws), "
        "boto3 has Spark's Python workers fetch them (PySpark from PyPI has no S3 filesystem); "
        "auto (default) uses spark when it can",
    )
    group.add_argument(
        "--query-timeout",
        metavar="SECONDS",
        type=float,
        default=300.0,
        help="statement timeout per control or query (default: 300)",
    )


def add_variable_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("variables and time")
    group.add_argument(
        "--var",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="set a variable (repeatable); see 'rootwatch var list'",
    )
    group.add_argument(
        "--var-file",
        metavar="FILE",
        action="append",
        default=[],
        help="YAML/JSON mapping or 'name = value' lines of variable values (repeatable)",
    )
    group.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help="grade as of this instant (ISO 8601; default: the snapshot's capture time, or now live)",
    )


def add_run_options(parser: argparse.ArgumentParser, *, formats: list[str]) -> None:
    """Options shared by 'benchmark run' and 'control run'."""
    add_mod_location(parser)
    add_source_options(parser)
    add_variable_options(parser)
    group = parser.add_argument_group("selection and output")
    group.add_argument(
        "--tag",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="run only controls with this tag (repeatable; all must match), e.g. cis_level=1",
    )
    group.add_argument(
        "--where",
        metavar="EXPR",
        action="append",
        default=[],
        help="run only controls whose metadata matches EXPR (repeatable; all must hold), e.g. "
        "\"severity = 'critical'\", \"tags.cis_level = '1'\", \"control_id like 'cis_v700_2%%'\"; "
        "fields: control_id, control, title, description, severity, tags.KEY",
    )
    group.add_argument(
        "--status",
        metavar="STATUSES",
        action="append",
        default=[],
        help="show (on stdout and in exports) only results with these statuses, e.g. alarm,error; "
        "the exit code still reflects the whole run",
    )
    group.add_argument(
        "--output",
        default="text",
        choices=formats,
        help="what to print on stdout (default: text)",
    )
    group.add_argument(
        "--export",
        metavar="FILE",
        action="append",
        default=[],
        help="also write results to FILE, format from its extension or FORMAT:FILE (repeatable)",
    )
    group.add_argument(
        "--verbose",
        action="store_true",
        help="text output: list every benchmark item the mod does not assess (default: one line per section)",
    )
    group.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would run (controls, benchmark items, selection applied) and exit 0, without opening the data source",
    )
    group.add_argument(
        "--max-parallel",
        metavar="N",
        type=int,
        default=10,
        help="controls run at once (default: 10; on a DuckDB snapshot at most one per CPU core)",
    )
    group.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: on when stderr is a terminal)",
    )
