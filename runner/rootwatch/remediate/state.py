"""The accounts as they are now: re-read from AWS by ``snapshot from-aws``'s own capture, graded by
the same controls, and queried for the facts an action needs (trails, filters, alarms, topics).

A plan is made against this fresh state rather than against the user's snapshot, which may be days
old: what was fixed since is not planned again (a second ``--apply`` plans nothing), and the calls
name what exists now. The verification after applying is another :func:`refresh`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootwatch.remediate.findings import Grades, grade_controls

if TYPE_CHECKING:
    from rootwatch.mod.model import Mod
    from rootwatch.remediate.access import AccessOptions


@dataclass(frozen=True)
class Trail:
    """A trail the account owns, from its home-region row."""

    arn: str
    name: str
    home_region: str
    multi_region: bool
    logging: bool | None
    log_group_arn: str | None
    event_selectors: list[dict[str, Any]] | None
    advanced_event_selectors: list[dict[str, Any]] | None
    include_global_service_events: bool | None

    @property
    def log_group(self) -> tuple[str, str, str] | None:
        """(account, region, name) of the CloudWatch Logs group it delivers to."""
        if not self.log_group_arn:
            return None
        parts = self.log_group_arn.split(":")
        return (parts[4], parts[3], parts[6]) if len(parts) > 6 else None


@dataclass(frozen=True)
class MetricFilter:
    name: str
    pattern: str
    metric_name: str | None
    metric_namespace: str | None


@dataclass(frozen=True)
class Alarm:
    name: str
    metric_name: str | None
    namespace: str | None
    actions_enabled: bool
    actions: tuple[str, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(action for action in self.actions if action.split(":")[2:3] == ["sns"])


@dataclass(frozen=True)
class Subscription:
    topic_arn: str
    protocol: str | None
    endpoint: str | None
    confirmed: bool


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    partition: str
    organization_id: str | None
    management_account_id: str | None


class FreshState:
    """One re-read of some accounts: the graded rows and the tables behind them."""

    def __init__(self, path: Path | None, grades: Grades, captured: Collection[str], problems: Mapping[str, str], refreshed_at: datetime | None) -> None:
        from rootwatch.engines.duckdb_config import connect_snapshot

        self.path = path
        self.grades = grades
        self.captured = frozenset(captured)
        self.problems = dict(problems)
        """Account → why it could not be re-read (it is then not in ``captured``)."""
        self.refreshed_at = refreshed_at
        self._con = connect_snapshot(path) if path is not None else None

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall() if self._con is not None else []

    def account(self, account_id: str) -> AccountFacts | None:
        found = self._rows(
            "SELECT partition, organization_id, organization_master_account_id FROM aws_account WHERE account_id = ? "
            "ORDER BY organization_id NULLS LAST LIMIT 1",
            account_id,
        )
        return AccountFacts(account_id, *found[0]) if found else None

    def trails(self, account_id: str) -> list[Trail]:
        """The account's own trails (an organization trail of another account is not its to change)."""
        rows = self._rows(
            "SELECT DISTINCT ON (arn) arn, name, home_region, is_multi_region_trail, is_logging, log_group_arn, "
            "event_selectors, advanced_event_selectors, include_global_service_events FROM aws_cloudtrail_trail "
            "WHERE account_id = ? AND split_part(arn, ':', 5) = ? "
            "ORDER BY arn, CASE WHEN region = home_region THEN 0 ELSE 1 END, region",
            account_id,
            account_id,
        )
        return [
            Trail(arn, name, home, bool(multi), logging, group or None, _json(selectors), _json(advanced), include_global)
            for arn, name, home, multi, logging, group, selectors, advanced, include_global in rows
        ]

    def foreign_trails(self, account_id: str) -> list[tuple[str, str]]:
        """(trail ARN, owner account) of the organization trails of other accounts it sees."""
        return self._rows(
            "SELECT DISTINCT arn, split_part(arn, ':', 5) FROM aws_cloudtrail_trail WHERE account_id = ? AND split_part(arn, ':', 5) <> ? ORDER BY 1",
            account_id,
            account_id,
        )

    def metric_filters(self, account_id: str, region: str, log_group: str) -> list[MetricFilter]:
        rows = self._rows(
            "SELECT DISTINCT name, filter_pattern, metric_transformation_name, metric_transformation_namespace "
            "FROM aws_cloudwatch_log_metric_filter WHERE account_id = ? AND region = ? AND log_group_name = ? ORDER BY name",
            account_id,
            region,
            log_group,
        )
        return [MetricFilter(name, pattern or "", metric, namespace) for name, pattern, metric, namespace in rows]

    def alarms(self, account_id: str, region: str) -> list[Alarm]:
        rows = self._rows(
            "SELECT DISTINCT ON (name) name, metric_name, namespace, actions_enabled, alarm_actions FROM aws_cloudwatch_alarm "
            "WHERE account_id = ? AND region = ? ORDER BY name",
            account_id,
            region,
        )
        return [Alarm(name, metric, namespace, bool(enabled), tuple(_json(actions) or ())) for name, metric, namespace, enabled, actions in rows]

    def subscriptions(self, topic_arn: str) -> list[Subscription]:
        rows = self._rows(
            "SELECT DISTINCT subscription_arn, protocol, endpoint, pending_confirmation FROM aws_sns_topic_subscription WHERE topic_arn = ?",
            topic_arn,
        )
        return [Subscription(topic_arn, protocol, endpoint, _confirmed(arn, pending)) for arn, protocol, endpoint, pending in rows]


def refresh(
    mod: Mod,
    controls: Collection[str],
    variables: Mapping[str, Any],
    access: AccessOptions,
    targets: tuple[Collection[str], Collection[str]],
    regions: Collection[str],
    output: Path,
) -> FreshState:
    """Re-read accounts with ``snapshot from-aws``'s capture into ``output`` and grade ``controls``.

    ``targets`` is (account ids, profiles): with ``--role-name`` the accounts are read through the
    role, otherwise the profiles that reach them are. An account that cannot be read is in
    ``problems``; when none can, the state is empty rather than an error, so that a plan can still
    say, per account, why it stops.
    """
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.errors import ConnectionFailed
    from rootwatch.snapshot.from_aws import capture_from_aws

    account_ids, profiles = targets
    if not account_ids or (access.profiles and not access.role_name and not profiles):
        # Nothing reachable: an empty profile list would make the capture read the default chain.
        return FreshState(None, Grades({}, {}), (), {}, None)
    try:
        summary = capture_from_aws(access.capture_options(output, account_ids, profiles, regions))
    except ConnectionFailed as exc:
        return FreshState(None, Grades({}, {}), (), dict.fromkeys(account_ids, exc.message), None)
    engine = DuckDBEngine.open(output)
    try:
        grades = grade_controls(mod, engine, sorted(controls), variables)
        info = engine.snapshot_info()
    finally:
        engine.close()
    captured = {account.account_id for account in info.accounts} if info else set()
    problems: dict[str, str] = {}
    for issue in info.issues if info else ():
        if issue.kind == "error" and issue.account_id and issue.account_id not in captured:
            problems.setdefault(issue.account_id, f"{issue.source}: {issue.message}")
    for account_id in account_ids:
        if account_id not in captured:
            problems.setdefault(account_id, "not read (the credentials reach another account)")
    return FreshState(output, grades, captured, problems, summary.captured_at)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _confirmed(arn: str | None, pending: bool | None) -> bool:
    return bool(arn) and arn.startswith("arn:") and not pending
