"""``snapshot from-aws``: read one or many AWS accounts with boto3 into a snapshot.

Accounts come from, in this order of precedence:

* ``organization`` with ``role_name``: the accounts the management account (the base credentials)
  lists in AWS Organizations; the role is assumed in each (the caller's own account is read with
  the base credentials, needing no role there);
* ``account_ids`` with ``role_name``: the role ``arn:<partition>:iam::<id>:role/<role_name>`` is
  assumed in each, from the base credentials (the one ``--profile`` or the default chain);
* ``profiles``: one account per named profile;
* otherwise the default credential chain (one account).

One pool of worker threads (AWS calls only) reads every account and region (see ``_Schedule``):
an account is opened first (identity; then, at once, its credential report requested, its regions listed),
its account-level sources and its regions are read as separate steps, and its credential report is
fetched last, so that AWS builds the reports while regions are read. Every account has one boto3
session (its credentials); the clients that call AWS are made once per capture and shared by the
accounts, each call signed as the account whose step makes it
(:mod:`rootwatch.snapshot.from_aws_clients`). Rows are written by the calling thread as each
account completes. An account whose credentials or role fail, and every API call
that fails, is recorded in the snapshot as an ``error`` issue with the AWS error code and message;
the rest is read and written. A suspended account of the organization is recorded as skipped.
When no account at all could be read, nothing is written: the capture fails (exit 3) with every
account's error, rather than leaving an empty snapshot that would grade as "0 results".

The workers are daemon threads of our own rather than a ``ThreadPoolExecutor``: the executor's
workers are joined when the interpreter exits, so after Ctrl-C the process waited for every call in
flight (a silent endpoint held it for minutes). On an interrupt the stop event is set (readers end
at their next call, retry or wait), the writer discards its temporary file, and the process exits
without waiting for a worker stuck in a read.
"""

from __future__ import annotations

import itertools
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rootwatch.gc_tuning import CAPTURE_YOUNG_THRESHOLD, fewer_collections
from rootwatch.errors import ConnectionFailed, UsageError
from rootwatch.snapshot.from_aws_account import (
    AccountCapture,
    AccountReader,
    CaptureStopped,
    ReadSettings,
    Tick,
    aws_error,
    client,
)
from rootwatch.snapshot.from_aws_clients import botocore_session
from rootwatch.snapshot.from_aws_report import Backoff
from rootwatch.snapshot.metadata import SnapshotIssue
from rootwatch.snapshot.writer import BuildSummary, SnapshotWriter, prepare_in_background

ROLE_SESSION_NAME = "rootwatch-snapshot"

REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
"""An AWS region name (us-east-1, us-gov-west-1, ap-southeast-3). botocore refuses other
spellings (``US_EAST_1``, ``us east 1``) only when a client is made, deep inside a worker."""

ERRORS_SHOWN = 20
"""Per-account errors quoted when no account could be read."""


@dataclass(frozen=True)
class AwsCaptureOptions:
    """Which accounts and regions to read, and where to write them."""

    output: Path
    profiles: tuple[str, ...] = ()
    role_name: str | None = None
    account_ids: tuple[str, ...] = ()
    organization: bool = False
    regions: tuple[str, ...] = ()
    """Regions to read in every account; empty: each account's enabled regions."""
    endpoint_url: str | None = None
    """One endpoint for every service (a test server); None: AWS (or $AWS_ENDPOINT_URL)."""
    external_id: str | None = None
    max_parallel: int = 8
    """Worker threads of the one pool that reads every account and region."""
    backoff: Backoff = Backoff()
    overwrite: bool = False
    progress: Callable[[int, int, str], None] | None = None


@dataclass(frozen=True)
class _Target:
    """One account to read: how to get its session, and how to name it."""

    label: str
    """The Steampipe-style connection name its rows carry (profile name or aws_<account id>)."""
    source: str
    account_id: str | None
    open_session: Callable[[], Any]


def capture_from_aws(options: AwsCaptureOptions) -> BuildSummary:
    """Read every account ``options`` names into ``options.output``; returns what was written."""
    # botocore allocates many objects per client and per call (a copied event emitter, endpoint
    # rules, parsed responses), most of them kept until the capture ends: a caller of the API gets
    # fewer collections too, and fewer than the CLI's other commands.
    with fewer_collections(CAPTURE_YOUNG_THRESHOLD):
        _check(options)
        return _capture(options)


