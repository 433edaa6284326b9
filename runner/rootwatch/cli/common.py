"""Turning parsed arguments into library values: mod, data source, options; emitting results."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from rootwatch.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rootwatch.engines.base import DataSource
    from rootwatch.mod.model import Mod
    from rootwatch.options import RunOptions
    from rootwatch.output import RenderOptions
    from rootwatch.plan import Target
    from rootwatch.results import RunResult
    from rootwatch.sql.parsing import SqlSource

SNAPSHOT_ENV = "ROOTWATCH_SNAPSHOT"
MAX_QUERY_TIMEOUT = 7 * 24 * 3600.0
"""Longer is surely a typo (and Postgres's statement_timeout stops at about 24 days)."""
_SCHEMA_NAME = re.compile(r'^(?:[A-Za-z_][\w$]*|"[^"]+"|\$user)$')


def check_query_timeout(seconds: float) -> None:
    """UsageError unless ``--query-timeout`` is a positive, finite number of seconds, at most a week."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(
            f"--query-timeout must be a positive number of seconds, not {seconds:g}",
            hint=f"at most {MAX_QUERY_TIMEOUT:g} (one week)",
        )
    if seconds > MAX_QUERY_TIMEOUT:
        raise UsageError(f"--query-timeout {seconds:g} is more than a week ({MAX_QUERY_TIMEOUT:g} s)")


def check_search_path(text: str) -> None:
    """UsageError unless ``--search-path`` is a comma-separated list of schema names."""
    for part in text.split(","):
        if not _SCHEMA_NAME.match(part.strip()):
            raise UsageError(
                f"--search-path {text!r}: {part.strip()!r} is not a schema name",
                hint="separate Steampipe connections with commas, e.g. --search-path aws_prod,aws_dev",
            )


def load_mod(args: argparse.Namespace) -> Mod:
    # The loader alone, not rootwatch.api: listings must start fast and need no engine code.
    from rootwatch.mod.loader import find_mod_location
    from rootwatch.mod.loader import load_mod as load

    location = getattr(args, "mod_location", None)
    return load(find_mod_location(Path(location) if location else None))


def relations_line(source: SqlSource) -> str:
    """``relations: a, b`` naming the shared relations ``source`` reads (directly or not)."""
    from rootwatch.sql.relations import used_relations

    names = [r.name for r in used_relations(source)]
    return f"relations: {', '.join(names) if names else '(none)'}"


def print_expanded_sql(source: SqlSource) -> int:
    """Print ``source``'s SQL with its shared relations prepended, ready for psql; returns 0."""
    from rootwatch.sql.relations import expanded_text

    text = expanded_text(source)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def data_source(args: argparse.Namespace, *, required: bool = True) -> DataSource | None:
    """The snapshot or database the arguments (or environment) name; None when none is named and
    ``required`` is false (``--dry-run`` needs none). ``--database duckdb:///PATH`` is a snapshot."""
    from rootwatch.engines.base import DataSource
    from rootwatch.engines.dsn import DATABASE_ENV, default_dsn, duckdb_path

    check_query_timeout(args.query_timeout)
    if args.search_path:
        check_search_path(args.search_path)
    if args.snapshot and args.database is not None:
        raise UsageError("--snapshot and --database are exclusive", hint="grade either a snapshot or a live endpoint")
    snapshot, database = args.snapshot, None
    if not snapshot:
        if args.database is not None:
            database = args.database or default_dsn()
        elif os.environ.get(SNAPSHOT_ENV):
            snapshot = os.environ[SNAPSHOT_ENV]
        elif os.environ.get(DATABASE_ENV):
            database = os.environ[DATABASE_ENV]
    if database is not None and duckdb_path(database) is not None:
        snapshot, database = duckdb_path(database), None
        if not snapshot:
            raise UsageError("--database duckdb: names no file", hint="for example --database duckdb:///path/to/org.duckdb")
    if getattr(args, "cloudtrail_reader", "auto") != "auto" and not getattr(args, "cloudtrail", None):
        raise UsageError("--cloudtrail-reader goes with --cloudtrail", hint="for example --cloudtrail s3://bucket/AWSLogs/ --cloudtrail-reader boto3")
    spark = getattr(args, "spark", None)
    if spark is not None or getattr(args, "cloudtrail", None) or getattr(args, "spark_conf", None):
        return _spark_source(args, snapshot, database)
    if snapshot:
        if args.search_path:
            raise UsageError("--search-path applies to a live --database only, not to a snapshot")
        return DataSource(snapshot=Path(snapshot), query_timeout=args.query_timeout)
    if database is not None:
        return DataSource(database=database, search_path=args.search_path, query_timeout=args.query_timeout)
    if not required:
        return None
    raise UsageError(
        "no data source: pass --snapshot PATH (a DuckDB snapshot) or --database [DSN] (a live Steampipe endpoint)",
        hint="the README's first command builds the example snapshot build/example.duckdb",
    )


def _spark_source(args: argparse.Namespace, snapshot: str | None, database: str | None) -> DataSource:
    """``--spark`` with a snapshot (a DuckDB file or a Parquet export folder), ``--spark-conf`` and
    ``--cloudtrail``."""
    from rootwatch.engines.base import CloudTrailInput, DataSource
    from rootwatch.engines.spark_session import parse_target

    if args.spark is None:
        option = "--cloudtrail" if args.cloudtrail else "--spark-conf"
        raise UsageError(f"{option} needs --spark", hint="for example --spark local[*]")
    target = parse_target(args.spark, args.spark_conf)
    if database is not None or args.search_path:
        raise UsageError("--spark reads a snapshot, not --database or --search-path")
    if not snapshot:
        raise UsageError(
            "--spark needs --snapshot: a DuckDB snapshot file or a Parquet export folder",
            hint="write an export with 'rootwatch snapshot export DIR --format parquet --snapshot FILE'",
        )
    if args.cloudtrail_days < 1:
        raise UsageError("--cloudtrail-days must be a positive number of days")
    cloudtrail = None
    if args.cloudtrail:
        cloudtrail = CloudTrailInput(args.cloudtrail, args.cloudtrail_days, parse_as_of(getattr(args, "as_of", None)), args.cloudtrail_reader)
    return DataSource(
        snapshot=Path(snapshot),
        query_timeout=args.query_timeout,
        spark=target,
        cloudtrail=cloudtrail,
    )


def parse_as_of(text: str | None, option: str = "--as-of") -> datetime | None:
    """``--as-of`` (or ``option``): an ISO 8601 date or timestamp, in UTC; naive values are UTC."""
    if text is None:
        return None
    from rootwatch.schema.values import parse_timestamp

    try:
        # In UTC at once: 9999-12-31T23:59:59-12:00 is a valid ISO string but no instant a datetime holds.
        parsed = parse_timestamp(text)
        return parsed.astimezone(timezone.utc) if parsed is not None else None
    except OverflowError:
        raise UsageError(f"{option} {text!r} is out of range: in UTC it falls outside the years 1 to 9999", hint="for example 2026-11-25T09:30:00Z") from None
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not an ISO 8601 date or timestamp",
            hint=f"for example {option} 2026-11-25 or {option} 2026-11-25T09:30:00Z" if option == "--as-of" else f"for example {option} 2026-11-25T09:30:00Z",
        ) from None


