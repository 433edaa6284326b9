"""``rootwatch control run|list|show``."""

from __future__ import annotations

import argparse
import sys

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.notify_options import NOTIFY_EPILOG, add_notify_options
from rootwatch.cli.parser import add_mod_location, add_run_options


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("control", help="run, list or show controls", description="Run, list or show controls.")
    commands = parser.add_subparsers(dest="control_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one or more controls",
        description="Run controls on their own (outside any benchmark).",
        epilog="exit codes: 0 nothing in alarm or error, 1 alarms only, 2 any control error, 3 usage/config/connection, "
        "5 a notifier failed\n\n" + NOTIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("controls", nargs="+", metavar="CONTROL", help="control id (the file stem in controls/)")
    add_run_options(run, formats=formats)
    add_notify_options(run)
    run.set_defaults(handler=run_controls)

    listing = commands.add_parser("list", help="list controls", description="List the mod's controls.")
    add_mod_location(listing)
    add_list_output(listing)
    listing.add_argument("--tag", metavar="KEY=VALUE", action="append", default=[], help="only controls with this tag")
    listing.set_defaults(handler=list_controls)

    show = commands.add_parser("show", help="show a control's documentation", description="Show a control's docs and where it is used.")
    show.add_argument("control", metavar="CONTROL")
    add_mod_location(show)
    show.set_defaults(handler=show_control)

    test = commands.add_parser(
        "test",
        help="run controls' YAML test cases",
        description="Run the YAML test cases of controls (given rows -> expected graded rows) on DuckDB, "
        "and also on a Postgres database with --database (each case loads into a schema of its own, "
        "dropped afterwards, so the role needs CREATE on that database).",
        epilog="exit codes: 0 every case passed, 1 a case failed, 3 usage or a malformed case file",
    )
    test.add_argument("controls", nargs="*", metavar="CONTROL", help="only these controls' cases (default: all)")
    add_mod_location(test)
    test.add_argument("--cases", metavar="DIR", help="case directory (default: <mod>/tests/cases)")
    test.add_argument("--database", metavar="DSN", help="also run every case on this Postgres database")
    test.set_defaults(handler=test_controls)


def run_controls(args: argparse.Namespace) -> int:
    from rootwatch import api
    from rootwatch.cli.common import check_outputs, load_mod, require_selection, run_options, want_progress
    from rootwatch.cli.notify_options import run_notified

    mod = load_mod(args)
    args.controls = list(dict.fromkeys(args.controls))  # a name given twice runs once
    targets = [api.control_target(mod, name) for name in args.controls]  # unknown names fail before connecting
    options = run_options(args, mod, progress=want_progress(args))
    require_selection(targets, options, args)
    check_outputs(args)
    return run_notified(args, mod, "control run", args.controls, lambda engine: api.run_controls(mod, engine, args.controls, options))


def list_controls(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod, parse_tags

    mod = load_mod(args)
    wanted = parse_tags(args.tag)
    rows = [
        (c.id, c.severity, c.title)
        for c in mod.controls.values()
        if all(c.tags.get(k) == v for k, v in wanted)
    ]
    print_table(("control", "severity", "title"), rows, args.output)
    return 0


def show_control(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod

    mod = load_mod(args)
    control = mod.control(args.control)
    used_in = [
        f"{bench.id}: {node.title}"
        for bench in mod.benchmarks.values()
        for node in bench.control_nodes()
        if node.control is control
    ]
    tags = ", ".join(f"{k}={v}" for k, v in sorted(control.tags.items())) or "(none)"
    out = [
        f"{control.title}",
        f"id: {control.id}    severity: {control.severity}    tags: {tags}",
        f"sql: {control.sql_path}",
        "",
        "Description",
        _indent(control.description),
        "",
        "Rationale",
        _indent(control.docs.rationale),
        "",
        "Remediation",
        _indent(control.docs.remediation),
        "",
        "Used in",
        *[f"  {line}" for line in used_in],
    ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


def test_controls(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rootwatch.cases import compare, discover_cases, run_case_duckdb, run_case_postgres
    from rootwatch.cli.common import load_mod
    from rootwatch.errors import UsageError

    mod = load_mod(args)
    directory = Path(args.cases) if args.cases else mod.location / "tests" / "cases"
    if not directory.is_dir():
        raise UsageError(f"no case directory {directory}", hint="pass --cases DIR")
    for name in args.controls:
        mod.control(name)
    cases = [c for c in discover_cases(directory) if not args.controls or c.control in args.controls]
    engines = [("duckdb", lambda case: run_case_duckdb(case, mod))]
    if args.database:
        engines.append(("postgres", lambda case: run_case_postgres(case, mod, args.database)))
    failures = 0
    for case in cases:
        mod.control(case.control)
        for engine_name, run in engines:
            rows, error = run(case)
            problems = [f"control error: {error}"] if error else compare(case, rows)
            status = "FAIL" if problems else "ok  "
            sys.stdout.write(f"{status}  {case.id}  [{engine_name}]\n")
            for problem in problems:
                sys.stdout.write(f"        {problem}\n")
            failures += bool(problems)
    sys.stdout.write(f"{len(cases)} cases, {failures} failure{'s' if failures != 1 else ''}\n")
    return 1 if failures else 0
