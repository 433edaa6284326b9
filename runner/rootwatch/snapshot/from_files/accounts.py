"""One account folder → its rows: account-level tables, then each region folder.

Each file is read and transformed on its own, so a bad file is one problem (skippable with
``--skip-bad-files``) rather than a lost account.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rootwatch.errors import Problem
from rootwatch.snapshot.from_files.layout import (
    ACCOUNT_FILES,
    CREDENTIAL_REPORT_CSV,
    CREDENTIAL_REPORT_JSON,
    PER_TRAIL_FOLDERS,
    REGION_FILES,
    AccountFiles,
    RegionFiles,
)
from rootwatch.snapshot.from_files.eventbridge import TABLE as EVENT_RULE_TABLE
from rootwatch.snapshot.from_files.eventbridge import read_event_rules
from rootwatch.snapshot.from_files.reading import BadFile, read_json, read_text, transformed
from rootwatch.snapshot import transforms as t
from rootwatch.snapshot.metadata import AccountInfo


@dataclass
class AccountCapture:
    """What one account folder contributes to the snapshot."""

    account_id: str
    partition: str
    rows: dict[str, list[t.Row]] = field(default_factory=dict)
    report_generated_at: datetime | None = None
    problems: list[Problem] = field(default_factory=list)
    regions: tuple[str, ...] = ()

    def add(self, table: str, rows: list[t.Row]) -> None:
        self.rows.setdefault(table, []).extend(rows)

    def info(self, source: str) -> AccountInfo:
        return AccountInfo(self.account_id, self.regions, self.report_generated_at, source)


def _json(path: Path) -> Any:
    return read_json(path, ACCOUNT_FILES.get(path.name) or REGION_FILES.get(path.name))


# Account-level files that map one response to rows of one table.
_ACCOUNT_TABLES: dict[str, tuple[str, Callable[[Any, t.Origin], list[t.Row]]]] = {
    "get-account-summary.json": ("aws_iam_account_summary", lambda r, o: [t.account_summary_row(r, origin=o)]),
    "list-virtual-mfa-devices.json": ("aws_iam_virtual_mfa_device", lambda r, o: t.virtual_mfa_device_rows(r, origin=o)),
    "list-organizations-features.json": (
        "rootwatch_organizations_features", lambda r, o: [t.organizations_features_row(r, origin=o)]),
    "list-accounts.json": ("aws_organizations_account", lambda r, o: t.organizations_account_rows(r, origin=o)),
}


def read_account(account: AccountFiles, *, report_time: datetime | None, aliases: Sequence[str] = ()) -> AccountCapture:
    """Rows of every table from one account folder.

    ``report_time`` is the generation time given to a decoded CSV credential report (which carries
    none); without it, the CSV file's modification time is used. ``aliases`` name the account where
    no list-account-aliases.json does (``--account-alias`` beside a credential report).
    """
    problems: list[Problem] = []
    partition = _partition(account, problems)
    origin = t.Origin(account.account_id, partition, f"aws_{account.account_id}")
    capture = AccountCapture(account.account_id, partition, problems=problems, regions=tuple(sorted(account.regions)))
    files = account.files

    def attempt(name: str, read: Callable[[Path], None]) -> None:
        if name in files:
            try:
                read(files[name])
            except BadFile as exc:
                problems.append(exc.problem)

    # aws_account combines two optional files; each is checked alone so a bad one is left out.
    parts: dict[str, Any] = {}

    def account_part(key: str) -> Callable[[Path], None]:
        def read(path: Path) -> None:
            response = _json(path)
            transformed(path, t.account_row, origin=origin, **{key: response})
            parts[key] = response

        return read

    def table_rows(table: str, build: Callable[[Any, t.Origin], list[t.Row]]) -> Callable[[Path], None]:
        return lambda path: capture.add(table, transformed(path, build, _json(path), origin))

    attempt("list-account-aliases.json", account_part("aliases"))
    if aliases and "aliases" not in parts:
        parts["aliases"] = {"AccountAliases": list(aliases)}
    attempt("describe-organization.json", account_part("organization"))
    capture.add("aws_account", [t.account_row(origin=origin, **parts)])
    attempt(CREDENTIAL_REPORT_JSON, lambda path: _report_from_json(path, origin, capture))
    attempt(CREDENTIAL_REPORT_CSV, lambda path: _report_from_csv(path, origin, capture, report_time))
    for name, (table, build) in _ACCOUNT_TABLES.items():
        attempt(name, table_rows(table, build))
    _read_regions(account, origin, capture)
    return capture


def _partition(account: AccountFiles, problems: list[Problem]) -> str:
    """The account's partition: from get-caller-identity, else the credential report's root ARN,
    else its region folders' names, else ``aws``."""
    identity_path = account.files.get("get-caller-identity.json")
    if identity_path is not None:
        try:
            identity = _json(identity_path)
            if not isinstance(identity, Mapping) or not isinstance(identity.get("Arn"), str):
                raise BadFile(Problem(identity_path, None, "no Arn (expected the output of aws sts get-caller-identity)"))
            if str(identity.get("Account")) != account.account_id:
                raise BadFile(Problem(identity_path, None, f"Account {identity.get('Account')!r} is not the "
                                      f"folder's account {account.account_id}"))
            return transformed(identity_path, t.partition_of_arn, identity["Arn"])
        except BadFile as exc:
            problems.append(exc.problem)
    from_report = _report_partition(account)
    if from_report:
        return from_report
    return t.partition_of_region(min(account.regions)) if account.regions else "aws"


