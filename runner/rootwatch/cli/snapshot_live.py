"""``rootwatch snapshot from-steampipe | from-aws | merge``: build snapshots from live sources.

Each command is a thin layer over a library function returning a
:class:`~rootwatch.snapshot.writer.BuildSummary`. What was written (one line, as every command
says it), recorded problems and the progress bar go to stderr; stdout stays empty.

Exit codes: 0 the snapshot was written and this capture recorded no ``error`` issue; 2 it was
written, but an account, region or table failed and is recorded in it (``snapshot info`` lists
them); 3 nothing was written (bad option, unreadable input, no connection).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rootwatch.exitcodes import ExitCode

if TYPE_CHECKING:
    from rootwatch.cli.progress import ProgressBar
    from rootwatch.snapshot.writer import BuildSummary

ISSUES_SHOWN = 20
"""Recorded errors echoed on stderr; the rest are in the snapshot."""


def register(commands: argparse._SubParsersAction) -> None:
    _register_from_steampipe(commands)
    _register_merge(commands)
    _register_from_aws(commands)


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", dest="out", metavar="FILE", required=True, help="snapshot file to write")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: on when stderr is a terminal)",
    )


def _progress(args: argparse.Namespace) -> ProgressBar | None:
    from rootwatch.cli.common import want_progress
    from rootwatch.cli.progress import ProgressBar

    return ProgressBar(sys.stderr) if want_progress(args) else None


def _register_from_steampipe(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "from-steampipe",
        help="copy the mod's tables from a live Steampipe endpoint",
        description="Copy every table the mod reads from a live Steampipe (or Postgres) endpoint into a "
        "snapshot, streaming rows. A table the endpoint lacks or whose query fails is recorded in the "
        "snapshot; a missing column is an error unless --allow-missing-columns.",
    )
    parser.add_argument(
        "--database",
        metavar="DSN",
        nargs="?",
        const="",
        help="endpoint (default: $ROOTWATCH_DATABASE or postgres://steampipe@127.0.0.1:9193/steampipe)",
    )
    parser.add_argument(
        "--connection",
        metavar="NAME",
        action="append",
        default=[],
        help="Steampipe connection (schema) or aggregator to copy; repeatable (default: the search path's tables)",
    )
    parser.add_argument(
        "--allow-missing-columns",
        action="store_true",
        help="copy a column the endpoint lacks as NULL and record it, instead of failing",
    )
    parser.add_argument(
        "--events-days",
        metavar="N",
        type=int,
        help="also copy the CloudTrail event tables for the last N days (skipped by default)",
    )
    _add_output(parser)
    parser.set_defaults(handler=from_steampipe)


def from_steampipe(args: argparse.Namespace) -> int:
    from rootwatch.engines.dsn import default_dsn
    from rootwatch.errors import UsageError
    from rootwatch.snapshot.from_steampipe import SteampipeCopyOptions, copy_from_steampipe

    if args.events_days is not None and args.events_days < 1:
        raise UsageError("--events-days must be at least 1")
    summary = copy_from_steampipe(
        SteampipeCopyOptions(
            dsn=args.database or default_dsn(),
            output=Path(args.out),
            connections=tuple(args.connection),
            allow_missing_columns=args.allow_missing_columns,
            events_days=args.events_days,
            overwrite=args.force,
            progress=_progress(args),
        )
    )
    return _report(summary, capture=True)


def _register_merge(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "merge",
        help="merge snapshots (e.g. one per account) into one",
        description="Merge snapshots into one. An account found in two inputs is an error unless --prefer "
        "says which copy wins. The merged capture time (the default as-of) is the latest input's; every "
        "account keeps its own capture time, source and issues.",
    )
    parser.add_argument("inputs", metavar="SNAPSHOT", nargs="+", help="input snapshot files")
    parser.add_argument(
        "--prefer",
        metavar="newest|first|last|FILE",
        help="which copy of a duplicate account wins: the one captured last, the first or last input "
        "holding it, or the copy in FILE (one of the inputs)",
    )
    _add_output(parser)
    parser.set_defaults(handler=merge)


def merge(args: argparse.Namespace) -> int:
    from rootwatch.snapshot.merge import MergeOptions, merge_snapshots

    summary = merge_snapshots(
        MergeOptions(
            inputs=tuple(Path(p) for p in args.inputs),
            output=Path(args.out),
            prefer=args.prefer,
            overwrite=args.force,
            progress=_progress(args),
        )
    )
    return _report(summary, capture=False)


def _register_from_aws(commands: argparse._SubParsersAction) -> None:
    from rootwatch.cli.aws_options import add_credential_options, add_endpoint_option, add_report_options

    parser = commands.add_parser(
        "from-aws",
        help="read the AWS APIs (boto3) into a snapshot",
        description="Read the IAM credential report, account summary, virtual MFA devices, CloudTrail trails, "
        "CloudWatch Logs metric filters, CloudWatch alarms, SNS subscriptions and Organizations data of one or "
        "more accounts, in every enabled region, into a snapshot. An account or API call that fails is recorded "
        "in the snapshot and the rest goes on; when no account at all can be read, nothing is written (exit 3). "
        "Needs boto3 (the 'aws' extra).",
    )
    accounts = parser.add_argument_group("accounts")
    add_credential_options(accounts, role_help="role to assume in each account (with --account-id or --organization)")
    accounts.add_argument("--account-id", metavar="ID", action="append", default=[], help="account to read through --role-name (repeatable)")
    accounts.add_argument("--organization", action="store_true", help="read every active account the management account lists, through --role-name")
    reading = parser.add_argument_group("reading")
    reading.add_argument("--region", metavar="NAME", action="append", default=[], help="region to read, e.g. us-east-1 (repeatable; default: every enabled region of each account)")
    add_endpoint_option(reading)
    reading.add_argument("--max-parallel", metavar="N", type=int, default=8, help="worker threads reading at once, across accounts and regions (default: 8)")
    add_report_options(reading)
    _add_output(parser)
    parser.set_defaults(handler=from_aws)


def from_aws(args: argparse.Namespace) -> int:
    from rootwatch.cli.aws_options import report_backoff
    from rootwatch.snapshot.from_aws import AwsCaptureOptions, capture_from_aws

    backoff = report_backoff(args)
    summary = capture_from_aws(
        AwsCaptureOptions(
            output=Path(args.out),
            profiles=tuple(args.profile),
            role_name=args.role_name,
            account_ids=tuple(args.account_id),
            organization=args.organization,
            regions=tuple(args.region),
            endpoint_url=args.endpoint_url,
            external_id=args.external_id,
            max_parallel=args.max_parallel,
            backoff=backoff,
            overwrite=args.force,
            progress=_progress(args),
        )
    )
    return _report(summary, capture=True)


def _report(summary: BuildSummary, *, capture: bool) -> int:
    """What was written and the recorded errors, on stderr; the exit code (see the module docstring)."""
    from rootwatch.cli.common import report_snapshot
    from rootwatch.wording import plural

    report_snapshot(summary.output, len(summary.accounts), summary.total_rows, summary.captured_at, plural(len(summary.issues), "issue"))
    errors = summary.errors
    for issue in errors[:ISSUES_SHOWN]:
        where = " ".join(part for part in (issue.account_id, issue.region, issue.source) if part)
        sys.stderr.write(f"rootwatch: warning: {where}: {issue.message}\n")
    if len(errors) > ISSUES_SHOWN:
        sys.stderr.write(f"rootwatch: warning: {len(errors) - ISSUES_SHOWN} more errors: see 'rootwatch snapshot info {summary.output}'\n")
    if capture and errors:
        return int(ExitCode.CONTROL_ERROR)
    return int(ExitCode.OK)
