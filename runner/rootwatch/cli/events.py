"""``rootwatch events``: root activity as it happens, from stdin, files, folders or an SQS queue."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootwatch.cli.notify_options import add_notify_options
from rootwatch.cli.parser import add_mod_location

if TYPE_CHECKING:
    from rootwatch.events.processor import BatchReport

EPILOG = """\
examples:
  rootwatch events < events.jsonl                                   # EventBridge events or CloudTrail records
  rootwatch events AWSLogs/ --snapshot org.duckdb                   # CloudTrail log files in the S3 layout
  rootwatch events --sqs https://sqs.eu-west-1.amazonaws.com/555555555555/rootwatch-root-activity \\
      --dead-letter-queue https://sqs.eu-west-1.amazonaws.com/555555555555/rootwatch-root-activity-dlq \\
      --state /var/lib/rootwatch/events.json --notify oncall --notify-config /etc/rootwatch/rootwatch.yaml

What alerts is what 'rootwatch query run root_activity' lists (the same query runs on each batch;
--var root_activity_exclude_assumed_root=true and the other root_activity_* variables apply to
both). Alerts are printed on stdout (--output) and sent to the notifiers at level info; events that
cannot be read at level error; repeats of a burst already alerted on at verbose. docs/events.md.

exit codes:
  stdin, files, --sqs --once: 0 nothing alerted; 1 root activity alerted (and delivered);
    3 an input could not be read (each named on stderr; the others were handled) or bad usage,
    configuration or state file; 5 a notifier failed (those events stay on the queue);
    130 interrupted (the batch in hand was finished first)
  --sqs (until stopped): 0 stopped by SIGTERM or Ctrl-C after finishing the batch in hand;
    3 the queue cannot be read at start