def _report_partition(account: AccountFiles) -> str | None:
    """The partition in the credential report's first ARN, if the report can be read (errors come later)."""
    try:
        if CREDENTIAL_REPORT_JSON in account.files:
            text = t.credential_report_text(read_json(account.files[CREDENTIAL_REPORT_JSON]))
        elif CREDENTIAL_REPORT_CSV in account.files:
            text = read_text(account.files[CREDENTIAL_REPORT_CSV])
        else:
            return None
        rows = list(csv.DictReader(io.StringIO(text)))
        return t.partition_of_arn(rows[0]["arn"]) if rows and rows[0].get("arn") else None
    except (BadFile, t.TransformError, csv.Error, KeyError):
        return None


def _check_report_account(path: Path, rows: list[t.Row], account_id: str) -> None:
    for row in rows:
        if row["user_name"] == t.ROOT_USER_NAME and f":{account_id}:" not in row["user_arn"]:
            raise BadFile(Problem(path, None, f"the root user {row['user_arn']} is not of account {account_id}: "
                                  "the report belongs to another account folder"))


def _report_from_json(path: Path, origin: t.Origin, capture: AccountCapture) -> None:
    response = _json(path)
    try:
        rows = t.credential_report_rows_from_response(response, origin=origin)
    except t.TransformError as exc:
        # The line is one of the CSV decoded from Content, not of this JSON file: "path:3" would
        # send the reader to the wrong place, so the line goes into the message, worded as such.
        where = f"report line {exc.line}: " if exc.line is not None else ""
        raise BadFile(Problem(path, None, where + exc.message)) from None
    _check_report_account(path, rows, origin.account_id)
    capture.report_generated_at = transformed(path, t.credential_report_generated_time, response)
    capture.add("aws_iam_credential_report", rows)


def _report_from_csv(path: Path, origin: t.Origin, capture: AccountCapture, report_time: datetime | None) -> None:
    generated = report_time or datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).replace(microsecond=0)
    rows = transformed(path, t.credential_report_rows, read_text(path), origin=origin, generated_time=generated)
    _check_report_account(path, rows, origin.account_id)
    capture.report_generated_at = generated
    capture.add("aws_iam_credential_report", rows)


_REGION_TABLES: dict[str, tuple[str, Callable[..., list[t.Row]]]] = {
    "describe-metric-filters.json": ("aws_cloudwatch_log_metric_filter", t.metric_filter_rows),
    "describe-alarms.json": ("aws_cloudwatch_alarm", t.alarm_rows),
    "list-subscriptions.json": ("aws_sns_topic_subscription", t.subscription_rows),
}


