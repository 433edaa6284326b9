"""``rootwatch snapshot from-files``: a snapshot from the files the AWS CLI and CloudTrail produce.

Two entry points, both atomic (the snapshot appears complete or not at all) and both raising
:class:`rootwatch.errors.InputError` for bad input, naming every bad file and line:

* :func:`build_from_directory` reads the layout of docs/snapshot-files.md (one folder per account,
  one per region, CloudTrail logs under ``AWSLogs/``);
* :func:`build_from_credential_report` builds a one-account snapshot from a credential report alone.

With ``skip_bad_files`` the bad files are left out instead and each is recorded in the snapshot's
metadata as a ``skipped_file`` issue.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from rootwatch.errors import InputError, Problem, UsageError
from rootwatch.schema.tables import TRAIL_EVENT_TABLE
from rootwatch.snapshot.cloudtrail_view import RECORDS_VIEW_FORMAT_VERSION
from rootwatch.snapshot.cloudtrail_logs import (
    EventSelection,
    LogFile,
    find_log_files,
    load_log_files,
    snapshot_storage,
)
from rootwatch.snapshot.from_files.accounts import AccountCapture, read_account
from rootwatch.snapshot.from_files.eventbridge import rules_not_captured
from rootwatch.snapshot.from_files.layout import (
    ACCOUNT_ID_PATTERN,
    AWSLOGS,
    REGION_PATTERN,
    AccountFiles,
    Layout,
    scan,
)
from rootwatch.snapshot.from_files.reading import BadFile, read_json
from rootwatch.snapshot.metadata import NOT_CAPTURED, SnapshotIssue
from rootwatch.snapshot.transforms import TransformError
from rootwatch.snapshot.transforms.common import timestamp
from rootwatch.snapshot.writer import BuildSummary, SnapshotWriter

SOURCE = "files"


@dataclass(frozen=True)
class FromFilesOptions:
    """How to build: replace an existing output, pass over bad files, fix the capture time."""

    overwrite: bool = False
    skip_bad_files: bool = False
    captured_at: datetime | None = None
    events: EventSelection = EventSelection.ROOT


def _bad_input(problems: list[Problem], *, skippable: bool = True) -> InputError:
    """One error naming every bad file (the first alone when there is one).

    ``skippable`` is False where --skip-bad-files cannot help (a credential report alone: skipping
    it would leave nothing to build), so the hint does not suggest it.
    """
    count = len(problems)
    hint = (
        f"fix or remove the bad file{'s' if count > 1 else ''}, or pass --skip-bad-files to build without "
        f"{'them' if count > 1 else 'it'} (each is then recorded in the snapshot's metadata)"
    ) if skippable else None
    if count == 1:
        return InputError(problems[0], hint=hint)
    return InputError(f"{count} bad input files:\n" + "\n".join(f"  {p}" for p in problems), hint=hint)


def _refuse_output_among_inputs(output: Path, source: Path) -> None:
    """UsageError when ``-o`` names an existing file that is ``source`` or lies under it: with
    ``--force`` the build would replace the evidence it reads (``-o r.csv --credential-report r.csv``)."""
    if not os.path.lexists(output):
        return
    target, origin = output.resolve(), source.resolve()
    if target == origin or (origin.is_dir() and origin in target.parents):
        raise UsageError(f"-o {output} is one of the inputs (it is {'in ' if target != origin else ''}{source}): "
                         "writing the snapshot there would destroy the evidence it is built from",
                         hint="write the snapshot outside the capture, e.g. -o snapshot.duckdb")


def _capture_time(layout: Layout, problems: list[Problem]) -> datetime | None:
    if layout.capture_file is None:
        return None
    try:
        document = read_json(layout.capture_file)
        # A string only: timestamp() also takes epoch seconds (for AWS CLI v1 output), but a
        # hand-written number here is as likely milliseconds, so it is refused, not guessed at.
        if not isinstance(document, dict) or not isinstance(document.get("captured_at"), str):
            raise BadFile(Problem(layout.capture_file, None, 'expected {"captured_at": "<ISO 8601 timestamp>"}'))
        return timestamp(document["captured_at"], "captured_at")
    except TransformError as exc:
        problems.append(Problem(layout.capture_file, None, str(exc)))
    except BadFile as exc:
        problems.append(exc.problem)
    return None


def _relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def build_from_directory(source: Path, output: Path, options: FromFilesOptions = FromFilesOptions()) -> BuildSummary:
    """Build ``output`` from the from-files layout under ``source``."""
    if not source.is_dir():
        raise UsageError(f"{source} is not a directory", hint="from-files reads a folder laid out as docs/snapshot-files.md describes")
    _refuse_output_among_inputs(output, source)
    layout = scan(source)
    problems = list(layout.problems)
    explicit_time = options.captured_at or _capture_time(layout, problems)
    captures = [read_account(account, report_time=explicit_time) for account in layout.accounts]
    for capture in captures:
        problems += capture.problems
    log_files: list[LogFile] = []
    for awslogs in [*layout.awslogs, *(a.awslogs for a in layout.accounts if a.awslogs)]:
        found, bad = find_log_files(awslogs)
        log_files += found
        problems += bad
    if not captures and not log_files:
        raise InputError(f"{source}: no account folders (named by 12-digit account id) and no AWSLogs/ folder",
                         hint="see docs/snapshot-files.md for the layout")
    if problems and not options.skip_bad_files:
        # Every bad file at once, the logs' too: they are otherwise read only while writing, which
        # this stops before, so a bad log would surface only after the other files were fixed.
        raise _bad_input(problems + _find_bad_logs(log_files, options))
    captured_at = explicit_time or _default_capture_time(captures)
    not_captured = _account_files_not_read(layout.accounts, {p.path for p in problems}, source)
    not_captured += _region_files_not_read(layout.accounts, {p.path for p in problems}, source)
    not_captured += rules_not_captured(layout.accounts, {p.path for p in problems}, source)
    # source_detail says where the snapshot came from when read later, elsewhere: a path relative
    # to the build's working directory would mean nothing there.
    return _write(output, options, captured_at, str(source.resolve()), captures, layout.accounts, log_files,
                  problems, source, not_captured)


ACCOUNT_EVIDENCE_FILES = {
    "get-account-summary.json": "aws_iam_account_summary",
    "list-virtual-mfa-devices.json": "aws_iam_virtual_mfa_device",
}
"""Account-level files whose absence must not read as an empty table: no virtual MFA device file is
not "no virtual device" (a hardware MFA pass). A missing credential report needs no entry: it is
credential_report_fresh's own finding, and the controls reading the report say so."""


