"""The from-files directory layout: which file is what, found by name (docs/snapshot-files.md).

::

    DIR/
      capture.json                         {"captured_at": "..."}  (optional)
      AWSLogs/...                          CloudTrail log files as synced from S3 (optional)
      <account-id>/                        one folder per account, named by its 12-digit id
        get-credential-report.json | credential-report.csv
        get-account-summary.json, list-virtual-mfa-devices.json, ...   (ACCOUNT_FILES)
        AWSLogs/...                        (optional)
        <region>/                          one folder per region, e.g. us-east-1
          describe-trails.json, describe-metric-filters.json, ...      (REGION_FILES)
          get-trail-status/<trail-name>.json, get-event-selectors/<trail-name>.json, ...
          list-rules/<bus>.json, list-targets-by-rule/[<bus>/]<rule>.json   (NESTED_FOLDERS)

Scanning never reads file contents; names that fit nowhere are reported as problems (a typo must
not silently drop evidence). Notes (``*.md``) and hidden files are ignored everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rootwatch.errors import Problem

CAPTURE_FILE = "capture.json"
AWSLOGS = "AWSLogs"
CREDENTIAL_REPORT_JSON = "get-credential-report.json"
CREDENTIAL_REPORT_CSV = "credential-report.csv"

ACCOUNT_FILES: dict[str, str] = {
    CREDENTIAL_REPORT_JSON: "aws iam get-credential-report",
    CREDENTIAL_REPORT_CSV: "the decoded credential report (console download or base64 -d of Content)",
    "get-account-summary.json": "aws iam get-account-summary",
    "list-virtual-mfa-devices.json": "aws iam list-virtual-mfa-devices",
    "list-organizations-features.json": "aws iam list-organizations-features",
    "list-account-aliases.json": "aws iam list-account-aliases",
    "get-caller-identity.json": "aws sts get-caller-identity",
    "describe-organization.json": "aws organizations describe-organization",
    "list-accounts.json": "aws organizations list-accounts",
}
"""Account-level files: name → the command that prints them."""

REGION_FILES: dict[str, str] = {
    "describe-trails.json": "aws cloudtrail describe-trails",
    "describe-metric-filters.json": "aws logs describe-metric-filters",
    "describe-alarms.json": "aws cloudwatch describe-alarms",
    "list-subscriptions.json": "aws sns list-subscriptions",
    "list-rules.json": "aws events list-rules",
}
"""Regional files: name → the command that prints them."""

PER_TRAIL_FOLDERS: dict[str, str] = {
    "get-trail-status": "aws cloudtrail get-trail-status --name <trail-name>",
    "get-event-selectors": "aws cloudtrail get-event-selectors --trail-name <trail-name>",
    "get-insight-selectors": "aws cloudtrail get-insight-selectors --trail-name <trail-name>",
}
"""Regional folders of per-trail outputs, ``<folder>/<trail-name>.json``, in the trail's home region."""

NESTED_FOLDERS: dict[str, str] = {
    "list-rules": "aws events list-rules --event-bus-name <bus>",
    "list-targets-by-rule": "aws events list-targets-by-rule [--event-bus-name <bus>] --rule <rule>",
}
"""Regional folders whose files are named by a path: ``list-rules/<bus>.json`` and
``list-targets-by-rule/[<bus>/]<rule>.json`` (a partner bus's name has slashes, so a path)."""

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
"""An account folder's name (and the account in an ``AWSLogs/`` key)."""
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
"""A region folder's name (and the region in an ``AWSLogs/`` key)."""
_TRAIL_FILE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{1,127})\.json$")
_NAME_PART = re.compile(r"^[A-Za-z0-9._-]{1,256}$")


@dataclass
class RegionFiles:
    region: str
    path: Path
    files: dict[str, Path] = field(default_factory=dict)
    per_trail: dict[str, dict[str, Path]] = field(default_factory=dict)
    """folder (``get-trail-status``) → trail name → file."""
    nested: dict[str, dict[str, Path]] = field(default_factory=dict)
    """folder (``list-rules``) → path inside it without ``.json`` (``hub``, ``hub/forward``) → file."""


@dataclass
class AccountFiles:
    account_id: str
    path: Path
    files: dict[str, Path] = field(default_factory=dict)
    regions: dict[str, RegionFiles] = field(default_factory=dict)
    awslogs: Path | None = None


@dataclass
class Layout:
    root: Path
    accounts: list[AccountFiles] = field(default_factory=list)
    awslogs: list[Path] = field(default_factory=list)
    capture_file: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    """Entries that fit nowhere (each a bad file for ``--skip-bad-files``)."""


def _entries(folder: Path, problems: list[Problem]) -> list[Path]:
    """The entries of ``folder``; one it cannot list (permissions) is a problem naming it, so its
    evidence reads as not captured (or the build stops), never as an empty folder."""
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        problems.append(Problem(folder, None, f"cannot read this folder: {exc.strerror or exc}"))
        return []


