"""Root activity per day, for the HTML report's timeline, when a snapshot holds CloudTrail events.

The events are the mod's own analyst query ``root_activity`` (every root event as the CIS metric
filter counts it, with the kind of credential and the outcome), so the timeline and ``rootwatch query
run root_activity`` can never disagree. They are counted in the database per UTC day, account,
kind of credential (console password, root access key, centralized root session, other) and
outcome. Only snapshots are read: on a live Steampipe endpoint the event table reads whole
CloudWatch Logs groups. A snapshot without CloudTrail event rows, or a mod without the query, gives
no timeline. The command line asks for it only when it prints or exports the HTML report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rootwatch.engines.base import Engine, QueryFailed
from rootwatch.errors import RootwatchError
from rootwatch.schema.tables import TRAIL_EVENT_TABLE

if TYPE_CHECKING:
    from rootwatch.mod.model import Mod
    from rootwatch.sql.parsing import SqlSource

ACTIVITY_QUERY = "root_activity"
CREDENTIALS = ("password", "root access key", "centralized root session", "other")
"""Kinds of root sign-in the timeline tells apart, in legend order."""


@dataclass(frozen=True)
class ActivityDay:
    """Root events of one account on one UTC day with one kind of credential."""

    day: date
    account_id: str
    credential: str
    """One of :data:`CREDENTIALS`."""
    succeeded: int
    failed: int

    @property
    def total(self) -> int:
        return self.succeeded + self.failed


def activity_query(mod: Mod) -> SqlSource | None:
    """The mod's ``root_activity`` query, or None when it has none."""
    query = mod.queries.get(ACTIVITY_QUERY)
    return query.source if query is not None else None


def root_activity(
    engine: Engine, source: SqlSource, as_of: datetime, values: Mapping[str, Any]
) -> tuple[ActivityDay, ...] | None:
    """Root events per day, account and credential; None when the engine is no snapshot, holds no
    CloudTrail event rows, or the query fails (a picture is never worth failing a run for)."""
    from rootwatch.sql.compile import compile_sql

    if engine.snapshot_info() is None or TRAIL_EVENT_TABLE not in engine.available_tables():
        return None
    try:
        if not engine.execute(f"select count(*) from {TRAIL_EVENT_TABLE}").rows[0][0]:
            return None
        # Counted in the database: an organisation's events never cross into Python one by one.
        # Both engines' sessions are in UTC, so the date is the UTC day.
        events = compile_sql(source, engine.kind, values, as_of)
        result = engine.execute(
            "select cast(event_time as date) as day, account_id, credential, outcome = 'failed' as failed, "
            f"count(*) as events from ({events}) as activity group by 1, 2, 3, 4"
        )
    except (QueryFailed, RootwatchError):
        return None
    counts: dict[tuple[date, str, str], list[int]] = {}
    for day, account, credential, failed, events in result.rows:
        if not isinstance(day, date):
            continue
        kind = credential if credential in CREDENTIALS else "other"
        counts.setdefault((day, str(account), kind), [0, 0])[1 if failed else 0] += int(events)
    return tuple(ActivityDay(day, account, kind, ok, bad) for (day, account, kind), (ok, bad) in sorted(counts.items()))
