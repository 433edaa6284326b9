"""``rootwatch check``: validate the whole mod and report every problem at once."""

from __future__ import annotations

import argparse
import sys

from rootwatch.cli.parser import add_mod_location


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate the mod (files, metadata, benchmarks, SQL, tables, columns)",
        description="Validate the whole mod without any data and list every problem with its file and line.",
        epilog="exit codes: 0 the mod is valid, 3 problems were found",
    )
    add_mod_location(parser)
    parser.set_defaults(handler=check)


def check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rootwatch.checks import check_mod_at
    from rootwatch.exitcodes import ExitCode
    from rootwatch.wording import plural

    # What api.check_mod runs, without rootwatch.api: the mod is loaded once, no engine code imported.
    problems, loaded = check_mod_at(Path(args.mod_location) if args.mod_location else None)
    if problems:
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        count = len(problems)
        sys.stderr.write(f"rootwatch check: {count} problem{'s' if count != 1 else ''}\n")
        return int(ExitCode.USAGE)
    assert loaded is not None  # None only with a problem
    mod = loaded.mod
    nested = len(mod.all_benchmarks()) - len(mod.benchmarks)
    sections = f" (and {plural(nested, 'nested benchmark')}, such as CIS sections)" if nested else ""
    relations = f"{plural(len(mod.relations), 'shared relation')}, " if mod.relations else ""
    sys.stdout.write(
        f"mod {mod.name} is valid: {plural(len(mod.controls), 'control')}, {relations}"
        f"{plural(len(mod.queries), 'query', 'queries')}, {plural(len(mod.benchmarks), 'benchmark')}{sections}\n"
    )
    return 0