def _capture(options: AwsCaptureOptions) -> BuildSummary:
    prepare_in_background()  # the snapshot file's DuckDB set up while the accounts are listed and read
    captured_at = datetime.now(timezone.utc)
    settings = ReadSettings(regions=options.regions, endpoint_url=options.endpoint_url, backoff=options.backoff)
    targets, detail, skipped = _targets(options, settings)
    # Made (and -o checked) before any account is read; entered once reading has begun.
    writer = SnapshotWriter(options.output, source="aws", captured_at=captured_at, source_detail=detail, overwrite=options.overwrite)
    reading = _Reading(targets, settings, Tick(options.progress, len(targets)), options.max_parallel)
    try:
        with writer:
            for issue in skipped:
                writer.add_issue(issue)
            written: dict[str, str] = {}
            failures: list[SnapshotIssue] = []
            for capture in reading:
                _write(writer, capture, written)
                failures.extend(issue for issue in capture.issues if issue.kind == "error")
            if not written:
                # Raised inside the writer's block, so its temporary file is discarded: an empty
                # snapshot would grade as "0 results" (exit 0), hiding that nothing was read.
                raise _nothing_read(targets, failures)
            return writer.summary()
    finally:
        # Normal end, interrupt or error: no worker goes on calling AWS for this capture.
        reading.close()
        settings.clients.close()


class _Reading:
    """Each target's capture, as it completes, read by one pool of ``max_parallel`` daemon threads.

    The workers start at once; iterating waits for the captures. The calling thread only waits
    on a queue, so Ctrl-C reaches it at once. A worker's unexpected exception is re-raised there.
    :meth:`close` stops every worker (``settings.stop``).
    """

    def __init__(self, targets: list[_Target], settings: ReadSettings, tick: Tick, max_parallel: int) -> None:
        count = max(1, min(max_parallel, len(targets) * WORK_PER_ACCOUNT))
        self._targets = targets
        self._schedule = _Schedule(targets, settings, tick, count)
        self._workers = [
            # Daemon: the interpreter does not wait at exit for a worker blocked in a read.
            threading.Thread(target=self._schedule.work, name=f"rootwatch-aws-{number}", daemon=True)
            for number in range(count)
        ]
        for worker in self._workers:
            worker.start()

    def __iter__(self) -> Iterator[AccountCapture]:
        for _ in self._targets:
            result = self._schedule.done.get()
            if isinstance(result, BaseException):
                raise result
            yield result

    def close(self) -> None:
        self._schedule.close(len(self._workers))


WORK_PER_ACCOUNT = 32
"""Upper bound of the steps of one account that can run at once (its regions): with few accounts,
``max_parallel`` is still worth that many threads."""

ACCOUNTS_IN_FLIGHT = 32
"""Accounts open at once (at least; twice the workers when there are more): every one of them has
its credential report requested before any region is read, and fetched after its regions, so the
reports are built while regions are read. Bounded so that an organization of thousands is not
opened at once: an assumed role's credentials last an hour, and each open account holds a session."""

_OPEN, _REGION, _REPORT, _QUIT = range(4)
"""Step kinds, in the order the workers prefer them: open accounts (identity, then asking for their
credential report and listing their regions), read account-level sources and regions, fetch the reports last so that AWS builds them in
the meantime."""


