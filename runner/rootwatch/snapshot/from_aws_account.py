"""Reading one AWS account through boto3 into Steampipe-shaped rows (the shared transforms).

Every API call is made on its own: one that fails is recorded as an ``error`` issue carrying the
AWS error code and message, with the account, the region and the call (``cloudtrail:DescribeTrails``),
and the rest of the account is still read. Only a failed ``sts:GetCallerIdentity`` (no usable
credentials) ends the account early. Clients are made inside that error handling too: botocore
resolves credentials and checks the region and endpoint when a client is made, so a profile that
cannot get credentials or a region botocore refuses is a recorded issue, not a crash.

A capture that is abandoned (Ctrl-C) sets ``ReadSettings.stop``; the reader then raises
:class:`CaptureStopped` before its next call, retry or credential report wait, so a worker thread
does not go on calling AWS for a capture nobody will write.

Regional sources are read in every enabled region (``ec2:DescribeRegions``) unless regions are
given. Trail status and event selectors are asked once per trail, in its home region, and applied
to every region's copy (DescribeTrails with shadow trails lists a multi-region trail everywhere,
as Steampipe does). Subscription attributes are asked only for confirmed subscriptions of topics
that an alarm notifies: the pending state is already in the ARN, and the rest matters only where
a notification chain is graded. EventBridge rules are read on every bus of each region, with their
targets (:mod:`rootwatch.snapshot.from_aws_eventbridge`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from rootwatch.snapshot.from_aws_clients import SharedClients
from rootwatch.snapshot.from_aws_eventbridge import TABLE as EVENT_RULE_TABLE
from rootwatch.snapshot.from_aws_eventbridge import read_event_rules
from rootwatch.snapshot.from_aws_report import AwsFailure, Backoff, fetch_credential_report, request_credential_report
from rootwatch.snapshot.metadata import AccountInfo, SnapshotIssue
from rootwatch.snapshot.transforms import (
    PENDING_CONFIRMATION,
    Origin,
    Row,
    TransformError,
    account_row,
    account_summary_row,
    alarm_rows,
    credential_report_generated_time,
    credential_report_rows_from_response,
    metric_filter_rows,
    organizations_account_rows,
    organizations_features_row,
    subscription_rows,
    trail_rows,
    virtual_mfa_device_rows,
)

GLOBAL_SERVICE_REGION = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}
"""Where the global services (IAM, STS, Organizations) are called, per partition."""

_NO_ORGANIZATION = {"AWSOrganizationsNotInUseException"}


@dataclass(frozen=True)
class ReadSettings:
    """How every account is read."""

    regions: tuple[str, ...] = ()
    """Regions to read; empty: every region enabled in the account."""
    endpoint_url: str | None = None
    backoff: Backoff = Backoff()
    stop: threading.Event = field(default_factory=threading.Event, compare=False)
    """Set when the capture is abandoned: readers stop before their next call (see CaptureStopped)."""
    clients: SharedClients = field(default_factory=SharedClients, compare=False)
    """The capture's clients, shared by its accounts (see :mod:`rootwatch.snapshot.from_aws_clients`)."""


class CaptureStopped(Exception):
    """Raised in a reader once ``ReadSettings.stop`` is set, to unwind its worker thread.

    Deliberately no botocore or rootwatch error type: nothing on the way up records it as an issue.
    """


class ClientUnavailable(AwsFailure):
    """A boto3 client could not be made (bad region or endpoint, credentials that cannot be had).

    botocore raises several unrelated types here, ``ValueError`` for a malformed endpoint among
    them; wrapping them lets ``_call`` record exactly these without catching every ValueError.
    """


@dataclass
class AccountCapture:
    """What was read from one account: rows per table, issues, and its metadata."""

    account_id: str | None
    label: str
    rows: dict[str, list[Row]] = field(default_factory=dict)
    issues: list[SnapshotIssue] = field(default_factory=list)
    info: AccountInfo | None = None

    def add(self, table: str, rows: Iterable[Row]) -> None:
        self.rows.setdefault(table, []).extend(rows)


