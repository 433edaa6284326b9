"""``rootwatch remediate``: plan the AWS calls that fix failing controls, apply them on approval,
re-read the accounts and say per finding what came of it.

Exit codes: see :mod:`rootwatch.remediate.verify` (plan: 0 nothing to do, 1 calls planned, 2 a
finding cannot be planned; apply: 0 all fixed, 1 still failing or awaiting confirmation, 2 a call
failed or a finding could not be planned or verified; 3 usage/input/connection, nothing changed;
130 interrupted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rootwatch.cli.parser import add_mod_location, add_source_options, add_variable_options
from rootwatch.exitcodes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable

    from rootwatch.mod.model import Mod
    from rootwatch.remediate import Plan, Remediation, RemediationRequest

EPILOG = (
    "exit codes: plan only: 0 nothing to do, 1 calls planned, 2 a finding cannot be planned; "
    "--apply: 0 every finding fixed, 1 still failing or awaiting confirmation, 2 a call failed or a finding "
    "could not be planned or verified; 3 usage/input/connection error (nothing changed); 130 interrupted. "
    "See docs/remediate.md."
)


def register(commands: argparse._SubParsersAction, formats: list[str]) -> None:
    from rootwatch.cli.aws_options import add_credential_options, add_endpoint_option, add_report_options
    from rootwatch.remediate.actions import ACTIONS, Settings

    defaults = Settings()
    listing = "; ".join(f"{action.control}: {action.summary}" for action in ACTIONS)
    parser = commands.add_parser(
        "remediate",
        help="plan (and with --apply make) the AWS calls that fix failing controls",
        description="Read the failing rows of remediable controls from a snapshot or a live endpoint, re-read those "
        "accounts from AWS, and print the AWS calls that would fix them, per account and region, with their exact "
        f"parameters. Nothing changes without --apply. Actions: {listing}.",
        epilog=EPILOG,
    )
    parser.add_argument("controls", nargs="*", metavar="CONTROL", help="controls to remediate (default: every control with an action)")
    add_mod_location(parser)
    add_source_options(parser)
    add_variable_options(parser)
    scope = parser.add_argument_group("scope")
    scope.add_argument("--account", metavar="ID", action="append", default=[], help="only this account's findings (repeatable)")
    scope.add_argument("--region", metavar="NAME", action="append", default=[], help="regions to re-read (repeatable; default: the findings' regions and --trail-region)")
    credentials = parser.add_argument_group("credentials (as for 'snapshot from-aws')")
    add_credential_options(credentials, role_help="role to assume in each account with a finding (the base credentials call Organizations and sts:AssumeRoot)")
    add_endpoint_option(credentials)
    add_report_options(credentials)
    resources = parser.add_argument_group("what a remediation creates")
    resources.add_argument("--notify-email", metavar="ADDRESS", help="subscribe this address to the root-usage topic (it must confirm from the e-mail)")
    resources.add_argument("--trail-bucket", metavar="BUCKET", help="create a multi-region trail to this S3 bucket where an account has no trail")
    resources.add_argument("--trail-name", metavar="NAME", default=defaults.trail_name, help=f"name of such a trail (default: {defaults.trail_name})")
    resources.add_argument("--trail-region", metavar="NAME", default=defaults.trail_region, help=f"its home region (default: {defaults.trail_region})")
    resources.add_argument("--create-log-group", action="store_true", help="send a trail without a CloudWatch Logs group to a new one (default: the plan stops there)")
    resources.add_argument("--log-group-name", metavar="NAME", default=defaults.log_group_name, help=f"that log group (default: {defaults.log_group_name})")
    resources.add_argument("--filter-name", metavar="NAME", default=defaults.filter_name, help=f"metric filter to create (default: {defaults.filter_name})")
    resources.add_argument("--metric-namespace", metavar="NAME", default=defaults.metric_namespace, help=f"its metric's namespace (default: {defaults.metric_namespace})")
    resources.add_argument("--alarm-name", metavar="NAME", default=defaults.alarm_name, help=f"alarm to create (default: {defaults.alarm_name})")
    resources.add_argument("--topic-name", metavar="NAME", default=defaults.topic_name, help=f"SNS topic to create (default: {defaults.topic_name})")
    applying = parser.add_argument_group("applying")
    applying.add_argument("--apply", action="store_true", help="make the planned calls (asks for confirmation on a terminal)")
    applying.add_argument("--yes", action="store_true", help="with --apply: do not ask")
    applying.add_argument("--log", metavar="FILE", help="append the JSON record of each call here (default: $XDG_STATE_HOME/rootwatch/remediate.jsonl)")
    applying.add_argument("--save-capture", metavar="FILE", help="with --apply: keep the re-read made after applying as a snapshot")
    applying.add_argument("--output", default="text", choices=("text", "json"), help="what to print on stdout (default: text)")
    parser.set_defaults(handler=remediate)


def remediate(args: argparse.Namespace) -> int:
    from rootwatch.cli.common import load_mod
    from rootwatch.remediate import Remediation

    _check_flags(args)
    mod = load_mod(args)
    with Remediation(mod, _request(args, mod)) as remediation:
        remediation.read_findings()
        for control, error in remediation.input_errors.items():
            sys.stderr.write(f"rootwatch: warning: {control} could not run on {remediation.source}, so its failing rows are unknown: {error}\n")
        # A control that could not run hides its findings: never "nothing to do" (exit 2 at least).
        floor = int(ExitCode.CONTROL_ERROR) if remediation.input_errors else 0
        if not remediation.findings:
            return max(floor, _nothing_failing(remediation, args))
        plan = remediation.plan()
        if args.output == "text":
            from rootwatch.remediate.render import plan_footer, plan_text

            sys.stdout.write(plan_text(plan, remediation.names) + plan_footer(plan, apply=args.apply))
            sys.stdout.flush()
        if not args.apply or not plan.calls:
            return max(floor, _plan_only(plan, args))
        return max(floor, _apply(remediation, plan, args))


def _check_flags(args: argparse.Namespace) -> None:
    from rootwatch.cli.common import check_export_paths
    from rootwatch.errors import UsageError
    from rootwatch.snapshot.from_aws import REGION_PATTERN

    if args.yes and not args.apply:
        raise UsageError("--yes confirms --apply; pass --apply too")
    if args.save_capture and not args.apply:
        raise UsageError("--save-capture keeps the re-read made after applying; pass --apply too")
    for option, value in [*(("--region", r) for r in args.region), ("--trail-region", args.trail_region)]:
        if not REGION_PATTERN.match(value):
            raise UsageError(f"{option} {value!r} is not an AWS region name", hint="regions are spelled like us-east-1 or eu-west-2")
    if args.save_capture:
        check_export_paths([Path(args.save_capture)])


def _request(args: argparse.Namespace, mod: Mod) -> RemediationRequest:
    from rootwatch import api
    from rootwatch.cli.aws_options import report_backoff
    from rootwatch.cli.common import data_source, parse_as_of
    from rootwatch.remediate import AccessOptions, RemediationRequest, Settings

    settings = Settings(
        notify_email=args.notify_email,
        trail_bucket=args.trail_bucket,
        trail_name=args.trail_name,
        trail_region=args.trail_region,
        create_log_group=args.create_log_group,
        log_group_name=args.log_group_name,
        filter_name=args.filter_name,
        metric_namespace=args.metric_namespace,
        alarm_name=args.alarm_name,
        topic_name=args.topic_name,
    )
    return RemediationRequest(
        source=data_source(args),
        controls=tuple(dict.fromkeys(args.controls)),
        accounts=tuple(dict.fromkeys(args.account)),
        variables=api.resolve_variables(mod, args.var, [Path(p) for p in args.var_file]),
        access=AccessOptions(tuple(args.profile), args.role_name, args.external_id, args.endpoint_url, report_backoff(args)),
        settings=settings,
        regions=tuple(dict.fromkeys(args.region)),
        as_of=parse_as_of(args.as_of),
    )


def _nothing_failing(remediation: Remediation, args: argparse.Namespace) -> int:
    from rootwatch.remediate import Plan
    from rootwatch.remediate.render import document

    scope = f" of account {', '.join(remediation.request.accounts)}" if remediation.request.accounts else ""
    if args.output == "json":
        sys.stdout.write(document(Plan((), remediation.controls, remediation.source, None)))
    else:
        errors = len(remediation.input_errors)
        verdict = f"; {errors} control(s) could not run (see the warnings)" if errors else ": nothing to remediate"
        sys.stdout.write(f"No failing row of {', '.join(remediation.controls)}{scope} in {remediation.source}{verdict}.\n")
    return 0


def _plan_only(plan: Plan, args: argparse.Namespace) -> int:
    from rootwatch.remediate.render import document
    from rootwatch.remediate.verify import plan_exit_code

    if args.output == "json":
        sys.stdout.write(document(plan))
    return int(plan_exit_code(plan))


def _apply(remediation: Remediation, plan: Plan, args: argparse.Namespace) -> int:
    from rootwatch import __version__
    from rootwatch.remediate.executor import Applied
    from rootwatch.remediate.journal import Journal, default_log_path
    from rootwatch.remediate.render import document, plan_text, result_text
    from rootwatch.remediate.verify import apply_exit_code, judge

    journal = Journal.open(Path(args.log) if args.log else default_log_path())
    try:
        if not _confirmed(plan, args, lambda: plan_text(plan, remediation.names)):
            sys.stderr.write("rootwatch: apply cancelled; nothing was changed\n")
            return 1
        journal.write({"record": "run", "tool_version": __version__, "source": plan.source, "controls": list(plan.controls),
                       "calls": len(plan.calls), "accounts": sorted({c.account_id for c in plan.calls})})  # fmt: skip
        applied = remediation.apply(plan, journal, progress=lambda line: sys.stderr.write(f"rootwatch: {line}\n"))
        try:
            reports = remediation.verify(plan, applied, Path(args.save_capture) if args.save_capture else None)
        except KeyboardInterrupt:  # during the re-read: what was applied is still reported
            applied = Applied(applied.outcomes, interrupted=True)
            reports = judge(plan, applied, None)
        journal.write({"record": "end", "interrupted": applied.interrupted,
                       "results": [{"control": r.control, "account_id": r.account_id, "verdict": r.verdict} for r in reports]})  # fmt: skip
    finally:
        journal.close()
    log = {"path": str(journal.path), "run": journal.run_id}
    if args.output == "json":
        sys.stdout.write(document(plan, applied, reports, log))
    else:
        sys.stdout.write("\n" + result_text(plan, applied, reports, log))
    if applied.interrupted:
        sys.stderr.write("rootwatch: interrupted; the calls made until then are listed above and in the log\n")
    return int(apply_exit_code(reports, applied))


def _confirmed(plan: Plan, args: argparse.Namespace, plan_text: Callable[[], str]) -> bool:
    """``--yes``, or "yes" typed on the terminal; without a terminal and ``--yes``, a usage error."""
    from rootwatch.errors import UsageError

    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("--apply asks for confirmation on a terminal and there is none", hint="pass --yes to apply without asking")
    if args.output == "json":  # stdout is for the document: show people the plan on stderr
        sys.stderr.write(plan_text())
    accounts = len({call.account_id for call in plan.calls})
    sys.stderr.write(f"\nMake these {len(plan.calls)} AWS call(s) in {accounts} account(s)? Only 'yes' is accepted: ")
    sys.stderr.flush()
    return sys.stdin.readline().strip() == "yes"