class _Schedule:
    """The steps of every account on one priority queue, run by a pool of worker threads.

    An account is opened (``AccountReader.open``: its identity); its credential report request, the
    listing of its regions and its account-level sources are then steps of their own, run at once;
    each listed region becomes a step, and its credential report is fetched after them; when its last step ends the account's capture is put on ``done``. At most
    ``ACCOUNTS_IN_FLIGHT`` accounts are open at once; the next is opened as
    one completes.
    """

    def __init__(self, targets: list[_Target], settings: ReadSettings, tick: Tick, workers: int) -> None:
        self._targets = targets
        self._in_flight = max(ACCOUNTS_IN_FLIGHT, 2 * workers)
        self._settings = settings
        self._tick = tick
        self._steps: queue.PriorityQueue[tuple[int, int, int, Callable[[], None] | None]] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._outstanding: dict[int, int] = {}
        self._readers: dict[int, AccountReader] = {}
        self._next_target = 0
        self.done: queue.SimpleQueue[AccountCapture | BaseException] = queue.SimpleQueue()

    def work(self) -> None:
        """A worker thread: run steps until told to quit or the capture is abandoned."""
        self._open_more()
        while True:
            _kind, _account, _seq, step = self._steps.get()
            if step is None or self._settings.stop.is_set():
                return
            try:
                step()
            except CaptureStopped:
                return  # abandoned: nobody waits for this result
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
                self.done.put(exc)
                return

    def close(self, workers: int) -> None:
        """Wake every idle worker so it ends (a busy one ends at its next call: ``stop`` is set)."""
        self._settings.stop.set()
        for _ in range(workers):
            self._put(_QUIT, len(self._targets), None)

    def _put(self, kind: int, account: int, step: Callable[[], None] | None) -> None:
        self._steps.put((kind, account, next(self._sequence), step))

    def _open_more(self) -> None:
        """Queue the opening of further accounts, up to the in-flight limit."""
        with self._lock:
            while self._next_target < len(self._targets) and len(self._outstanding) < self._in_flight:
                index = self._next_target
                self._next_target += 1
                self._outstanding[index] = 1
                self._put(_OPEN, index, lambda index=index: self._open(index))

    def _open(self, index: int) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        target = self._targets[index]
        capture = AccountCapture(target.account_id, target.label)
        if self._settings.stop.is_set():
            raise CaptureStopped()
        try:
            session = target.open_session()
        except (ClientError, BotoCoreError) as exc:  # a failed AssumeRole is recorded, not fatal
            code, message = aws_error(exc)
            capture.issues.append(SnapshotIssue("error", f"{code}: {message}", target.account_id, None, f"{target.source}: sts:AssumeRole"))
            self._tick.step(target.label)
            self._finish(index, capture)
            return
        reader = AccountReader(session, capture, self._settings, self._tick, target.source)
        if not reader.open():
            self._finish(index, reader.finish())
            return
        with self._lock:
            self._readers[index] = reader
            self._outstanding[index] = 3
        # Three steps that need only the identity, run at once: the report is asked for first.
        self._put(_OPEN, index, lambda: self._step(index, reader.request_report))
        self._put(_OPEN, index, lambda: self._step(index, lambda: self._read_regions(index, reader)))
        self._put(_REGION, index, lambda: self._step(index, reader.read_global))

    def _read_regions(self, index: int, reader: AccountReader) -> None:
        """List the account's regions, then queue a step per region and the report's fetch (counted
        before this step ends, so the account cannot look finished in between)."""
        regions = reader.list_regions()
        with self._lock:
            self._outstanding[index] += len(regions) + 1
        for region in regions:
            self._put(_REGION, index, lambda region=region: self._step(index, lambda: reader.read_region(region)))
        self._put(_REPORT, index, lambda: self._step(index, reader.collect_report))

    def _step(self, index: int, action: Callable[[], None]) -> None:
        action()
        with self._lock:
            self._outstanding[index] -= 1
            last = self._outstanding[index] == 0
            reader = self._readers.pop(index) if last else None
        if reader is not None:
            self._finish(index, reader.finish())

    def _finish(self, index: int, capture: AccountCapture) -> None:
        with self._lock:
            self._outstanding.pop(index, None)
        self.done.put(capture)
        self._open_more()


def _nothing_read(targets: list[_Target], failures: list[SnapshotIssue]) -> ConnectionFailed:
    """The error when no account could be read, quoting each account's failure."""
    if not targets:
        return ConnectionFailed("no account to read: the organization lists no active account", hint="nothing was written")
    lines = [f"  {' '.join(p for p in (issue.account_id, issue.source) if p)}: {issue.message}" for issue in failures[:ERRORS_SHOWN]]
    if len(failures) > ERRORS_SHOWN:
        lines.append(f"  ... and {len(failures) - ERRORS_SHOWN} more")
    count = f"{len(targets)} account{'s' if len(targets) != 1 else ''}"
    return ConnectionFailed(
        "\n".join([f"no account could be read ({count} tried); nothing was written:", *lines]),
        hint="check the credentials ('aws sts get-caller-identity'), --endpoint-url and the network",
    )