def _account_files_not_read(accounts: list[AccountFiles], skipped: set[Path], root: Path) -> tuple[SnapshotIssue, ...]:
    """A ``not_captured`` issue per account and evidence file that is missing or was skipped as bad."""
    issues = []
    for account in accounts:
        for name, table in ACCOUNT_EVIDENCE_FILES.items():
            path = account.files.get(name)
            if path is not None and path not in skipped:
                continue
            why = "skipped as a bad file" if path is not None else "no such file"
            issues.append(SnapshotIssue(kind=NOT_CAPTURED, account_id=account.account_id, source=table,
                                        message=f"{_relative(account.path / name, root)}: {why}"))
    return tuple(issues)


REGION_EVIDENCE_FILES = {
    "describe-trails.json": "aws_cloudtrail_trail",
    "list-subscriptions.json": "aws_sns_topic_subscription",
}
"""Regional files whose absence in a region folder must not read as "none there": no trail list is
not "no trail" (cloudtrail_enabled_all_regions alarmed on it), no subscription list is not "no
subscriber". Recorded per region as EventBridge rules are (eventbridge.rules_not_captured); an
empty list that was captured is evidence."""


def _region_files_not_read(accounts: list[AccountFiles], skipped: set[Path], root: Path) -> tuple[SnapshotIssue, ...]:
    """A ``not_captured`` issue per account region (or account without region folders) and
    regional evidence file that is missing or was skipped as bad."""
    issues = []
    for account in accounts:
        for name, table in REGION_EVIDENCE_FILES.items():
            if not account.regions:
                issues.append(SnapshotIssue(kind=NOT_CAPTURED, account_id=account.account_id, source=table,
                                            message=f"{_relative(account.path, root)}: no region folder, so no {name}"))
            for region_name, region in sorted(account.regions.items()):
                path = region.files.get(name)
                if path is not None and path not in skipped and region.path not in skipped:
                    continue
                why = "skipped as a bad file" if path is not None else "no such file"
                issues.append(SnapshotIssue(kind=NOT_CAPTURED, account_id=account.account_id, region=region_name,
                                            source=table, message=f"{_relative(region.path / name, root)}: {why}"))
    return tuple(issues)


