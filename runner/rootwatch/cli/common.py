"""Turning parsed arguments into library values: mod, data source, options; emitting results."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rootwatch.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rootwatch.engines.base import DataSource
    from rootwatch.execution import Target
    from rootwatch.mod.model import Mod
    from rootwatch.options import RunOptions
    from rootwatch.results import RunResult
    from rootwatch.sql.parsing import SqlSource

SNAPSHOT_ENV = "ROOTWATCH_SNAPSHOT"


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


def data_source(args: argparse.Namespace) -> DataSource:
    """The snapshot or database the arguments (or environment) name."""
    from rootwatch.engines.base import DataSource
    from rootwatch.engines.dsn import DATABASE_ENV, default_dsn

    if args.query_timeout <= 0:
        raise UsageError("--query-timeout must be a positive number of seconds")
    if args.snapshot and args.database is not None:
        raise UsageError("--snapshot and --database are exclusive", hint="grade either a snapshot or a live endpoint")
    if args.snapshot:
        if args.search_path:
            raise UsageError("--search-path applies to --database only")
        return DataSource(snapshot=Path(args.snapshot), query_timeout=args.query_timeout)
    if args.database is not None:
        return DataSource(
            database=args.database or default_dsn(), search_path=args.search_path, query_timeout=args.query_timeout
        )
    if os.environ.get(SNAPSHOT_ENV):
        return DataSource(snapshot=Path(os.environ[SNAPSHOT_ENV]), query_timeout=args.query_timeout)
    if os.environ.get(DATABASE_ENV):
        return DataSource(database=os.environ[DATABASE_ENV], search_path=args.search_path, query_timeout=args.query_timeout)
    raise UsageError(
        "no data source: pass --snapshot PATH (a DuckDB snapshot) or --database [DSN] (a live Steampipe endpoint)",
        hint="the README's first command builds the example snapshot build/example.duckdb",
    )


def parse_as_of(text: str | None) -> datetime | None:
    """``--as-of``: an ISO 8601 date or timestamp; naive values are UTC."""
    if text is None:
        return None
    from rootwatch.schema.values import parse_timestamp

    try:
        return parse_timestamp(text)
    except ValueError:
        raise UsageError(
            f"--as-of {text!r} is not an ISO 8601 date or timestamp",
            hint="for example --as-of 2026-11-25 or --as-of 2026-11-25T09:30:00Z",
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


def require_selection(targets: Sequence[Target], options: RunOptions, args: argparse.Namespace) -> None:
    """Stop when ``--tag``/``--where`` leave nothing to run: an empty run would exit 0, and a CI
    gate with a typo in its filter would pass forever."""
    from rootwatch.execution import select_targets

    if (options.tags or options.select) and not select_targets(targets, options):
        filters = [f"--tag {t}" for t in getattr(args, "tag", [])] + [f"--where {w!r}" for w in getattr(args, "where", [])]
        raise UsageError(
            f"no control of {', '.join(t.id for t in targets)} matches {' and '.join(filters)}",
            hint="check the names: benchmark items carry the tags cis_item_id, cis_level, cis_type, cis_version and service",
        )


def check_outputs(args: argparse.Namespace) -> None:
    """Validate ``--export``, ``--status`` and the export directories before anything runs, so a
    typo costs nothing and no run ends with some exports written and others not."""
    from rootwatch.output import export_target
    from rootwatch.selection import parse_statuses

    parse_statuses(getattr(args, "status", []))
    check_export_paths([path for _fmt, path in (export_target(spec) for spec in getattr(args, "export", []))])


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


def emit(result: RunResult, args: argparse.Namespace) -> int:
    """Write exports, print the chosen output, and return the run's exit code.

    ``--status`` narrows what is written and printed, never the exit code (the whole run's).
    """
    from rootwatch.atomic import write_all_atomic
    from rootwatch.output import export_target, format_named
    from rootwatch.selection import parse_statuses, shown_result, status_note

    targets = [export_target(spec) for spec in args.export]  # all validated before writing any
    shown = shown_result(result, parse_statuses(getattr(args, "status", [])))
    # Render every export before writing any, so a format that fails leaves every file as it was.
    rendered = [(path, fmt.renderer()(shown)) for fmt, path in targets]
    write_all_atomic(rendered)
    note = status_note(shown)
    if note:
        sys.stderr.write(note + "\n")
    text = format_named(args.output).renderer()(shown)
    if text:
        sys.stdout.write(text if isinstance(text, str) else text.decode("utf-8"))
        sys.stdout.flush()
    return int(result.exit_code())