class Tick:
    """Thread-safe progress counting: ``grow`` when work becomes known, ``step`` when done."""

    def __init__(self, callback: Callable[[int, int, str], None] | None, total: int) -> None:
        import threading

        self._callback = callback
        self._lock = threading.Lock()
        self.done = 0
        self.total = total

    def grow(self, count: int) -> None:
        with self._lock:
            self.total += count

    def step(self, label: str) -> None:
        with self._lock:
            self.done += 1
            if self._callback:
                self._callback(self.done, self.total, label)


MESSAGE_LIMIT = 300
"""Characters of an error message kept in an issue (a proxy's HTML error page can be long)."""


def aws_error(exc: BaseException) -> tuple[str, str]:
    """(code, message) of a boto3 or botocore error, as AWS spelled them, on one line (or of an
    :class:`AwsFailure`, which carries them already)."""
    response = getattr(exc, "response", None)
    if isinstance(exc, AwsFailure):
        code, message = exc.code, exc.message
    elif isinstance(response, dict) and response.get("Error"):
        error = response["Error"]
        code, message = str(error.get("Code") or type(exc).__name__), str(error.get("Message") or exc)
    else:
        code, message = type(exc).__name__, str(exc)
    message = " ".join(message.split())
    return code, message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


CONNECT_TIMEOUT = 5
"""Seconds to open a connection: AWS answers a TCP connect in well under a second; a dead or
firewalled endpoint should fail (and be retried) quickly rather than hold a worker."""
READ_TIMEOUT = 30
"""Seconds to wait for a response. The calls made here answer in about a second; botocore's 60 s
default made an endpoint that accepts but never answers cost six minutes per call with retries."""
MAX_ATTEMPTS = 6
"""Attempts per call in botocore's standard retry mode (throttling needs several)."""


