"""The auditor's everyday case: one credential report file, no folder layout."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from rootwatch.errors import InputError, Problem, UsageError
from rootwatch.snapshot import transforms as t
from rootwatch.snapshot.from_files.accounts import AccountCapture, read_account
from rootwatch.snapshot.from_files.layout import CREDENTIAL_REPORT_CSV, CREDENTIAL_REPORT_JSON, AccountFiles
from rootwatch.snapshot.from_files.reading import BadFile, read_json, read_text


def is_json_report(report: Path) -> bool:
    """Whether ``report`` holds the JSON of ``aws iam get-credential-report`` (else the decoded CSV).

    Told by content, not by suffix: a report saved as ``report.txt`` (or a CSV named ``.json``) is
    common, and reading JSON as CSV only said "no root user row", which misleads. The CSV starts
    with its header (``user,arn,...``); the JSON with ``{`` once a BOM and whitespace are passed.
    """
    try:
        text = read_text(report)  # utf-8-sig: a BOM is dropped
    except BadFile as exc:
        raise InputError(exc.problem) from None
    return text.lstrip().startswith("{")


def _root_account(report: Path, is_json: bool) -> str | None:
    """The account id in the report's root row ARN (None when the report has no root row)."""
    try:
        text = t.credential_report_text(read_json(report)) if is_json else read_text(report)
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            if row.get("user") == t.ROOT_USER_NAME and row.get("arn"):
                parts = row["arn"].split(":")
                account = parts[4] if len(parts) > 5 else None
                if account is not None and not (len(account) == 12 and account.isdigit()):
                    where = f"report line {reader.line_num}: " if is_json else ""
                    raise InputError(Problem(report, None if is_json else reader.line_num,
                                             f"{where}the root user's ARN {row['arn']!r} has no 12-digit account id"))
                return account
    except BadFile as exc:
        raise InputError(exc.problem) from None
    except (t.TransformError, csv.Error) as exc:
        raise InputError(Problem(report, None, str(exc))) from None
    return None


def single_account(
    report: Path, account_id: str | None, captured_at: datetime | None, alias: str | None = None
) -> tuple[AccountCapture, AccountFiles]:
    """Read one credential report as the only file of one account (named ``alias`` when given)."""
    is_json = is_json_report(report)
    in_report = _root_account(report, is_json)
    if account_id is not None and not (len(account_id) == 12 and account_id.isdigit()):
        raise UsageError(f"--account-id {account_id!r} is not a 12-digit AWS account id")
    if account_id and in_report and account_id != in_report:
        raise InputError(
            Problem(report, None, f"the root user is of account {in_report}, not --account-id {account_id}"),
            hint="check that this is the right report, or drop --account-id to take the report's account",
        )
    chosen = account_id or in_report
    if chosen is None:
        raise UsageError(f"{report} has no root user row to take the account from", hint="pass --account-id")
    folder = AccountFiles(chosen, report.parent, {CREDENTIAL_REPORT_JSON if is_json else CREDENTIAL_REPORT_CSV: report})
    if alias is not None and not alias.strip():
        raise UsageError("--account-alias is empty", hint="give the account's alias, as aws iam list-account-aliases prints it")
    return read_account(folder, report_time=captured_at, aliases=[alias.strip()] if alias else []), folder