def _read_regions(account: AccountFiles, origin: t.Origin, capture: AccountCapture) -> None:
    per_trail = _read_per_trail(account, capture.problems)
    used: set[tuple[str, str, str]] = set()
    trail_rows: list[t.Row] = []
    unreadable_trails = False
    for name, folder in sorted(account.regions.items()):
        try:
            trail_rows += _read_trails(folder, origin, per_trail, used)
        except BadFile as exc:
            capture.problems.append(exc.problem)
            unreadable_trails = True
        for file_name, (table, build) in _REGION_TABLES.items():
            path = folder.files.get(file_name)
            if path is None:
                continue
            try:
                capture.add(table, transformed(path, build, _json(path), origin=origin, region=name))
            except BadFile as exc:
                capture.problems.append(exc.problem)
        capture.add(EVENT_RULE_TABLE, read_event_rules(folder, origin, capture.problems))
    capture.add("aws_cloudtrail_trail", t.add_shadow_copies(trail_rows, sorted(account.regions)))
    if unreadable_trails:
        return  # the trails a per-trail file names may be in the describe-trails.json that failed
    paths = _per_trail_paths(account)
    for home, call, trail in sorted(set(per_trail) - used):
        capture.problems.append(Problem(paths[(home, call, trail)], None, f"no trail named {trail} with home "
                                        f"region {home} in this account's describe-trails.json files"))


def _per_trail_paths(account: AccountFiles) -> dict[tuple[str, str, str], Path]:
    return {
        (region.region, folder, trail): path
        for region in account.regions.values()
        for folder, trails in region.per_trail.items()
        for trail, path in trails.items()
    }


_PER_TRAIL_CHECKS: dict[str, Callable[[Any], t.Row]] = {
    "get-trail-status": t.trail_status_columns,
    "get-event-selectors": t.event_selector_columns,
    "get-insight-selectors": t.insight_selector_columns,
}
"""Per-trail folder → the transform of its responses, run on each file alone (see _read_per_trail)."""


def _read_per_trail(account: AccountFiles, problems: list[Problem]) -> dict[tuple[str, str, str], Any]:
    """Parsed and checked per-trail outputs keyed by (home region, folder, trail name).

    Each file is transformed here, on its own, because the trail rows join it to every
    describe-trails.json listing the trail: a bad status checked only there would be blamed on those
    files and, with --skip-bad-files, drop good trail lists (reading as "no trail"). A bad per-trail
    file is left out alone; its trail then has NULL status or selectors, which the controls read as
    not captured.
    """
    parsed: dict[tuple[str, str, str], Any] = {}
    for key, path in _per_trail_paths(account).items():
        folder = key[1]
        try:
            response = _json(path)
            if not isinstance(response, Mapping):
                raise BadFile(Problem(path, None, f"expected a JSON object (the output of {PER_TRAIL_FOLDERS[folder]})"))
            transformed(path, _PER_TRAIL_CHECKS[folder], response)
            parsed[key] = response
        except BadFile as exc:
            problems.append(exc.problem)
    return parsed


def _read_trails(
    region: RegionFiles,
    origin: t.Origin,
    per_trail: dict[tuple[str, str, str], Any],
    used: set[tuple[str, str, str]],
) -> list[t.Row]:
    """The trail rows of one region folder, with the per-trail outputs of each trail's home region
    (marked in ``used``); BadFile when describe-trails.json cannot be used."""
    path = region.files.get("describe-trails.json")
    if path is None:
        return []
    response = _json(path)
    listed = transformed(path, t.common.items, response, "trailList", "describe-trails")
    lookups: dict[str, dict[str, Any]] = {folder: {} for folder in PER_TRAIL_FOLDERS}
    for trail in listed:
        home, name, arn = trail.get("HomeRegion"), trail.get("Name"), trail.get("TrailARN")
        for folder, found in lookups.items():
            key = (str(home), folder, str(name))
            if key in per_trail:
                found[str(arn)] = per_trail[key]
                used.add(key)
    return transformed(
        path, t.trail_rows, response, origin=origin, region=region.region,
        statuses=lookups["get-trail-status"], event_selectors=lookups["get-event-selectors"],
        insight_selectors=lookups["get-insight-selectors"],
    )
