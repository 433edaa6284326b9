"""``rootwatch diff OLD NEW``: compare two runs for CI gating.

OLD and NEW are both rootwatch JSON exports, or both DuckDB snapshots graded here the same way
(``--benchmark`` and the run options apply to both).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rootwatch.cli.parser import add_mod_location, add_variable_options

EPILOG = """\
exit codes:
  0  nothing fails the --fail-on policy
  1  something fails it (default: a new alarm or a new error), or a finding is no longer assessed
     (unless --allow-unassessed)
  3  bad input or usage: an unreadable file, a JSON file that is not a rootwatch export, a mix of
     JSON and snapshot, snapshots without --benchmark; the message names the file
  4  internal error

--fail-on policies:
{policies}

Results are matched by (control id, resource, dimensions). 'new alarm': alarm now and not before;
'new error': error now and not before; 'still failing': alarm (or error) in both; 'resolved':
alarm or error before, and ok/info now; 'no longer assessed': alarm or error before, and skip or
gone now (the evidence was lost, which resolves nothing).
"""

DUCKDB_MAGIC = b"DUCK"


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    from rootwatch.diff import FAIL_ON_POLICIES

    policies = "\n".join(f"  {name:<11} fail on {text}" for name, text in FAIL_ON_POLICIES.items())
    parser = subparsers.add_parser(
        "diff",
        help="compare two runs: new alarms, resolved, still failing, new errors",
        description="Compare two runs: two JSON exports (--export results.json), or two snapshots graded\n"
        "with the same --benchmark and options. Prints new alarms, new errors, what is still failing\n"
        "and what was resolved, and exits 1 when something new fails (see --fail-on).",
        epilog=EPILOG.format(policies=policies),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", metavar="OLD", help="the earlier run: a JSON export or a DuckDB snapshot")
    parser.add_argument("new", metavar="NEW", help="the later run, of the same kind as OLD")
    parser.add_argument(
        "--fail-on",
        default="new",
        choices=list(FAIL_ON_POLICIES),
        help="what makes the exit code 1 (default: new, i.e. a new alarm or a new error)",
    )
    parser.add_argument(
        "--allow-unassessed",
        action="store_true",
        help="do not fail on a finding that is no longer assessed (alarm or error before, skip or gone now)",
    )
    parser.add_argument("--output", default="text", choices=("text", "json"), help="what to print on stdout (default: text)")
    parser.add_argument("--export", metavar="FILE", action="append", default=[], help="also write the comparison as JSON to FILE")

    snapshots = parser.add_argument_group("grading two snapshots (OLD and NEW are .duckdb files)")
    snapshots.add_argument(
        "--benchmark", metavar="BENCHMARK", action="append", default=[], help="benchmark to run on both (repeatable)"
    )
    snapshots.add_argument("--tag", metavar="KEY=VALUE", action="append", default=[], help="run only controls with this tag")
    snapshots.add_argument("--where", metavar="EXPR", action="append", default=[], help="run only controls matching EXPR (as in benchmark run)")
    snapshots.add_argument("--max-parallel", metavar="N", type=int, default=10, help="controls run at once (default: 10; at most one per CPU core)")
    snapshots.add_argument("--query-timeout", metavar="SECONDS", type=float, default=300.0, help="statement timeout per control")
    add_mod_location(snapshots)  # type: ignore[arg-type]  # an argument group takes add_argument too
    add_variable_options(parser)
    parser.set_defaults(handler=diff_command)


def input_kind(path: Path) -> str:
    """``json`` or ``snapshot``, from the file's first bytes; raises InputError naming the file."""
    from rootwatch.errors import InputError, Problem

    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except FileNotFoundError:
        raise InputError(Problem(path, None, "no such file")) from None
    except OSError as exc:
        raise InputError(Problem(path, None, f"cannot read: {exc.strerror or exc}")) from None
    if head[8:12] == DUCKDB_MAGIC:
        return "snapshot"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    raise InputError(
        Problem(path, None, "neither a rootwatch JSON export nor a DuckDB snapshot"),
        hint="compare two files written with --export results.json, or two snapshots with --benchmark",
    )


def _graded(path: Path, args: argparse.Namespace):  # noqa: ANN202 - a ResultSet
    from rootwatch import api
    from rootwatch.cli.common import load_mod, run_options
    from rootwatch.diff import ResultSet
    from rootwatch.engines.base import DataSource

    mod = load_mod(args)
    for name in args.benchmark:
        mod.benchmark(name)
    options = run_options(args, mod, progress=False)
    with api.open_engine(DataSource(snapshot=path, query_timeout=args.query_timeout)) as engine:
        result = api.run_benchmarks(mod, engine, args.benchmark, options)
    return ResultSet.from_run(result, str(path))


def diff_command(args: argparse.Namespace) -> int:
    from rootwatch.atomic import write_atomic
    from rootwatch.cli.common import check_query_timeout, report_written
    from rootwatch.diff import ResultSet, diff_results, render_json, render_text, should_fail
    from rootwatch.errors import UsageError

    old_path, new_path = Path(args.old), Path(args.new)
    kinds = {input_kind(old_path), input_kind(new_path)}
    if len(kinds) != 1:
        raise UsageError(
            f"{args.old} and {args.new} are not of the same kind (one JSON export, one snapshot)",
            hint="compare two JSON exports, or two snapshots with --benchmark",
        )
    if kinds == {"snapshot"}:
        if not args.benchmark:
            raise UsageError("comparing two snapshots needs --benchmark NAME", hint="e.g. --benchmark cis_v700")
        check_query_timeout(args.query_timeout)
        old, new = _graded(old_path, args), _graded(new_path, args)
    else:
        run_flags = (
            ("--benchmark", args.benchmark), ("--tag", args.tag), ("--where", args.where),
            ("--var", args.var), ("--var-file", args.var_file), ("--as-of", args.as_of),
        )  # fmt: skip
        ignored = [flag for flag, value in run_flags if value]
        if ignored:
            verb = "apply" if len(ignored) > 1 else "applies"
            raise UsageError(f"{', '.join(ignored)} {verb} only to snapshots; JSON exports are compared as they are")
        old, new = ResultSet.from_json_file(old_path), ResultSet.from_json_file(new_path)
    comparison = diff_results(old, new)
    failing = should_fail(comparison, args.fail_on, allow_unassessed=args.allow_unassessed)
    for target in args.export:
        write_atomic(Path(target), render_json(comparison))
        report_written(Path(target), "json, the comparison")
    sys.stdout.write(render_json(comparison) if args.output == "json" else render_text(comparison))
    sys.stdout.flush()
    return 1 if failing else 0