def _walk(folder: Path, problems: list[Problem]) -> list[Path]:
    """Every entry under ``folder``, with unreadable subfolders reported as :func:`_entries` does."""
    found: list[Path] = []
    for entry in _entries(folder, problems):
        found.append(entry)
        if entry.is_dir() and not entry.is_symlink():
            found += _walk(entry, problems)
    return sorted(found)


def _ignored(path: Path) -> bool:
    return path.name.startswith(".") or (path.is_file() and path.suffix.lower() == ".md")


def scan(root: Path) -> Layout:
    """The files of a from-files directory, classified by name."""
    layout = Layout(root)
    for entry in _entries(root, layout.problems):
        if _ignored(entry):
            continue
        if entry.is_dir() and ACCOUNT_ID_PATTERN.match(entry.name):
            layout.accounts.append(_scan_account(entry, layout.problems))
        elif entry.is_dir() and entry.name == AWSLOGS:
            layout.awslogs.append(entry)
        elif entry.is_file() and entry.name == CAPTURE_FILE:
            layout.capture_file = entry
        else:
            layout.problems.append(_unknown_top_level(entry))
    return layout


def _unknown_top_level(entry: Path) -> Problem:
    if entry.is_dir():
        return Problem(entry, None, "unknown folder: the top level holds one folder per account, named by "
                       "its 12-digit id, AWSLogs/ and capture.json")
    if entry.name in ACCOUNT_FILES or entry.name in REGION_FILES:
        return Problem(entry, None, "this file belongs in an account folder (DIR/<account-id>/"
                       + ("<region>/" if entry.name in REGION_FILES else "") + ")")
    return Problem(entry, None, "unknown file: the top level holds account folders, AWSLogs/ and capture.json")


def _scan_account(folder: Path, problems: list[Problem]) -> AccountFiles:
    account = AccountFiles(folder.name, folder)
    for entry in _entries(folder, problems):
        if _ignored(entry):
            continue
        if entry.is_file() and entry.name in ACCOUNT_FILES:
            account.files[entry.name] = entry
        elif entry.is_dir() and REGION_PATTERN.match(entry.name):
            account.regions[entry.name] = _scan_region(entry, problems)
        elif entry.is_dir() and entry.name == AWSLOGS:
            account.awslogs = entry
        elif entry.is_file() and entry.name in REGION_FILES:
            problems.append(Problem(entry, None, f"{entry.name} is regional: put it in a region folder, "
                                    f"e.g. {folder.name}/us-east-1/{entry.name}"))
        else:
            problems.append(Problem(entry, None, "unknown name in an account folder (expected "
                                    + ", ".join(ACCOUNT_FILES) + ", <region>/ or AWSLogs/)"))
    if CREDENTIAL_REPORT_JSON in account.files and CREDENTIAL_REPORT_CSV in account.files:
        problems.append(Problem(account.files.pop(CREDENTIAL_REPORT_CSV), None,
                                f"two credential reports in one account: keep {CREDENTIAL_REPORT_JSON} or this CSV"))
    return account


def _scan_region(folder: Path, problems: list[Problem]) -> RegionFiles:
    region = RegionFiles(folder.name, folder)
    for entry in _entries(folder, problems):
        if _ignored(entry):
            continue
        if entry.is_file() and entry.name in REGION_FILES:
            region.files[entry.name] = entry
        elif entry.is_dir() and entry.name in PER_TRAIL_FOLDERS:
            region.per_trail[entry.name] = _scan_per_trail(entry, problems)
        elif entry.is_dir() and entry.name in NESTED_FOLDERS:
            region.nested[entry.name] = _scan_nested(entry, problems)
        elif entry.is_file() and entry.name in ACCOUNT_FILES:
            problems.append(Problem(entry, None, f"{entry.name} is account-level: put it in the account "
                                    f"folder {folder.parent.name}/"))
        else:
            problems.append(Problem(entry, None, "unknown name in a region folder (expected "
                                    + ", ".join([*REGION_FILES, *(f + "/" for f in [*PER_TRAIL_FOLDERS, *NESTED_FOLDERS])]) + ")"))
    return region


def _scan_per_trail(folder: Path, problems: list[Problem]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for entry in _entries(folder, problems):
        if _ignored(entry):
            continue
        match = _TRAIL_FILE.match(entry.name) if entry.is_file() else None
        if match is None:
            problems.append(Problem(entry, None, f"expected {folder.name}/<trail-name>.json"))
            continue
        found[match["name"]] = entry
    return found


def _scan_nested(folder: Path, problems: list[Problem]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for entry in _walk(folder, problems):
        relative = entry.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or entry.is_dir() or _ignored(entry):
            continue
        key = relative.as_posix()[: -len(".json")] if entry.name.endswith(".json") else None
        if key is None or not all(_NAME_PART.match(part) for part in key.split("/")):
            problems.append(Problem(entry, None, f"expected {folder.name}/<name>.json (the output of {NESTED_FOLDERS[folder.name]})"))
            continue
        found[key] = entry
    return found
