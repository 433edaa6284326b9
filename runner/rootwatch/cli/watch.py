"""``rootwatch watch``: run a selection on an interval and notify only what changed.

Each run opens the data source afresh (a snapshot path that another job refreshes is re-read), grades,
rewrites the exports, and compares with the state file, as ``benchmark run --state FILE
--notify-new-only`` does once. SIGTERM and Ctrl-C end it: between runs at once, during a run by
cancelling that run (the state file keeps the previous one). A run that cannot be made (endpoint
down, snapshot unreadable) is notified once, and its recovery once.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime, timedelta, timezone

from rootwatch.cli.notify_options import add_notify_options
from rootwatch.cli.parser import add_run_options

EPILOG = """\
examples:
  rootwatch watch root --snapshot build/example.duckdb --every 15m \\
      --state ~/.local/state/rootwatch/root.json --notify slack:env:SLACK_WEBHOOK_URL
  rootwatch watch control root_not_used_recently root_no_access_keys --database --every 5m \\
      --state /var/lib/rootwatch/oncall.json --notify-config /etc/rootwatch/rootwatch.yaml

Each notifier hears new alarms and new errors (and, at level verbose, resolved findings) compared
with what the state file says it was last told; the first run tells every current alarm.

exit codes: 0 stopped by SIGTERM or Ctrl-C (watch's normal end); with --count, the last run's code
(0, 1, 2, 3 when the data source could not be opened, 5 when a notifier failed); 3 bad usage,
configuration or state file before the first run.
"""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """``30s``, ``15m``, ``1h``, ``1d`` or a number of seconds."""
    from rootwatch.errors import UsageError

    match = _DURATION.match(text)
    seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else 0.0
    if seconds < 1:
        raise UsageError(f"--every {text!r} is not an interval of at least one second", hint="e.g. --every 15m, 30s, 1h")
    return seconds


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="run benchmarks or controls on an interval and notify what changed",
        description="Run benchmarks (or controls: 'watch control ID...') every --every, and notify new\n"
        "alarms and errors (resolved ones at level verbose) compared with --state.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names", nargs="+", metavar="NAME", help="benchmark ids, or 'control' followed by control ids ('benchmark' may lead too)"
    )
    parser.add_argument("--every", default="15m", metavar="INTERVAL", help="time from one run's start to the next (default: 15m)")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N runs (default: run until stopped)")
    add_run_options(parser, formats=formats)
    add_notify_options(parser)
    parser.set_defaults(handler=watch_command, output="none")


def _split(names: list[str]) -> tuple[str, list[str]]:
    from rootwatch.errors import UsageError

    kind = "benchmark"
    if names[0] in ("benchmark", "control"):
        kind, names = names[0], names[1:]
    if not names:
        raise UsageError(f"watch {kind}: name at least one {kind}")
    return kind, list(dict.fromkeys(names))


def watch_command(args: argparse.Namespace) -> int:
    from rootwatch import api
    from rootwatch.cli.common import check_outputs, load_mod, run_options
    from rootwatch.cli.notify_options import open_session
    from rootwatch.errors import UsageError

    every = parse_every(args.every)
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    if not args.state:
        raise UsageError("watch needs --state FILE", hint="the state file remembers what each notifier was already told")
    if args.as_of:
        raise UsageError("--as-of pins the clock; watch grades each run as of its own time", hint="drop --as-of")
    kind, names = _split(args.names)
    mod = load_mod(args)
    from rootwatch.mod.ids import benchmark_targets, control_targets

    targets = benchmark_targets(mod, names) if kind == "benchmark" else control_targets(mod, names)
    options = run_options(args, mod, progress=False)
    plan = api.plan_run(targets, options)  # resolved and selected once, graded every interval
    check_outputs(args, cis=kind == "benchmark")
    if args.dry_run:  # what each interval would grade; nothing runs and no state is touched
        from rootwatch.cli.common import data_source
        from rootwatch.cli.dry_run import print_plan

        return print_plan(plan, data_source(args, required=False), args)
    args.notify_new_only = True
    session = open_session(args, mod, f"{kind} run", names)
    assert session is not None  # --state is given

    def grade(engine):  # noqa: ANN001, ANN202
        return api.run_plan(engine, plan)

    with session:
        return _loop(args, session, grade, every)


def _loop(args: argparse.Namespace, session, grade, every: float) -> int:  # noqa: ANN001
    from rootwatch import api
    from rootwatch.cli.common import data_source, emit
    from rootwatch.cli.main import _is_interrupt
    from rootwatch.errors import ConnectionFailed, InputError
    from rootwatch.exitcodes import ExitCode

    runs = 0
    code = 0
    try:
        while True:
            began = time.monotonic()
            runs += 1
            try:
                with api.open_engine(data_source(args)) as engine:
                    result = grade(engine)
                    code = emit(result, args)
                    if session.after_run(result, engine):
                        code = max(code, int(ExitCode.NOTIFY_FAILED))
                _say(f"run {runs}: {_counts(result)}; exit {code}")
            except (ConnectionFailed, InputError) as exc:
                code = int(exc.exit_code)
                _say(f"run {runs} failed: {exc.message}")
                if session.run_failed(str(exc)):
                    code = max(code, int(ExitCode.NOTIFY_FAILED))
            if args.count is not None and runs >= args.count:
                return code
            pause = max(0.0, every - (time.monotonic() - began))
            _say(f"next run at {(datetime.now(timezone.utc) + timedelta(seconds=pause)).strftime('%Y-%m-%d %H:%M:%S UTC')}")
            time.sleep(pause)
    except KeyboardInterrupt:
        _say("stopped")
        return 0
    except Exception as exc:
        if _is_interrupt(exc):
            _say("stopped (the running run was cancelled)")
            return 0
        raise


def _counts(result) -> str:  # noqa: ANN001
    summary = result.summary
    return f"{summary.alarm} alarm, {summary.error} error, {summary.ok} ok, {summary.skip} skip"


def _say(text: str) -> None:
    stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
    sys.stderr.write(f"rootwatch watch {stamp}: {text}\n")
    sys.stderr.flush()
