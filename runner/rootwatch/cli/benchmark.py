"""``rootwatch benchmark run|list``."""

from __future__ import annotations

import argparse

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.notify_options import NOTIFY_EPILOG, add_notify_options
from rootwatch.cli.parser import add_mod_location, add_run_options


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("benchmark", help="run or list benchmarks", description="Run or list benchmarks.")
    commands = parser.add_subparsers(dest="benchmark_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one or more benchmarks",
        description="Run benchmarks (top-level, or nested such as a CIS section) and grade every control.",
        epilog="exit codes: 0 nothing in alarm or error, 1 alarms only, 2 any control error, 3 usage/config/connection, "
        "5 a notifier failed\n\n" + NOTIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("benchmarks", nargs="+", metavar="BENCHMARK", help="benchmark id, e.g. cis_v700 or root")
    add_run_options(run, formats=formats)
    add_notify_options(run)
    run.set_defaults(handler=run_benchmarks)

    listing = commands.add_parser("list", help="list benchmarks", description="List the mod's benchmarks.")
    add_mod_location(listing)
    add_list_output(listing)
    listing.add_argument("--all", action="store_true", help="include nested benchmarks (CIS sections)")
    listing.set_defaults(handler=list_benchmarks)


def run_benchmarks(args: argparse.Namespace) -> int:
    from rootwatch import api
    from rootwatch.cli.common import check_outputs, load_mod, require_selection, run_options, want_progress
    from rootwatch.cli.notify_options import run_notified

    mod = load_mod(args)
    args.benchmarks = list(dict.fromkeys(args.benchmarks))  # a name given twice runs once
    targets = [mod.benchmark(name) for name in args.benchmarks]  # unknown names fail before connecting
    options = run_options(args, mod, progress=want_progress(args))
    require_selection(targets, options, args)
    check_outputs(args)
    return run_notified(args, mod, "benchmark run", args.benchmarks, lambda engine: api.run_benchmarks(mod, engine, args.benchmarks, options))


def list_benchmarks(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod

    mod = load_mod(args)
    benchmarks = mod.all_benchmarks().values() if args.all else mod.benchmarks.values()
    rows = []
    for bench in benchmarks:
        nodes = list(bench.control_nodes())
        assessed = sum(1 for n in nodes if n.control is not None)
        rows.append((bench.id, bench.title, len(nodes), assessed))
    print_table(("benchmark", "title", "controls", "assessed"), rows, args.output)
    return 0
