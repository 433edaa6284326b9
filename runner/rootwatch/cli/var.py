"""``rootwatch var list``."""

from __future__ import annotations

import argparse
import json

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.parser import add_mod_location


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("var", help="list variables", description="List the mod's variables.")
    commands = parser.add_subparsers(dest="var_command", metavar="COMMAND", required=True)
    listing = commands.add_parser(
        "list",
        help="list variables with their defaults and effective values",
        description="List variables. With --var/--var-file, the value column shows what a run would use.",
    )
    add_mod_location(listing)
    add_list_output(listing)
    listing.add_argument("--var", metavar="NAME=VALUE", action="append", default=[], help="a value to show as in effect")
    listing.add_argument("--var-file", metavar="FILE", action="append", default=[], help="variable file to apply")
    listing.set_defaults(handler=list_variables)


def _show(value: object) -> str:
    return "" if value is None else json.dumps(value) if not isinstance(value, str) else value


def list_variables(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rootwatch import api
    from rootwatch.cli.common import load_mod

    mod = load_mod(args)
    values = api.resolve_variables(mod, args.var, [Path(p) for p in args.var_file])
    rows = [
        (v.name, v.type, _show(v.default), _show(values.get(v.name)), v.description)
        for v in mod.variables.values()
    ]
    print_table(("variable", "type", "default", "value", "description"), rows, args.output)
    return 0
