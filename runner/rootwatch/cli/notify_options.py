"""``--notify`` and friends on ``benchmark run``, ``control run`` and ``query run``.

Commands add the options with :func:`add_notify_options` and run through :func:`run_notified` (or
:func:`query_notified`), which behaves exactly like a plain run when no notify option is given:
notifier code is imported only when a run notifies.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rootwatch.api import QueryRun
    from rootwatch.engines.base import DataSource, Engine
    from rootwatch.mod.model import Mod
    from rootwatch.notify.session import NotifySession
    from rootwatch.results import RunResult

LEVELS = ("error", "info", "verbose")
NOTIFY_EPILOG = (
    "notifications: --notify TARGET sends the results (alarms and errors at the default level info) by\n"
    "email, Slack, Teams, a JSON webhook, SNS or any Apprise URL, after the exports are written;\n"
    "exit code 5 when a notifier could not deliver (it wins over 0, 1 and 2). See docs/alerts.md."
)


def add_notify_options(parser: argparse.ArgumentParser, *, state: bool = True) -> None:
    """The notification options (``state``: also --state and --notify-new-only)."""
    group = parser.add_argument_group("notifications (docs/alerts.md)")
    group.add_argument(
        "--notify",
        metavar="TARGET",
        action="append",
        default=[],
        help="notify TARGET (repeatable): a notifier named in rootwatch.yaml, or KIND:VALUE such as "
        "slack:env:SLACK_WEBHOOK_URL, teams:file:/run/secrets/teams, webhook:https://..., "
        "sns:arn:aws:sns:REGION:ACCOUNT:TOPIC, apprise:env:APPRISE_URL, or an "
        "smtps://USER@HOST?to=A,B&from=F URL (password from $ROOTWATCH_SMTP_PASSWORD)",
    )
    group.add_argument(
        "--notify-level",
        choices=LEVELS,
        default="info",
        help="for --notify KIND:VALUE targets: error (only what could not run), info (alarms and "
        "errors; default) or verbose (every result); configured notifiers carry their own level",
    )
    group.add_argument(
        "--notify-config",
        metavar="FILE",
        help="YAML file with a notifiers: section (default: rootwatch.yaml beside the mod, else "
        "~/.config/rootwatch/rootwatch.yaml); given without --notify, every notifier in it is used",
    )
    group.add_argument(
        "--notify-dry-run",
        action="store_true",
        help="print on stderr what each notifier would be sent, send nothing and leave --state as it is",
    )
    if state:
        group.add_argument(
            "--state",
            metavar="FILE",
            help="remember per notifier what it was told (JSON, written atomically), so a failed run "
            "is reported once and its recovery once; see --notify-new-only",
        )
        group.add_argument(
            "--notify-new-only",
            action="store_true",
            help="with --state: send only alarms and errors that are new since the previous run "
            "(and, at verbose, resolved ones), compared as 'rootwatch diff' does",
        )


def wants_notify(args: argparse.Namespace) -> bool:
    return bool(args.notify or args.notify_config or getattr(args, "state", None) or getattr(args, "notify_new_only", False))


def selection_of(args: argparse.Namespace, command: str, targets: list[str]) -> dict[str, Any]:
    """What a state file belongs to: the command, its targets and filters."""
    return {"command": command, "targets": sorted(targets), "tags": sorted(getattr(args, "tag", [])), "where": sorted(getattr(args, "where", []))}


def open_session(args: argparse.Namespace, mod: Mod, command: str, targets: list[str]) -> NotifySession | None:
    """The session the options ask for (validated before anything runs), or None when not notifying."""
    if not wants_notify(args):
        return None
    from rootwatch.errors import UsageError
    from rootwatch.notify.config import NotifyConfig, resolve_routes
    from rootwatch.notify.message import Level
    from rootwatch.notify.session import NotifySession

    state = getattr(args, "state", None)
    if getattr(args, "notify_new_only", False) and not state:
        raise UsageError("--notify-new-only needs --state FILE", hint="the state file remembers what was already notified")
    explicit = Path(args.notify_config) if args.notify_config else None
    config = NotifyConfig.load(explicit, mod.location)
    routes = resolve_routes(args.notify, Level.parse(args.notify_level, "--notify-level"), config, explicit_config=explicit is not None)
    if not routes:
        raise UsageError("--state needs notifiers: --notify TARGET or --notify-config FILE")
    return NotifySession(
        routes=routes,
        command=" ".join([command, *targets]),
        selection=selection_of(args, command, targets),
        state_path=Path(state) if state else None,
        new_only=bool(getattr(args, "notify_new_only", False)),
        dry=args.notify_dry_run,
    )


def run_notified(
    args: argparse.Namespace, mod: Mod, command: str, targets: list[str], source: DataSource, run: Callable[[Engine], RunResult]
) -> int:
    """Open ``source``, run, write exports and output, then notify; returns the exit code."""
    from rootwatch import api
    from rootwatch.cli.common import emit

    session = open_session(args, mod, command, targets)
    if session is None:
        with api.open_engine(source) as engine:
            result = run(engine)
        return emit(result, args)
    with session, contextlib.ExitStack() as stack:
        with _failures_notified(session):
            engine = stack.enter_context(api.open_engine(source))
        result = run(engine)
        code = emit(result, args)  # exports first: a failing notifier never costs the results
        failed = session.after_run(result, engine)
    return _with_notify_failure(code, failed)


def query_notified(args: argparse.Namespace, mod: Mod, run: Callable[[Engine], QueryRun], emit: Callable[[QueryRun], int]) -> int:
    """``query run`` with notifications: the rows are the items."""
    from rootwatch import api
    from rootwatch.cli.common import data_source

    session = open_session(args, mod, "query run", [args.query])
    with api.open_engine(data_source(args)) as engine:
        if session is None:
            return emit(run(engine))
        with session:
            try:
                rows = run(engine)
            except api.QueryError as exc:
                session.run_failed(exc.message)
                raise
            code = emit(rows)
            from rootwatch.accounts import account_names
            from rootwatch.notify.query_message import query_digest

            digest = query_digest(rows, account_names(engine, rows.as_of))
            failed = session.send_digest(digest)
    return _with_notify_failure(code, failed)


def _with_notify_failure(code: int, failed: bool) -> int:
    from rootwatch.exitcodes import ExitCode

    return max(code, int(ExitCode.NOTIFY_FAILED)) if failed else code


@contextlib.contextmanager
def _failures_notified(session: NotifySession) -> Iterator[None]:
    """Report a data source that cannot be opened (endpoint down, snapshot unreadable) to the
    notifiers, then let the error reach the command line as usual."""
    from rootwatch.errors import ConnectionFailed, InputError

    try:
        yield
    except (ConnectionFailed, InputError) as exc:
        session.run_failed(str(exc))
        raise