def _default_capture_time(captures: list[AccountCapture]) -> datetime:
    """Without --captured-at or capture.json: the newest credential report's generation time (a
    lower bound of when the files were captured, and stable across builds), else now."""
    times = [c.report_generated_at for c in captures if c.report_generated_at]
    return max(times) if times else datetime.now(timezone.utc).replace(microsecond=0)


def _write(
    output: Path,
    options: FromFilesOptions,
    captured_at: datetime,
    detail: str,
    captures: list[AccountCapture],
    folders: list[AccountFiles],
    log_files: list[LogFile],
    problems: list[Problem],
    root: Path,
    not_captured: tuple[SnapshotIssue, ...] = (),
) -> BuildSummary:
    skipped = list(problems)
    storage = snapshot_storage(log_files, options.events)
    with SnapshotWriter(output, source=SOURCE, captured_at=captured_at, source_detail=detail, overwrite=options.overwrite,
                        block_size=storage.block_size, row_group_size=storage.row_group_size) as writer:
        for capture, folder in zip(captures, folders, strict=True):
            for table, rows in capture.rows.items():
                writer.add_rows(table, rows)
            writer.add_account(capture.info(f"{SOURCE}: {_relative(folder.path, root)}"))
        skipped_logs = _load_logs(writer, log_files, options)
        skipped += skipped_logs
        for problem in skipped:
            writer.add_issue(_issue(problem, root))
        for issue in not_captured:
            writer.add_issue(issue)
        written = writer.summary()
    loaded = len(log_files) - len({p.path for p in skipped_logs})
    return replace(written, skipped=tuple(skipped), log_files=loaded)


def _load_logs(writer: SnapshotWriter, files: list[LogFile], options: FromFilesOptions) -> list[Problem]:
    """Load the logs; stop naming every bad file or, skipping, load the good ones and return the bad."""
    result = load_log_files(writer.connection, files, options.events, skip_bad_files=options.skip_bad_files)
    _raise_unexplained(result.problems)
    if result.problems and not options.skip_bad_files:
        raise _bad_input(result.problems)
    writer.record_rows(TRAIL_EVENT_TABLE, result.rows)
    if result.records_view:
        writer.require_format_version(RECORDS_VIEW_FORMAT_VERSION)
    return result.problems


def _raise_unexplained(problems: list[Problem]) -> None:
    """DuckDB rejected records that the Python reference accepts: no file to name or skip."""
    for problem in problems:
        if problem.path is None:
            raise InputError(problem.message)


