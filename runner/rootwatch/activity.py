"""Root activity per day, for the HTML report's timeline, when a snapshot holds CloudTrail events.

The events are the mod's own analyst query ``root_activity`` (every root event as the CIS metric
filter counts it, with the kind of credential and the outcome), so the timeline and ``rootwatch query
run root_activity`` can never disagree. They are counted per UTC day, account, kind of credential
(console password, root access key, centralized root session, other) and outcome. Only snapshots
are read: on a live Steampipe endpoint the event table reads whole CloudWatch Logs groups. A
snapshot without CloudTrail event rows, or a mod without the query, gives no timeline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from rootwatch.engines.base import Engine, QueryFailed
from rootwatch.errors import RootwatchError

if TYPE_CHECKING:
    from rootwatch.mod.model import Mod
    from rootwatch.sql.parsing import SqlSource

ACTIVITY_QUERY = "root_activity"
EVENT_TABLE = "aws_cloudtrail_trail_event"
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

    if engine.snapshot_info() is None or EVENT_TABLE not in engine.available_tables():
        return None
    try:
        if not engine.execute(f"select count(*) from {EVENT_TABLE}").rows[0][0]:
            return None
        result = engine.execute(compile_sql(source, engine.kind, values, as_of))
    except (QueryFailed, RootwatchError):
        return None
    columns = {name: index for index, name in enumerate(result.columns)}
    if not {"event_time", "account_id", "credential", "outcome"} <= set(columns):
        return None
    counts: Counter[tuple[date, str, str, bool]] = Counter()
    for row in result.rows:
        moment = row[columns["event_time"]]
        if not isinstance(moment, datetime):
            continue
        day = (moment if moment.tzinfo is None else moment.astimezone(timezone.utc)).date()
        credential = row[columns["credential"]] if row[columns["credential"]] in CREDENTIALS else "other"
        counts[(day, str(row[columns["account_id"]]), credential, row[columns["outcome"]] == "failed")] += 1
    days: dict[tuple[date, str, str], list[int]] = {}
    for (day, account, credential, failed), number in counts.items():
        days.setdefault((day, account, credential), [0, 0])[failed] += number
    return tuple(ActivityDay(day, account, credential, ok, bad) for (day, account, credential), (ok, bad) in sorted(days.items()))