def client(session: Any, service: str, region: str, settings: ReadSettings) -> Any:
    """A boto3 client with standard retries (throttling backs off) and bounded timeouts.

    ``$AWS_MAX_ATTEMPTS`` is honoured when set (a value in ``Config`` would override it). Raises
    :class:`ClientUnavailable` when botocore refuses to make it. Once ``settings.stop`` is set the
    client raises :class:`CaptureStopped` before sending, so a retry loop ends at its next attempt.
    """
    import os

    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    retries: dict[str, Any] = {"mode": "standard"}
    if not os.environ.get("AWS_MAX_ATTEMPTS"):
        retries["max_attempts"] = MAX_ATTEMPTS
    config = Config(retries=retries, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
    try:
        made = session.client(service, region_name=region, endpoint_url=settings.endpoint_url, config=config)
    except (BotoCoreError, ValueError) as exc:  # ValueError: botocore's "Invalid endpoint"
        raise ClientUnavailable(*aws_error(exc)) from None
    stop = settings.stop

    def abort_when_stopped(**_: Any) -> None:
        # An exception from a before-send handler is not retryable: botocore raises it at once.
        if stop.is_set():
            raise CaptureStopped()

    made.meta.events.register("before-send", abort_when_stopped)
    return made


class AccountReader:
    """Reads one account with one boto3 session, in steps that worker threads run concurrently.

    :meth:`open` (identity) comes first; then :meth:`request_report` (the credential report's
    request), :meth:`list_regions` and :meth:`read_global` (the account-level sources); then
    :meth:`read_region` for each region, in any order and from several threads at once; then
    :meth:`collect_report`; :meth:`finish` assembles the capture.
    Each step records into a part of its own, and ``finish`` joins the parts in a fixed order
    (report, account-level, regions sorted), so the rows and issues written do not depend on which
    thread ran first.

    Clients are the capture's (``ReadSettings.clients``), made once per (service, region) and shared
    with the other accounts; each step binds this account's credentials to its thread, so its calls
    are signed as this account.
    """

    def __init__(self, session: Any, capture: AccountCapture, settings: ReadSettings, tick: Tick, source: str) -> None:
        self._session = session
        self._capture = capture
        self._settings = settings
        self._tick = tick
        self._source = source
        self._lock = threading.Lock()
        self._credentials: Any = None
        """The account's credentials, resolved by :meth:`open`; bound to the thread of every step."""
        self._trail_details_by_arn: dict[str, tuple[Any, Any, Any]] = {}
        self._trail_locks: dict[str, threading.Lock] = {}
        self._parts: dict[str, AccountCapture] = {}
        self._origin: Origin | None = None
        self._home = "us-east-1"
        self._regions: list[str] = []
        self._report_requested = False
        self._report_time: datetime | None = None
        self._started = datetime.now(timezone.utc)

    # ---- steps -----------------------------------------------------------------------------

    def open(self) -> bool:
        """Who the credentials belong to (sts:GetCallerIdentity); False when they are not usable.

        What follows are steps of their own, run at once by the workers: :meth:`request_report`,
        :meth:`list_regions` and :meth:`read_global` (none needs another's answer, so the account's
        first round trips overlap: DescribeRegions is the slowest of them), then a
        :meth:`read_region` per region and :meth:`collect_report`.
        """
        capture = self._capture
        part = self._part("open")
        # Credentials are resolved inside the recorded call, so a profile that cannot get
        # credentials is an issue naming it, not a crash.
        source = f"{self._source}: sts:GetCallerIdentity"
        identity = self._call(part, source, None, self._identify)
        if identity is None:  # no usable credentials: nothing else can be read
            self._tick.step(capture.label)
            return False
        capture.account_id = identity["Account"]
        partition = identity["Arn"].split(":")[1]
        self._origin = Origin(capture.account_id, partition, capture.label)
        self._home = GLOBAL_SERVICE_REGION.get(partition, "us-east-1")
        self._tick.grow(1)  # read_global; the regions once listed
        self._tick.step(f"{capture.account_id} opened")
        return True

    def request_report(self) -> None:
        """Ask AWS to build the credential report, fetched last (:meth:`collect_report`), so that
        AWS builds it while the regions are read."""
        assert self._origin is not None, "open() first"
        with self._bound():
            self._check_stop()
            try:
                self._report_requested = request_credential_report(self._client("iam", self._home))
            except ClientUnavailable:
                pass  # collect_report makes the client again and records why it cannot

    def list_regions(self) -> list[str]:
        """The regions to read: the given ones, else those enabled in the account (ec2:DescribeRegions)."""
        assert self._origin is not None, "open() first"
        with self._bound():
            self._check_stop()
            self._regions = self._list_regions(self._part("regions"), self._home)
        self._tick.grow(len(self._regions))
        return list(self._regions)

    def read_global(self) -> None:
        """The account-level sources: IAM summary, MFA devices, aliases, organization."""
        assert self._origin is not None, "open() first"
        with self._bound():
            self._read_global(self._part("global"), self._origin, self._home)
        self._tick.step(f"{self._capture.account_id} global")

    def read_region(self, region: str) -> None:
        """Every regional source of ``region`` (thread-safe against the account's other regions)."""
        assert self._origin is not None, "open() first"
        with self._bound():
            self._read_region(self._part(region), self._origin, region)
        self._tick.step(f"{self._capture.account_id} {region}")

    def collect_report(self) -> None:
        """Fetch the credential report requested in :meth:`open` (waiting for it if still building)."""
        assert self._origin is not None, "open() first"
        part = self._part("report")
        origin, settings = self._origin, self._settings
        with self._bound():
            report = self._call(
                part,
                "iam:GetCredentialReport",
                "global",
                lambda: fetch_credential_report(self._client("iam", self._home), settings.backoff, sleep=self._sleep, requested=self._report_requested),
            )
        if report is not None:
            rows = self._call(part, "iam:GetCredentialReport", "global", lambda: credential_report_rows_from_response(report, origin=origin))
            if rows is not None:
                part.add("aws_iam_credential_report", rows)
                self._report_time = credential_report_generated_time(report)

    def finish(self) -> AccountCapture:
        """The account's capture, parts joined in a fixed order (that of one reader doing it all)."""
        capture = self._capture
        order = ["report", "open", "global", "regions", *sorted(self._regions)]
        for name in order:
            part = self._parts.get(name)
            if part is None:
                continue
            for table, rows in part.rows.items():
                capture.add(table, rows)
            capture.issues.extend(part.issues)
        if self._origin is not None:
            capture.info = AccountInfo(
                self._origin.account_id, tuple(sorted(self._regions)), self._report_time, self._source, self._started
            )
        return capture

    # ---- plumbing --------------------------------------------------------------------------

    def _part(self, name: str) -> AccountCapture:
        with self._lock:
            return self._parts.setdefault(name, AccountCapture(self._capture.account_id, self._capture.label))

    def _client(self, service: str, region: str) -> Any:
        def make(session: Any, service: str, region: str) -> Any:
            return client(session, service, region, self._settings)

        return self._settings.clients.get(self._session, service, region, make)

    def _identify(self) -> Any:
        """Resolve the account's credentials and ask who they belong to (sts:GetCallerIdentity)."""
        from botocore.exceptions import NoCredentialsError

        self._credentials = self._session.get_credentials()
        if self._credentials is None:
            raise NoCredentialsError()
        with self._bound():
            return self._client("sts", self._session.region_name or "us-east-1").get_caller_identity()

    def _bound(self) -> Any:
        """Context: the shared clients sign this thread's calls with this account's credentials."""
        return self._settings.clients.bound(self._credentials)

    def _call(self, part: AccountCapture, source: str, region: str | None, action: Callable[[], Any]) -> Any:
        """``action()``, or None with the failure recorded as an issue of this account.

        ``action`` makes its clients itself (``self._client`` inside it), so that a client botocore
        refuses to make is recorded here like a failed call.
        """
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        self._check_stop()
        try:
            return action()
        except AwsFailure as exc:  # a report that never came, a client that could not be made
            message = f"{exc.code}: {exc.message}"
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            code, text = aws_error(exc)
            message = f"{code}: {text}"
        except TransformError as exc:
            message = f"unexpected response: {exc}"
        part.issues.append(SnapshotIssue("error", message, self._capture.account_id, region, source))
        return None

    def _check_stop(self) -> None:
        if self._settings.stop.is_set():
            raise CaptureStopped()

    def _sleep(self, seconds: float) -> None:
        """The credential report's wait between polls, cut short when the capture is abandoned."""
        if self._settings.stop.wait(seconds):
            raise CaptureStopped()

    def _transform(self, part: AccountCapture, source: str, table: str, build: Callable[[], list[Row]]) -> None:
        rows = self._call(part, source, None, build)
        if rows is not None:
            part.add(table, rows)

    # ---- account-level sources ------------------------------------------------------------

    def _read_global(self, part: AccountCapture, origin: Origin, home: str) -> None:
        def iam() -> Any:
            return self._client("iam", home)

        summary = self._call(part, "iam:GetAccountSummary", "global", lambda: iam().get_account_summary())
        if summary is not None:
            self._transform(part, "iam:GetAccountSummary", "aws_iam_account_summary", lambda: [account_summary_row(summary, origin=origin)])
        devices = self._call(part, "iam:ListVirtualMFADevices", "global", lambda: _pages(iam(), "list_virtual_mfa_devices", "VirtualMFADevices"))
        if devices is not None:
            self._transform(part, "iam:ListVirtualMFADevices", "aws_iam_virtual_mfa_device", lambda: virtual_mfa_device_rows(devices, origin=origin))
        aliases = self._call(part, "iam:ListAccountAliases", "global", lambda: _pages(iam(), "list_account_aliases", "AccountAliases"))
        organization = self._organization(part, home)
        self._transform(part, "aws_account", "aws_account", lambda: [account_row(origin=origin, aliases=aliases, organization=organization)])
        if organization and organization.get("Organization", {}).get("MasterAccountId") == origin.account_id:
            self._read_management(part, origin, home)

    def _organization(self, part: AccountCapture, home: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        self._check_stop()
        try:
            return self._client("organizations", home).describe_organization()
        except (ClientError, BotoCoreError, ClientUnavailable) as exc:
            code, text = aws_error(exc)
            if code not in _NO_ORGANIZATION:  # not in an organization is no error: the columns stay NULL
                part.issues.append(SnapshotIssue("error", f"{code}: {text}", self._capture.account_id, "global", "organizations:DescribeOrganization"))
            return None

    def _read_management(self, part: AccountCapture, origin: Origin, home: str) -> None:
        """Organization membership and centralized root access, readable from the management account."""
        accounts = self._call(part, "organizations:ListAccounts", "global", lambda: _pages(self._client("organizations", home), "list_accounts", "Accounts"))
        if accounts is not None:
            self._transform(part, "organizations:ListAccounts", "aws_organizations_account", lambda: organizations_account_rows(accounts, origin=origin))
        features = self._call(part, "iam:ListOrganizationsFeatures", "global", lambda: self._client("iam", home).list_organizations_features())
        if features is not None:
            self._transform(part, "iam:ListOrganizationsFeatures", "rootwatch_organizations_features", lambda: [organizations_features_row(features, origin=origin)])

    def _list_regions(self, part: AccountCapture, home: str) -> list[str]:
        if self._settings.regions:
            return list(dict.fromkeys(self._settings.regions))
        where = self._session.region_name or home
        found = self._call(part, "ec2:DescribeRegions", None, lambda: self._client("ec2", where).describe_regions())  # enabled regions only
        if found is None:
            return [where]  # recorded; read at least one region
        return sorted(region["RegionName"] for region in found.get("Regions", []))

    # ---- regional sources -----------------------------------------------------------------

    def _read_region(self, part: AccountCapture, origin: Origin, region: str) -> None:
        self._trails(part, origin, region)
        filters = self._call(part, "logs:DescribeMetricFilters", region, lambda: _pages(self._client("logs", region), "describe_metric_filters", "metricFilters"))
        if filters is not None:
            self._transform(part, "logs:DescribeMetricFilters", "aws_cloudwatch_log_metric_filter", lambda: metric_filter_rows(filters, origin=origin, region=region))
        alarms = self._call(part, "cloudwatch:DescribeAlarms", region, lambda: _pages(self._client("cloudwatch", region), "describe_alarms", "MetricAlarms"))
        if alarms is not None:
            self._transform(part, "cloudwatch:DescribeAlarms", "aws_cloudwatch_alarm", lambda: alarm_rows(alarms, origin=origin, region=region))
        topics = {
            action
            for alarm in (alarms or {}).get("MetricAlarms", [])
            for action in alarm.get("AlarmActions") or []
            if action.split(":")[2:5] == ["sns", region, origin.account_id]
        }
        self._subscriptions(part, origin, region, topics)
        self._event_rules(part, origin, region)

    def _event_rules(self, part: AccountCapture, origin: Origin, region: str) -> None:
        def call(source: str, where: str | None, action: Callable[[], Any]) -> Any:
            return self._call(part, source, where, action)

        read = read_event_rules(call, lambda: self._client("events", region), origin, region)
        part.add(EVENT_RULE_TABLE, read.rows)
        if (issue := read.not_captured(origin.account_id, region)) is not None:
            part.issues.append(issue)

    def _trails(self, part: AccountCapture, origin: Origin, region: str) -> None:
        listed = self._call(part, "cloudtrail:DescribeTrails", region, lambda: self._client("cloudtrail", region).describe_trails(includeShadowTrails=True))
        if listed is None:
            return
        statuses: dict[str, Any] = {}
        selectors: dict[str, Any] = {}
        insights: dict[str, Any] = {}
        for trail in listed.get("trailList", []):
            arn = trail.get("TrailARN", "")
            if arn.split(":")[4:5] != [origin.account_id]:
                continue  # an organization trail of another account: Steampipe leaves these NULL too
            status, selector, insight = self._trail_details(part, trail)
            statuses[arn], selectors[arn] = status, selector
            if insight is not None:
                insights[arn] = insight
        self._transform(
            part,
            "cloudtrail:DescribeTrails",
            "aws_cloudtrail_trail",
            lambda: trail_rows(listed, origin=origin, region=region, statuses=statuses, event_selectors=selectors, insight_selectors=insights),
        )

    def _trail_details(self, part: AccountCapture, trail: dict[str, Any]) -> tuple[Any, Any, Any]:
        """(status, event selectors, insight selectors) of an own trail, asked once in its home region.

        Regions of one account are read at once: the first to meet a trail asks, the others wait
        for its answer (a lock per trail), so each trail is still asked about once.
        """
        arn = trail["TrailARN"]
        with self._lock:
            lock = self._trail_locks.setdefault(arn, threading.Lock())
        with lock:
            if arn in self._trail_details_by_arn:
                return self._trail_details_by_arn[arn]
            home_region = trail.get("HomeRegion") or "us-east-1"

            def home() -> Any:  # a HomeRegion botocore refuses is recorded by _call, not raised
                return self._client("cloudtrail", home_region)

            status = self._call(part, "cloudtrail:GetTrailStatus", trail.get("HomeRegion"), lambda: home().get_trail_status(Name=arn))
            selector = self._call(part, "cloudtrail:GetEventSelectors", trail.get("HomeRegion"), lambda: home().get_event_selectors(TrailName=arn))
            insight = None
            if trail.get("HasInsightSelectors"):
                insight = self._call(part, "cloudtrail:GetInsightSelectors", trail.get("HomeRegion"), lambda: home().get_insight_selectors(TrailName=arn))
            self._trail_details_by_arn[arn] = (status, selector, insight)
            return status, selector, insight

    def _subscriptions(self, part: AccountCapture, origin: Origin, region: str, alarm_topics: set[str]) -> None:

        def sns() -> Any:
            return self._client("sns", region)

        listed = self._call(part, "sns:ListSubscriptions", region, lambda: _pages(sns(), "list_subscriptions", "Subscriptions"))
        if listed is None:
            return
        subscriptions = list(listed["Subscriptions"])
        keys = {_subscription_key(s) for s in subscriptions}
        attributes: dict[str, Any] = {}
        for topic in sorted(alarm_topics):
            # ListSubscriptions shows only what this account created; the topic owner sees all.
            by_topic = self._call(part, "sns:ListSubscriptionsByTopic", region, lambda: _pages(sns(), "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic))
            for subscription in (by_topic or {}).get("Subscriptions", []):
                if _subscription_key(subscription) not in keys:
                    keys.add(_subscription_key(subscription))
                    subscriptions.append(subscription)
        for subscription in subscriptions:
            arn = subscription.get("SubscriptionArn")
            if subscription.get("TopicArn") in alarm_topics and arn and arn != PENDING_CONFIRMATION:
                found = self._call(part, "sns:GetSubscriptionAttributes", region, lambda: sns().get_subscription_attributes(SubscriptionArn=arn))
                if found is not None:
                    attributes[arn] = found
        self._transform(
            part,
            "sns:ListSubscriptions",
            "aws_sns_topic_subscription",
            lambda: subscription_rows({"Subscriptions": subscriptions}, origin=origin, region=region, attributes=attributes),
        )


def _subscription_key(subscription: dict[str, Any]) -> tuple[Any, ...]:
    arn = subscription.get("SubscriptionArn")
    if arn and arn != PENDING_CONFIRMATION:
        return (arn,)
    return (arn, subscription.get("TopicArn"), subscription.get("Protocol"), subscription.get("Endpoint"))


def _pages(service: Any, operation: str, key: str, **params: Any) -> dict[str, Any]:
    """Every page of a paginated call, joined as one response ``{key: [...]}``."""
    items: list[Any] = []
    for page in service.get_paginator(operation).paginate(**params):
        items.extend(page.get(key) or [])
    return {key: items}
