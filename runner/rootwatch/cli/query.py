"""``rootwatch query run|list|show``."""

from __future__ import annotations

import argparse
import sys

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.notify_options import NOTIFY_EPILOG, add_notify_options
from rootwatch.cli.parser import add_mod_location, add_source_options, add_variable_options


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    from rootwatch.output.query_results import QUERY_FORMATS

    parser = subparsers.add_parser("query", help="run or list analyst queries", description="Run or list analyst queries.")
    commands = parser.add_subparsers(dest="query_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run a query by name, or SQL given on the command line",
        description="Run a query from queries/ by name, or a 'select ...' given as the argument. "
        "Variables are bound and the clock pinned exactly as for controls.",
        epilog="exit codes: 0 success, 2 the query failed on the database, 3 usage/config/connection, "
        "5 a notifier failed\n\n" + NOTIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("query", metavar="QUERY", help='query name, or SQL such as "select * from aws_account"')
    add_mod_location(run)
    add_source_options(run)
    add_variable_options(run)
    run.add_argument("--output", default="text", choices=QUERY_FORMATS, help="row format (default: text)")
    run.add_argument("--export", metavar="FILE", action="append", default=[], help="also write rows to FILE (.csv, .json, .md)")
    add_notify_options(run, state=False)
    run.set_defaults(handler=run_query)

    listing = commands.add_parser("list", help="list queries", description="List the mod's queries.")
    add_mod_location(listing)
    add_list_output(listing)
    listing.set_defaults(handler=list_queries)

    show = commands.add_parser(
        "show",
        help="show a query's description or SQL",
        description="Show a query's description and the shared relations it reads; with --sql, print its SQL "
        "with those relations prepended as CTEs (Postgres, :name parameters kept: it runs in psql).",
    )
    show.add_argument("query", metavar="QUERY")
    show.add_argument("--sql", action="store_true", help="print the expanded SQL instead of the description")
    add_mod_location(show)
    show.set_defaults(handler=show_query)


_EXPORT_FORMATS = {".csv": "csv", ".json": "json", ".md": "md", ".txt": "text"}


def run_query(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rootwatch import api
    from rootwatch.atomic import write_all_atomic
    from rootwatch.cli.common import check_export_paths, load_mod, parse_as_of, report_written
    from rootwatch.cli.notify_options import query_notified
    from rootwatch.errors import UsageError
    from rootwatch.options import RunOptions
    from rootwatch.output.query_results import render_query
    from rootwatch.wording import plural

    mod = load_mod(args)
    exports = []
    for spec in args.export:
        fmt = _EXPORT_FORMATS.get(Path(spec).suffix.lower())
        if fmt is None:
            raise UsageError(f"--export {spec}: query rows export to .csv, .json, .md or .txt")
        exports.append((Path(spec), fmt))
    check_export_paths([path for path, _fmt in exports])
    options = RunOptions(
        variables=api.resolve_variables(mod, args.var, [Path(p) for p in args.var_file]),
        as_of=parse_as_of(args.as_of),
    )

    def emit(result: api.QueryRun) -> int:
        write_all_atomic([(path, render_query(result.columns, result.rows, fmt)) for path, fmt in exports])
        for path, fmt in exports:
            report_written(path, f"{fmt}, {plural(len(result.rows), 'row')}")
        sys.stdout.write(render_query(result.columns, result.rows, args.output))
        return 0

    return query_notified(args, mod, lambda engine: api.run_query(mod, engine, args.query, options), emit)


def show_query(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod, print_expanded_sql, relations_line
    from rootwatch.mod.ids import resolve_query

    mod = load_mod(args)
    query = resolve_query(mod, args.query)
    if args.sql:
        return print_expanded_sql(query.source)
    lines = [query.title, f"id: {query.name}", f"sql: {query.sql_path}", relations_line(query.source)]
    if query.description:
        lines += ["", "Description", *[f"  {line}" if line else "" for line in query.description.splitlines()]]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def list_queries(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod

    mod = load_mod(args)
    print_table(("query", "title"), [(q.name, q.title) for q in mod.queries.values()], args.output)
    return 0
