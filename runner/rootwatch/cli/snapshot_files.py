"""``rootwatch snapshot from-files``: build a snapshot from AWS CLI outputs and CloudTrail log files."""

from __future__ import annotations

import argparse
import sys


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "from-files",
        help="build a snapshot from AWS CLI outputs and CloudTrail log files",
        description="Build a snapshot from the files AWS produces: a folder with one sub-folder per account "
        "(and per region) holding AWS CLI JSON outputs named after the command, plus CloudTrail log files "
        "in the S3 layout (docs/snapshot-files.md); or a single credential report with --credential-report.",
        epilog="exit codes: 0 written, 3 bad input or usage (nothing is written)",
    )
    parser.add_argument("directory", metavar="DIR", nargs="?", help="folder in the from-files layout")
    parser.add_argument("-o", "--out", dest="out", metavar="FILE", required=True, help="snapshot file to write")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument(
        "--skip-bad-files",
        action="store_true",
        help="leave out unreadable or malformed files (each is recorded in the snapshot's metadata) "
        "instead of stopping",
    )
    parser.add_argument(
        "--captured-at",
        metavar="TIMESTAMP",
        help="when the files were captured (ISO 8601; the snapshot's default as-of). Default: DIR/capture.json, "
        "else the newest credential report's generation time, else now",
    )
    parser.add_argument(
        "--credential-report",
        metavar="FILE",
        help="build from this credential report alone (decoded CSV, or the JSON of aws iam get-credential-report) "
        "instead of DIR",
    )
    parser.add_argument("--account-id", metavar="ID", help="with --credential-report: the account (default: the root user's)")
    parser.add_argument(
        "--account-alias",
        metavar="ALIAS",
        help="with --credential-report: the account's alias (aws iam list-account-aliases), shown beside its id in every report",
    )
    parser.add_argument(
        "--cloudtrail-events",
        choices=("root", "all"),
        default="root",
        help="which CloudTrail log records to keep: root activity (userIdentity.type Root and sts:AssumeRoot; "
        "the default) or all",
    )
    parser.set_defaults(handler=from_files)


def from_files(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rootwatch.cli.common import parse_as_of, report_snapshot
    from rootwatch.output.style import printable
    from rootwatch.wording import plural
    from rootwatch.errors import UsageError
    from rootwatch.snapshot.cloudtrail_logs import EventSelection
    from rootwatch.snapshot.from_files import (
        FromFilesOptions,
        build_from_credential_report,
        build_from_directory,
    )
    from rootwatch.snapshot.from_files.single import is_json_report

    if args.credential_report and args.directory:
        raise UsageError("give DIR or --credential-report, not both")
    if not args.credential_report and not args.directory:
        raise UsageError("nothing to read: give DIR (a from-files folder) or --credential-report FILE")
    if args.account_id and not args.credential_report:
        raise UsageError("--account-id goes with --credential-report (in DIR, folders name the accounts)")
    if args.account_alias is not None and not args.credential_report:
        raise UsageError(
            "--account-alias goes with --credential-report", hint="in DIR, put each account's list-account-aliases.json in its folder"
        )
    captured_at = None
    if args.captured_at is not None:
        captured_at = parse_as_of(args.captured_at, "--captured-at")
    options = FromFilesOptions(
        overwrite=args.force,
        skip_bad_files=args.skip_bad_files,
        captured_at=captured_at,
        events=EventSelection(args.cloudtrail_events),
    )
    output = Path(args.out)
    if args.credential_report:
        summary = build_from_credential_report(
            Path(args.credential_report), output, account_id=args.account_id, options=options, account_alias=args.account_alias
        )
    else:
        summary = build_from_directory(Path(args.directory), output, options)
    report_snapshot(
        summary.output,
        len(summary.accounts),
        sum(summary.row_counts.values()),
        summary.captured_at,
        plural(summary.log_files, "CloudTrail log file"),
    )
    lines = []
    for problem in summary.skipped:
        lines.append(printable(f"rootwatch: skipped {problem}"))  # a file name can hold escape sequences
    if args.credential_report and captured_at is None and not is_json_report(Path(args.credential_report)):
        # The report's age is graded (credential_report_fresh): say where its date came from.
        lines.append(
            "rootwatch: note: a decoded CSV report carries no generation time; the file's modification time "
            "stands for it (pass --captured-at with the report's real generation time if they differ)"
        )
    if lines:
        sys.stderr.write("\n".join(lines) + "\n")
    return 0