def _find_bad_logs(files: list[LogFile], options: FromFilesOptions) -> list[Problem]:
    """Every bad file of ``files``, found as a build would find it, without writing a snapshot.

    The logs are loaded into a scratch database that is thrown away (a file in a temporary
    folder, so a large load spills to disk as the snapshot's own does).
    """
    import duckdb

    from rootwatch.engines.duckdb_config import NO_EXTENSION_DOWNLOADS
    from rootwatch.schema.tables import load_tables

    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="rootwatch-log-check-") as directory:
        connection = duckdb.connect(str(Path(directory) / "check.duckdb"), config=dict(NO_EXTENSION_DOWNLOADS))
        try:
            connection.execute("SET TimeZone = 'UTC'")  # as the snapshot writer's connection
            connection.execute(load_tables()[TRAIL_EVENT_TABLE].ddl("duckdb"))
            return load_log_files(connection, files, options.events).problems
        finally:
            connection.close()


def _scope(relative: str) -> tuple[str | None, str | None]:
    """The account and region a path relative to DIR names: ``<account>/<region>/...`` in the
    folder layout; ``AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/...`` for a log file, wherever
    its AWSLogs/ is (the key's account, as the log's rows get, not the folder holding it)."""
    parts = relative.split("/")
    if AWSLOGS in parts:
        key = parts[parts.index(AWSLOGS) + 1:]
        if key and key[0].startswith("o-"):
            key = key[1:]
        account = key[0] if key and ACCOUNT_ID_PATTERN.match(key[0]) else None
        region = key[2] if account and len(key) > 3 and REGION_PATTERN.match(key[2]) else None
        return account, region
    account = parts[0] if ACCOUNT_ID_PATTERN.match(parts[0]) else None
    region = parts[1] if account and len(parts) > 2 and REGION_PATTERN.match(parts[1]) else None
    return account, region


def _issue(problem: Problem, root: Path) -> SnapshotIssue:
    """A skipped file as a metadata issue, with the account and region its path names.

    The line goes in ``source`` alone (``path:line``, as error messages write it): ``snapshot
    info`` prints source and message together, so a line in both showed it twice.
    """
    relative = _relative(problem.path, root) or ""
    account, region = _scope(relative)
    return SnapshotIssue(kind="skipped_file", message=problem.message, account_id=account, region=region,
                         source=relative + (f":{problem.line}" if problem.line else ""))


def build_from_credential_report(
    report: Path,
    output: Path,
    *,
    account_id: str | None = None,
    options: FromFilesOptions = FromFilesOptions(),
    account_alias: str | None = None,
) -> BuildSummary:
    """A one-account snapshot from a credential report: the decoded CSV, or the JSON of
    ``aws iam get-credential-report``. The account is the root user's (``--account-id`` must agree);
    ``account_alias`` names it in every report, as its IAM alias would."""
    from rootwatch.snapshot.from_files.single import single_account

    if not report.is_file():
        raise UsageError(f"--credential-report {report}: no such file")
    _refuse_output_among_inputs(output, report)
    capture, folder = single_account(report, account_id, options.captured_at, account_alias)
    if capture.problems:
        # --skip-bad-files cannot help: the report is the only file, and without it nothing is left.
        raise _bad_input(capture.problems, skippable=False)
    captured_at = options.captured_at or _default_capture_time([capture])
    return _write(output, options, captured_at, str(report.resolve()), [capture], [folder], [], [], report.parent,
                  _not_captured_beside_a_report(capture.account_id, report))


# What a credential report alone gives: the account and its report (and nothing else to trust).
CREDENTIAL_REPORT_TABLES = frozenset({"aws_account", "aws_iam_credential_report"})


def _not_captured_beside_a_report(account_id: str, report: Path) -> tuple[SnapshotIssue, ...]:
    """Every other table, recorded as not captured, so controls that need one skip the account."""
    from rootwatch.schema.tables import load_tables

    return tuple(
        SnapshotIssue(kind=NOT_CAPTURED, account_id=account_id, source=name,
                      message=f"built from the credential report {report.name} alone")
        for name in sorted(load_tables())
        if name not in CREDENTIAL_REPORT_TABLES
    )
