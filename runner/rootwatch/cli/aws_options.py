"""Options that say how AWS is reached, shared by ``snapshot from-aws`` and ``remediate``.

Both commands act with the same credentials (a remediation re-reads accounts exactly as
``snapshot from-aws`` does), so the options are defined once, here.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_credential_options(group: argparse._ArgumentGroup, *, role_help: str) -> None:
    """``--profile``, ``--role-name`` and ``--external-id``."""
    group.add_argument(
        "--profile",
        metavar="NAME",
        action="append",
        default=[],
        help="AWS profile, one account each (repeatable); with --role-name: the credentials that assume it",
    )
    group.add_argument("--role-name", metavar="NAME", help=role_help)
    group.add_argument("--external-id", metavar="ID", help="ExternalId for AssumeRole")


def add_endpoint_option(group: argparse._ArgumentGroup) -> None:
    """``--endpoint-url``: one endpoint for every AWS service (a test server)."""
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="one http(s) endpoint for every AWS service (a test server; default: AWS, or $AWS_ENDPOINT_URL)",
    )


def add_report_options(group: argparse._ArgumentGroup) -> None:
    """``--report-timeout`` and ``--report-poll``: waiting for the IAM credential report."""
    group.add_argument("--report-timeout", metavar="SECONDS", type=float, default=300.0, help="longest wait for the credential report (default: 300)")
    group.add_argument("--report-poll", metavar="SECONDS", type=float, default=2.0, help="first wait between credential report polls; doubles up to 30 s (default: 2)")


def report_backoff(args: argparse.Namespace) -> Any:
    """The :class:`~rootwatch.snapshot.from_aws_report.Backoff` the report options describe."""
    from rootwatch.errors import UsageError
    from rootwatch.snapshot.from_aws_report import Backoff

    if args.report_poll <= 0 or args.report_timeout <= 0:
        raise UsageError("--report-poll and --report-timeout must be positive numbers of seconds")
    return Backoff(initial_delay=args.report_poll, max_delay=max(30.0, args.report_poll), timeout=args.report_timeout)