def _check(options: AwsCaptureOptions) -> None:
    try:
        import boto3  # noqa: F401
    except ImportError:
        from rootwatch.install import extra_hint

        raise UsageError("snapshot from-aws needs the boto3 package, which is not installed", hint=extra_hint("aws", "boto3")) from None
    if options.max_parallel < 1:
        raise UsageError("--max-parallel must be at least 1")
    if (options.account_ids or options.organization) and not options.role_name:
        raise UsageError("--account-id and --organization need --role-name (the role to assume in each account)")
    if options.role_name and not (options.account_ids or options.organization):
        raise UsageError("--role-name needs --account-id (repeatable) or --organization")
    if options.organization and options.account_ids:
        raise UsageError("--organization lists the accounts itself; drop --account-id")
    if options.role_name and len(options.profiles) > 1:
        raise UsageError("with --role-name, at most one --profile (the credentials that assume the role)")
    for account_id in options.account_ids:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise UsageError(f"--account-id {account_id!r} is not a 12-digit AWS account id")
    for region in options.regions:
        if not REGION_PATTERN.match(region):
            raise UsageError(f"--region {region!r} is not an AWS region name", hint="regions are spelled like us-east-1 or eu-west-2")
    if options.endpoint_url is not None:
        _check_endpoint(options.endpoint_url, "--endpoint-url")
    elif os.environ.get("AWS_ENDPOINT_URL"):  # boto3 reads it itself; checked here for the same reason
        _check_endpoint(os.environ["AWS_ENDPOINT_URL"], "$AWS_ENDPOINT_URL")


def _check_endpoint(url: str, name: str) -> None:
    """An http(s) URL with a host; botocore refuses anything else only when a client is made."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise UsageError(f"{name} {url!r} is not an http:// or https:// URL with a host", hint="for example http://127.0.0.1:5000")


def _session(profile: str | None) -> Any:
    """A boto3 session of ``profile``, or of the default chain (which honours $AWS_PROFILE)."""
    import boto3
    from botocore.exceptions import ConfigParseError, ProfileNotFound

    try:
        shared = botocore_session()
        session = boto3.Session(profile_name=profile, botocore_session=shared)
        # boto3 finds an unknown profile while making its own loader; with the shared one, ask.
        shared.get_scoped_config()
        return session
    except ConfigParseError as exc:
        raise UsageError(str(exc), hint="fix the AWS config or credentials file ('aws configure list' reads it too)") from None
    except ProfileNotFound:
        hint = "see ~/.aws/config or 'aws configure list-profiles'"
        if profile:
            raise UsageError(f"--profile {profile!r}: no such AWS profile", hint=hint) from None
        # No --profile: the default chain took the name from the environment.
        named = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
        raise UsageError(f"$AWS_PROFILE {named!r}: no such AWS profile", hint=f"unset it or pass --profile; {hint}") from None


def _targets(options: AwsCaptureOptions, settings: ReadSettings) -> tuple[list[_Target], str, list[SnapshotIssue]]:
    """The accounts to read, the snapshot's source detail, and accounts skipped up front."""
    where = f" at {options.endpoint_url}" if options.endpoint_url else ""
    if not options.role_name:
        if not options.profiles:
            _session(None)  # an unknown $AWS_PROFILE is a usage error before anything is read
            return [_Target("aws", "aws default credentials", None, lambda: _session(None))], f"default credentials{where}", []
        for profile in options.profiles:
            _session(profile)  # an unknown profile is a usage error before anything is read
        targets = [_Target(p, f"aws profile {p}", None, lambda p=p: _session(p)) for p in dict.fromkeys(options.profiles)]
        return targets, f"profiles {', '.join(options.profiles)}{where}", []
    base_profile = options.profiles[0] if options.profiles else None
    base = _session(base_profile)
    try:
        # Inside the try: the client resolves the credentials (a failing credential_process) and
        # checks the profile's region when it is made.
        sts = client(base, "sts", base.region_name or "us-east-1", settings)
        identity = sts.get_caller_identity()
    except Exception as exc:  # noqa: BLE001 - botocore raises several unrelated types for bad credentials
        code, message = aws_error(exc)
        raise ConnectionFailed(
            f"the base credentials ({'profile ' + base_profile if base_profile else 'default chain'}) do not work: {code}: {message}",
            hint="they assume --role-name in each account; check them with 'aws sts get-caller-identity'",
        ) from None
    own, partition = identity["Account"], identity["Arn"].split(":")[1]
    skipped: list[SnapshotIssue] = []
    if options.organization:
        account_ids, skipped, organization_id = _organization_accounts(base, settings)
        detail = f"organization {organization_id} via role {options.role_name}{where}"
    else:
        account_ids = list(dict.fromkeys(options.account_ids))
        detail = f"role {options.role_name} in {len(account_ids)} account{'s' if len(account_ids) != 1 else ''}{where}"
    targets = []
    for account_id in account_ids:
        if account_id == own:
            targets.append(_Target(f"aws_{account_id}", f"aws {'profile ' + base_profile if base_profile else 'default credentials'}", account_id, lambda: base))
            continue
        role_arn = f"arn:{partition}:iam::{account_id}:role/{options.role_name}"
        targets.append(_Target(f"aws_{account_id}", f"aws role {role_arn}", account_id, lambda arn=role_arn: _assume(sts, arn, options.external_id)))
    return targets, detail, skipped


