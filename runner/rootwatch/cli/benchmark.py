"""``rootwatch benchmark run|list``."""

from __future__ import annotations

import argparse

from rootwatch.cli.listing import add_list_output, print_table
from rootwatch.cli.notify_options import NOTIFY_EPILOG, add_notify_options
from rootwatch.cli.parser import RUN_EXIT_CODES, add_mod_location, add_run_options


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser("benchmark", help="run or list benchmarks", description="Run or list benchmarks.")
    commands = parser.add_subparsers(dest="benchmark_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run one or more benchmarks",
        description="Run benchmarks (top-level, or nested such as a CIS section) and grade every control. "
        "Ids are accepted short or qualified as the exports print them (cis_v700, rootwatch.benchmark.cis_v700); "
        "'all' runs every benchmark.",
        epilog=RUN_EXIT_CODES + "\n\n" + NOTIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "benchmarks", nargs="+", metavar="BENCHMARK", help="benchmark id, e.g. cis_v700, root, cis_v700_2 or rootwatch.benchmark.cis_v700; all"
    )
    add_run_options(run, formats=formats)
    add_notify_options(run)
    run.set_defaults(handler=run_benchmarks)

    listing = commands.add_parser("list", help="list benchmarks", description="List the mod's benchmarks.")
    add_mod_location(listing)
    add_list_output(listing)
    listing.add_argument("--all", action="store_true", help="include nested benchmarks (CIS sections)")
    listing.set_defaults(handler=list_benchmarks)


def run_benchmarks(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod, run_command
    from rootwatch.mod.ids import benchmark_targets

    mod = load_mod(args)
    # Unknown names fail before connecting; a name given twice runs once.
    return run_command(args, mod, benchmark_targets(mod, args.benchmarks), command="benchmark run")


def list_benchmarks(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod

    mod = load_mod(args)
    benchmarks = mod.all_benchmarks().values() if args.all else mod.benchmarks.values()
    rows = []
    for bench in benchmarks:
        # Counted as a run of it counts them (see rootwatch.wording.controls_phrase).
        nodes = list(bench.control_nodes())
        assessed = sum(1 for n in nodes if n.control is not None)
        rows.append((bench.id, bench.title, len(nodes), assessed, len(nodes) - assessed))
    print_table(("benchmark", "title", "controls", "assessed", "not assessed"), rows, args.output)
    return 0