"""


def register(subparsers: argparse._SubParsersAction, formats: list[str]) -> None:  # noqa: ARG001
    parser = subparsers.add_parser(
        "events",
        help="alert on root activity as it happens (stdin, files, an SQS queue)",
        description="Read root activity (EventBridge events, CloudTrail records or log files) from stdin,\n"
        "files or folders, or an SQS queue, and alert on what the root_activity query lists: with a\n"
        "severity, bursts de-duplicated, a readable message sent through the notifiers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="files (.json, .jsonl, .gz) or folders (AWSLogs/ layout); - or nothing: stdin")
    add_mod_location(parser)
    parser.add_argument("--var", metavar="NAME=VALUE", action="append", default=[], help="set a variable, e.g. root_activity_exclude_assumed_root=true")
    parser.add_argument("--var-file", metavar="FILE", action="append", default=[], help="YAML/JSON mapping or 'name = value' lines of variables")
    parser.add_argument("--snapshot", metavar="PATH", help="a snapshot to take account names from (Organizations names, else aliases)")
    parser.add_argument("--state", dest="events_state", metavar="FILE",
                        help="keep the de-duplication state here across restarts (JSON, locked, written atomically)")  # fmt: skip
    parser.add_argument("--dedup-window", metavar="DURATION", help="one alert per account, source IP and event name within this time "
                        "(default: events.dedup_window of rootwatch.yaml, else 15m; 0: off)")  # fmt: skip
    parser.add_argument("--dead-letter-dir", metavar="DIR", help="write input that cannot be read here, one JSON file each")
    parser.add_argument("--output", choices=("text", "json", "none"), default="text", help="alerts on stdout: text (default), json (one object per line) or none")
    sqs = parser.add_argument_group("SQS queue")
    sqs.add_argument("--sqs", metavar="QUEUE_URL", help="read this queue (long polling) instead of stdin or files")
    sqs.add_argument("--dead-letter-queue", metavar="QUEUE_URL", help="send messages that cannot be parsed here, then delete them")
    sqs.add_argument("--once", action="store_true", help="stop when a receive comes back empty (default: run until SIGTERM or Ctrl-C)")
    sqs.add_argument("--wait-time", type=int, default=20, metavar="SECONDS", help="long-poll wait, 0 to 20 (default: 20)")
    sqs.add_argument("--visibility-timeout", type=int, default=300, metavar="SECONDS",
                     help="how long received messages stay hidden; longer than a batch with notifier retries (default: 300)")  # fmt: skip
    sqs.add_argument("--max-messages", type=int, default=10, metavar="N", help="messages per receive, 1 to 10 (default: 10)")
    sqs.add_argument("--region", help="the queue's region (default: from the queue URL, else the AWS configuration)")
    sqs.add_argument("--profile", help="AWS profile for SQS")
    sqs.add_argument("--endpoint-url", metavar="URL", help="SQS endpoint (a VPC endpoint, a local test server)")
    add_notify_options(parser, state=False)
    parser.set_defaults(handler=events_command)


def _check(args: argparse.Namespace) -> None:
    from rootwatch.errors import UsageError

    if args.sqs:
        if args.inputs:
            raise UsageError("--sqs and INPUT files are exclusive", hint="read either a queue or files")
        if not 0 <= args.wait_time <= 20:
            raise UsageError("--wait-time must be 0 to 20 seconds (SQS's long-poll limit)")
        if not 1 <= args.max_messages <= 10:
            raise UsageError("--max-messages must be 1 to 10 (SQS's limit)")
        if not 0 <= args.visibility_timeout <= 43200:
            raise UsageError("--visibility-timeout must be 0 to 43200 seconds")
    else:
        given = [o for o, v in (("--dead-letter-queue", args.dead_letter_queue), ("--once", args.once)) if v]
        if given:
            raise UsageError(f"{given[0]} applies to --sqs only")
        for name in args.inputs:
            if name != "-" and not Path(name).exists():
                raise UsageError(f"input {name}: no such file or folder")
    if args.dead_letter_dir and not Path(args.dead_letter_dir).is_dir():
        raise UsageError(f"--dead-letter-dir {args.dead_letter_dir}: no such folder", hint="create it first")
    if args.snapshot and not Path(args.snapshot).is_file():
        raise UsageError(f"--snapshot {args.snapshot}: no such file")


def events_command(args: argparse.Namespace) -> int:
    from rootwatch import api
    from rootwatch.cli.common import load_mod
    from rootwatch.cli.notify_options import open_session
    from rootwatch.events import build_processor
    from rootwatch.events.config import EventsConfig, find_config, parse_duration

    _check(args)
    mod = load_mod(args)
    variables = api.resolve_variables(mod, args.var, [Path(p) for p in args.var_file])
    config = EventsConfig.load(find_config(Path(args.notify_config) if args.notify_config else None, mod.location))
    if args.dedup_window is not None:
        from dataclasses import replace

        config = replace(config, dedup_window=parse_duration(args.dedup_window, "--dedup-window"))
    session = open_session(args, mod, "events", [args.sqs or "input"])
    with _state(args) as (state, save):
        send = session.send_digest if session is not None else None
        processor = build_processor(mod, variables, config, snapshot=Path(args.snapshot) if args.snapshot else None,
                                    state=state, send=send, save=save)  # fmt: skip
        if session is None:
            return _consume(args, processor)
        with session:
            return _consume(args, processor)


class _state:  # noqa: N801 - used as a context manager, like a function
    """The ``--state`` file, locked for the command's life: (state, save) or (None, None)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.path = Path(args.events_state) if args.events_state else None
        self.dry = args.notify_dry_run
        self.file: Any = None

    def __enter__(self) -> tuple[Any, Any]:
        if self.path is None:
            return None, None
        from rootwatch.events.state import EventStateFile

        self.file = EventStateFile(self.path)
        state = self.file.open({})
        # A dry run sends nothing, so it must not record anything as alerted either.
        return state, (None if self.dry else self.file.save_dedup)

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def _consume(args: argparse.Namespace, processor: Any) -> int:
    from rootwatch.events.local import DeadLetterDir, consume_paths, consume_stream
    from rootwatch.events.stopping import Stopper
    from rootwatch.exitcodes import ExitCode

    show = _printer(args.output)
    dead = DeadLetterDir(Path(args.dead_letter_dir) if args.dead_letter_dir else None)
    with Stopper() as stopper:
        if args.sqs:
            total = _consume_queue(args, processor, stopper, show)
            if not args.once:
                _say(f"stopped: {total.describe()}")
                return int(ExitCode.OK)
        elif not args.inputs or args.inputs == ["-"]:
            total = consume_stream(sys.stdin, processor, dead, stopper, sys.stderr, show)
        else:
            paths = [Path(p) for p in args.inputs if p != "-"]
            total = consume_paths(paths, processor, dead, sys.stderr, show)
    _say(total.describe())
    if stopper.requested:
        raise KeyboardInterrupt  # the batch in hand was finished; the rest of the input was not read
    code = ExitCode.ALARM if total.alerts else ExitCode.OK
    if total.unreadable:
        code = ExitCode.USAGE
    if not total.delivered:
        code = ExitCode.NOTIFY_FAILED
    return int(code)


def _consume_queue(args: argparse.Namespace, processor: Any, stopper: Any, show: Any) -> BatchReport:
    from rootwatch.events.sqs import SqsOptions, SqsQueue, consume

    options = SqsOptions(args.sqs, args.dead_letter_queue, args.region, args.profile, args.endpoint_url,
                         args.wait_time, args.max_messages, args.visibility_timeout)  # fmt: skip
    queue = SqsQueue(options)
    queue.check()
    _say(f"reading {args.sqs}" + ("" if args.once else " until SIGTERM or Ctrl-C"))
    return consume(queue, processor, stopper, once=args.once, on_batch=show)


def _printer(output: str) -> Any:
    def show(report: BatchReport) -> None:
        if output == "none":
            return
        for item in report.items:
            if item.kind != "alarm":
                continue
            if output == "json":
                sys.stdout.write(json.dumps(dict(item.record), ensure_ascii=False, default=str) + "\n")
            else:
                sys.stdout.write(item.line + "\n\n")
        sys.stdout.flush()

    return show


def _say(text: str) -> None:
    sys.stderr.write(f"rootwatch events: {text}\n")
    sys.stderr.flush()
