"""De-duplicating bursts: one alert per account, source IP and event name within a window.

A root key listing buckets five times in forty seconds is one thing to look at, not five pages.
The first event of a key (account, source IP, event name, outcome) alerts; later events of that key whose
event time is within the window of the alerted one are counted into it (when they arrive in the
same batch: "5 times from 22:45:01 to 22:45:41") or, arriving later, told only at ``verbose``.
Windows are measured in event time, not arrival time, so replaying a day of logs de-duplicates as
the live stream did. An event id seen before (a queue delivering a message twice, two trails) is
dropped quietly.

The state (:class:`DedupState`) changes only through :meth:`Deduplicator.commit`, called once the
alert was delivered: an alert that could not be delivered is not remembered, so when its message
comes back from the queue it alerts again instead of being swallowed as a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from rootwatch.events.evaluate import Activity

KEPT_FOR = timedelta(days=1)
"""How long (wall clock, since it was noted) an alert or event id is remembered, at least: a queue
redelivers within its visibility timeouts, and a replay of old logs is over by then."""
MAX_KEPT = 50_000


def burst_key(activity: Activity) -> str:
    """``account|source IP|event name|outcome``: what makes two events the same burst. The outcome
    is part of it so that a sign-in that succeeds after failed ones is told, not counted in."""
    row = activity.row
    return "|".join(str(row.get(c) or "") for c in ("account_id", "source_ip_address", "event_name", "outcome"))


def seen_key(activity: Activity) -> str:
    return f"{activity.row.get('account_id')}|{activity.row.get('event_id')}"


class Mark(NamedTuple):
    """An event's time, and when rootwatch noted it (what pruning goes by)."""

    event_time: datetime
    noted_at: datetime


@dataclass
class DedupState:
    """What was alerted (burst key → the alerted event) and which events were seen (id → event)."""

    alerts: dict[str, Mark] = field(default_factory=dict)
    seen: dict[str, Mark] = field(default_factory=dict)


@dataclass
class Group:
    """An alert: its first event and the events of the same burst in the same batch."""

    first: Activity
    members: list[Activity] = field(default_factory=list)

    @property
    def count(self) -> int:
        return 1 + len(self.members)

    @property
    def last(self) -> Activity:
        return self.members[-1] if self.members else self.first


@dataclass
class Plan:
    """What a batch comes to before anything is sent."""

    groups: list[Group] = field(default_factory=list)
    duplicates: list[tuple[Activity, datetime]] = field(default_factory=list)
    """Events of a burst alerted in an earlier batch, with that alert's event time."""
    repeats: list[Activity] = field(default_factory=list)
    """Events whose id was seen before."""


class Deduplicator:
    """Plans a batch against the state, and commits a plan once its alerts were delivered."""

    def __init__(self, window_seconds: float, state: DedupState | None = None) -> None:
        self.window = timedelta(seconds=window_seconds)
        self.state = state or DedupState()

    def plan(self, activities: Sequence[Activity]) -> Plan:
        plan = Plan()
        open_groups: dict[str, Group] = {}
        ids: set[str] = set()
        for activity in sorted(activities, key=lambda a: (a.time, seen_key(a))):
            ident = seen_key(activity)
            if ident in self.state.seen or ident in ids:
                plan.repeats.append(activity)
                continue
            ids.add(ident)
            key = burst_key(activity)
            group = open_groups.get(key)
            if group is not None and self._within(group.first.time, activity.time):
                group.members.append(activity)
                continue
            alerted = self.state.alerts.get(key)
            if group is None and alerted is not None and self._within(alerted.event_time, activity.time):
                plan.duplicates.append((activity, alerted.event_time))
                continue
            open_groups[key] = Group(activity)
            plan.groups.append(open_groups[key])
        return plan

    def _within(self, alerted: datetime, time: datetime) -> bool:
        return self.window.total_seconds() > 0 and abs(time - alerted) < self.window

    def commit(self, plan: Plan, now: datetime | None = None) -> None:
        """Remember ``plan``'s alerts and events (call after the alerts were delivered)."""
        now = now or datetime.now(timezone.utc)
        state = self.state
        for group in plan.groups:
            key = burst_key(group.first)
            known = state.alerts.get(key)
            if known is None or group.first.time > known.event_time:
                state.alerts[key] = Mark(group.first.time, now)
            for activity in (group.first, *group.members):
                state.seen[seen_key(activity)] = Mark(activity.time, now)
        for activity in (*(a for a, _ in plan.duplicates), *plan.repeats):
            state.seen[seen_key(activity)] = Mark(activity.time, now)
        since = now - max(self.window, KEPT_FOR)
        state.alerts = _recent(state.alerts, since)
        state.seen = _recent(state.seen, since)


def _recent(entries: dict[str, Mark], since: datetime) -> dict[str, Mark]:
    """The entries noted at or after ``since``, at most the MAX_KEPT latest events."""
    kept = sorted(((m, k) for k, m in entries.items() if m.noted_at >= since), reverse=True)[:MAX_KEPT]
    return {k: m for m, k in sorted(kept)}