def _organization_accounts(base: Any, settings: ReadSettings) -> tuple[list[str], list[SnapshotIssue], str]:
    """Active account ids of the organization, skipped (suspended) ones as issues, and its id."""
    try:
        organizations = client(base, "organizations", base.region_name or "us-east-1", settings)
        organization = organizations.describe_organization()["Organization"]
        accounts = [a for page in organizations.get_paginator("list_accounts").paginate() for a in page.get("Accounts", [])]
    except Exception as exc:  # noqa: BLE001 - ClientUnavailable, ClientError or a botocore transport error
        code, message = aws_error(exc)
        raise ConnectionFailed(
            f"cannot list the organization's accounts: {code}: {message}",
            hint="--organization needs credentials of the management account (or a delegated administrator)",
        ) from None
    active: list[str] = []
    skipped: list[SnapshotIssue] = []
    for account in sorted(accounts, key=lambda a: a["Id"]):
        status = account.get("Status") or account.get("State")
        if status and status.upper() != "ACTIVE":
            skipped.append(SnapshotIssue("skipped_account", f"account is {status}; not read", account["Id"], None, "organizations:ListAccounts"))
        else:
            active.append(account["Id"])
    return active, skipped, organization.get("Id", "?")


def _assume(sts: Any, role_arn: str, external_id: str | None) -> Any:
    import boto3

    params = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    credentials = sts.assume_role(**params)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        botocore_session=botocore_session(),
    )


def _write(writer: SnapshotWriter, capture: AccountCapture, written: dict[str, str]) -> None:
    """Rows, account and issues of one account (a second copy of an account is left out)."""
    if capture.account_id and capture.account_id in written and capture.info is not None:
        writer.add_issue(
            SnapshotIssue(
                "superseded",
                f"{capture.label} reads account {capture.account_id} again (already read as {written[capture.account_id]}); left out",
                capture.account_id,
                None,
                capture.label,
            )
        )
        return
    for table, rows in capture.rows.items():
        writer.add_rows(table, rows)
    if capture.info is not None:
        writer.add_account(capture.info)
        written[capture.account_id or ""] = capture.label
    for issue in capture.issues:
        writer.add_issue(issue)


@dataclass(frozen=True)
class AccountSession:
    """One account as a capture reaches it: where its credentials come from and how to open them."""

    label: str
    """The connection name its rows carry: the profile's name, ``aws_<id>`` or ``aws``."""
    source: str
    """How it is reached, e.g. ``aws profile prod`` or ``aws role arn:aws:iam::...:role/Audit``."""
    account_id: str | None
    """None for a profile or the default chain until its session is asked who it is."""
    open: Callable[[], Any]
    """Opens its boto3 session (assuming the role where there is one)."""


def account_sessions(options: AwsCaptureOptions) -> list[AccountSession]:
    """The accounts ``options`` name, reached exactly as :func:`capture_from_aws` reaches them.

    ``rootwatch remediate`` acts with these, so that it changes accounts with the credentials it
    re-reads them with. Options are checked as for a capture (usage errors before any call).
    """
    _check(options)
    targets, _detail, _skipped = _targets(options, ReadSettings(regions=options.regions, endpoint_url=options.endpoint_url))
    return [AccountSession(target.label, target.source, target.account_id, target.open_session) for target in targets]


def profile_session(profile: str | None) -> Any:
    """A boto3 session of ``profile``, or of the default chain; an unknown profile is a usage error."""
    return _session(profile)