def parse_tags(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    tags = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--tag {pair!r} is not key=value", hint="for example --tag cis_level=1")
        tags.append((key.strip(), value.strip()))
    return tuple(tags)


def run_options(args: argparse.Namespace, mod: Mod, *, progress: bool) -> RunOptions:
    from rootwatch import api
    from rootwatch.options import RunOptions
    from rootwatch.selection import where_predicate

    if getattr(args, "max_parallel", 1) < 1:
        raise UsageError("--max-parallel must be at least 1")
    variables = api.resolve_variables(mod, args.var, [Path(p) for p in args.var_file])
    reporter = None
    if progress:
        from rootwatch.cli.progress import ProgressBar

        reporter = ProgressBar(sys.stderr)
    return RunOptions(
        variables=variables,
        as_of=parse_as_of(args.as_of),
        tags=parse_tags(getattr(args, "tag", [])),
        select=where_predicate(getattr(args, "where", [])),
        max_parallel=getattr(args, "max_parallel", 10),
        progress=reporter,
    )


def check_outputs(args: argparse.Namespace, *, cis: bool = True) -> None:
    """Validate ``--export``, ``--status`` and the export directories before anything runs, so a
    typo costs nothing and no run ends with some exports written and others not. Without ``cis``
    (``control run``), a CIS table export is refused: such a run holds no CIS benchmark."""
    from rootwatch.output import export_target
    from rootwatch.selection import parse_statuses

    parse_statuses(getattr(args, "status", []))
    targets = [export_target(spec) for spec in getattr(args, "export", [])]
    for fmt, path in targets:
        if fmt.needs_cis_benchmark and not cis:
            raise UsageError(
                f"--export {path}: the {fmt.name} format is a table of a CIS benchmark's items, and 'control run' runs none",
                hint=f"run the benchmark instead, e.g. rootwatch benchmark run cis_v700 --export {path}",
            )
    check_export_paths([path for _fmt, path in targets])


def run_command(args: argparse.Namespace, mod: Mod, targets: Sequence[Target], *, command: str, cis: bool = True) -> int:
    """``benchmark run`` and ``control run``: plan once, then print the plan (``--dry-run``) or run
    it and emit the result. Everything that can be wrong with the arguments fails before a
    connection is opened."""
    from rootwatch import api
    from rootwatch.activity import activity_query

    options = run_options(args, mod, progress=want_progress(args) and not args.dry_run)
    check_outputs(args, cis=cis)
    # The root-activity timeline is a picture of the HTML report: only its readers pay for the query.
    plan = api.plan_run(targets, options, activity=activity_query(mod) if _draws_pictures(args) else None)
    source = data_source(args, required=not args.dry_run)
    if args.dry_run:
        from rootwatch.cli.dry_run import print_plan

        return print_plan(plan, source, args)
    assert source is not None
    from dataclasses import replace

    from rootwatch.cli.notify_options import run_notified
    from rootwatch.execution import statements_at_once

    source = replace(source, statements_at_once=statements_at_once(plan))
    return run_notified(args, mod, command, [t.id for t in targets], source, lambda engine: api.run_plan(engine, plan))


def check_export_paths(paths: Sequence[Path]) -> None:
    """Every export's directory exists and is writable (checked before a run, not after it)."""
    for path in paths:
        directory = path.parent if str(path.parent) else Path(".")
        if not directory.is_dir():
            raise UsageError(f"--export {path}: directory {directory} does not exist", hint="create it first")
        if not os.access(directory, os.W_OK):
            raise UsageError(f"--export {path}: directory {directory} is not writable")


def want_progress(args: argparse.Namespace) -> bool:
    return args.progress if args.progress is not None else sys.stderr.isatty()


def _draws_pictures(args: argparse.Namespace) -> bool:
    """Whether the HTML report is printed or exported (the exports already checked)."""
    from rootwatch.output import export_target

    return "html" in {args.output, *(export_target(spec)[0].name for spec in args.export)}


def render_options(args: argparse.Namespace) -> RenderOptions:
    """``--verbose``, and the terminal's width when stdout is one (a file or pipe gets one line
    per result, whole, for grep)."""
    import shutil

    from rootwatch.output import RenderOptions

    width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else None
    return RenderOptions(verbose=getattr(args, "verbose", False), width=width)


def report_written(path: Path, what: str) -> None:
    """Say on stderr what was written, one line per file, the same way for every command."""
    from rootwatch.output.style import printable

    sys.stderr.write(printable(f"rootwatch: wrote {path}: {what}") + "\n")


def report_snapshot(path: Path, accounts: int, rows: int, captured_at: datetime, *details: str) -> None:
    """The line every snapshot builder ends with: ``rootwatch: wrote org.duckdb: 5 accounts, 43 rows, ..., captured at ...``."""
    from rootwatch.wording import instant, plural

    parts = [plural(accounts, "account"), plural(rows, "row"), *details, f"captured at {instant(captured_at)}"]
    report_written(path, ", ".join(parts))


def emit(result: RunResult, args: argparse.Namespace) -> int:
    """Write exports, print the chosen output, and return the run's exit code.

    ``--status`` narrows what is written and printed, never the exit code (the whole run's).
    """
    from dataclasses import replace

    from rootwatch.atomic import write_all_atomic
    from rootwatch.output import export_target, format_named
    from rootwatch.selection import parse_statuses, shown_result, status_note
    from rootwatch.wording import plural

    targets = [export_target(spec) for spec in args.export]  # all validated before writing any
    shown = shown_result(result, parse_statuses(getattr(args, "status", [])))
    layout = render_options(args)
    # Render every export before writing any, so a format that fails leaves every file as it was.
    # A file is never wrapped to the terminal it happens to be written from.
    rendered = [(path, fmt.render(shown, replace(layout, width=None))) for fmt, path in targets]
    write_all_atomic(rendered)
    results = plural(shown.summary.total, "result")
    for fmt, path in targets:
        report_written(path, f"{fmt.name}, {results}")
    note = status_note(shown)
    if note:
        sys.stderr.write(note + "\n")
    text = format_named(args.output).render(shown, layout)
    if text:
        sys.stdout.write(text if isinstance(text, str) else text.decode("utf-8"))
        sys.stdout.flush()
    return int(result.exit_code())
