"""``rootwatch control run|list|show``."""

from __future__ import annotations

import argparse
import sys

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.parser import add_mod_location, add_run_options


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("control", help="run, list or show controls", description="Run, list or show controls.")
    commands = parser.add_subparsers(dest="control_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one or more controls",
        description="Run controls on their own (outside any benchmark).",
        epilog="exit codes: 0 nothing in alarm or error, 1 alarms only, 2 any control error, 3 usage/config/connection",
    )
    run.add_argument("controls", nargs="+", metavar="CONTROL", help="control id (the file stem in controls/)")
    add_run_options(run, formats=formats)
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


def run_controls(args: argparse.Namespace) -> int:
    from rootwatch import api
    from rootwatch.cli.common import data_source, emit, load_mod, run_options, want_progress

    mod = load_mod(args)
    for name in args.controls:
        mod.control(name)  # unknown names fail before connecting
    options = run_options(args, mod, progress=want_progress(args))
    with api.open_engine(data_source(args)) as engine:
        result = api.run_controls(mod, engine, args.controls, options)
    return emit(result, args)


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
