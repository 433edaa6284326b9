"""``rootwatch control run|list|show``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.notify_options import NOTIFY_EPILOG, add_notify_options
from rootwatch.cli.parser import RUN_EXIT_CODES, add_mod_location, add_run_options
from rootwatch.errors import UsageError
from rootwatch.output import printable_formats

if TYPE_CHECKING:
    from rootwatch.mod.model import ControlNode


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("control", help="run, list or show controls", description="Run, list or show controls.")
    commands = parser.add_subparsers(dest="control_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one or more controls",
        description="Run controls on their own (outside any benchmark), or benchmark items: cis_v400_1_4 runs "
        "CIS v4.0.0 item 1.4 with that version's semantics. Ids are accepted short or qualified as the exports "
        "print them (rootwatch.control.cis_v700_2_4); 'all' runs every control.",
        epilog=RUN_EXIT_CODES + "\n\n" + NOTIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "controls", nargs="+", metavar="CONTROL", help="control id (the file stem in controls/), benchmark item id such as cis_v700_2_4, or all"
    )
    # The CIS table formats need a CIS benchmark, which a control run never holds.
    add_run_options(run, formats=[name for name in formats if name in printable_formats(cis=False)])
    add_notify_options(run)
    run.set_defaults(handler=run_controls)

    listing = commands.add_parser("list", help="list controls", description="List the mod's controls.")
    add_mod_location(listing)
    add_list_output(listing)
    listing.add_argument("--tag", metavar="KEY=VALUE", action="append", default=[], help="only controls with this tag")
    listing.set_defaults(handler=list_controls)

    show = commands.add_parser(
        "show",
        help="show a control's documentation or SQL",
        description="Show a control's docs (or a benchmark item's, with the control grading it), the shared relations "
        "it reads and where it is used; with --sql, "
        "print its SQL with those relations prepended as CTEs (Postgres, :name parameters kept: it runs in psql).",
    )
    show.add_argument("control", metavar="CONTROL")
    show.add_argument("--sql", action="store_true", help="print the expanded SQL instead of the docs")
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
    from rootwatch.cli.common import load_mod, run_command
    from rootwatch.mod.ids import control_targets

    mod = load_mod(args)
    # Unknown names fail before connecting; a name given twice runs once.
    return run_command(args, mod, control_targets(mod, args.controls), command="control run", cis=False)


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
    from rootwatch.cli.common import load_mod, print_expanded_sql, relations_line
    from rootwatch.mod.ids import resolve_control

    mod = load_mod(args)
    node = resolve_control(mod, args.control)
    control = node.control
    if args.sql:
        if control is None:
            raise UsageError(f"benchmark item {node.id} is graded by no rootwatch control, so it has no SQL")
        return print_expanded_sql(control.source)
    item = [] if node.control is not None and node.id == node.control.id else _item_lines(node)
    if control is None:
        sys.stdout.write("\n".join([*item, "", "Not assessed by this mod: no rootwatch control grades this item."]) + "\n")
        return 0
    used_in = [
        f"{bench.id}: {used.title}"
        for bench in mod.benchmarks.values()
        for used in bench.control_nodes()
        if used.control is control
    ]
    tags = ", ".join(f"{k}={v}" for k, v in sorted(control.tags.items())) or "(none)"
    out = [
        *item,
        *([""] if item else []),
        f"{control.title}",
        f"id: {control.id}    severity: {control.severity}    tags: {tags}",
        f"sql: {control.sql_path}",
        relations_line(control.source),
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


def _item_lines(node: ControlNode) -> list[str]:
    """The head of ``control show`` for a benchmark item: its title, id and tags."""
    tags = ", ".join(f"{k}={v}" for k, v in sorted(node.tags.items()))
    graded = f"graded by control {node.control.id}" if node.control else "not assessed by this mod"
    return [node.title, f"benchmark item: {node.id}    {graded}", f"tags: {tags}"]


def _tested_control(mod, name: str) -> str:  # noqa: ANN001 - Mod
    """The SQL control whose cases ``name`` asks for (a benchmark item's control, say)."""
    from rootwatch.errors import UsageError
    from rootwatch.mod.ids import resolve_control

    node = resolve_control(mod, name)
    if node.control is None:
        raise UsageError(f"{name} is not assessed by this mod: it has no control, so no cases")
    return node.control.id


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
    wanted = [_tested_control(mod, name) for name in args.controls]
    cases = [c for c in discover_cases(directory) if not wanted or c.control in wanted]
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
