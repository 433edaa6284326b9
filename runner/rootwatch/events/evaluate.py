"""Which events are root activity: the ``root_activity`` query itself, run on each batch.

There is one definition of what counts (``queries/root_activity.sql``: root, not invoked by a
service, not an ``AwsServiceEvent``, less what the ``root_activity_*`` variables exclude). The
event path does not restate it in Python: a batch of events is loaded into an in-memory DuckDB
table of the snapshot's ``aws_cloudtrail_trail_event`` shape, by the snapshot builder's own row
transform, and the query, compiled once with the run's variables as ``query run`` compiles it, is
run on that table. What the query returns alerts; what it leaves out does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rootwatch.events.reading import Event
from rootwatch.schema.tables import TRAIL_EVENT_TABLE

if TYPE_CHECKING:
    from rootwatch.mod.model import Mod

QUERY = "root_activity"


@dataclass(frozen=True)
class Activity:
    """One event the query lists: its row (the query's columns) and the event it came from."""

    row: Mapping[str, Any]
    event: Event

    @property
    def time(self) -> datetime:
        value = self.row["event_time"]
        return value if value.utcoffset() is not None else value.replace(tzinfo=timezone.utc)

    def get(self, column: str) -> Any:
        return self.row.get(column)


class ActivityQuery:
    """The compiled ``root_activity`` query and the in-memory table it runs on.

    Not thread-safe: one per consumer (a command, a warm Lambda instance).
    """

    def __init__(self, mod: Mod, variables: Mapping[str, Any]) -> None:
        import duckdb

        from rootwatch.engines.duckdb_config import SNAPSHOT_READER
        from rootwatch.errors import UnknownNameError
        from rootwatch.schema.tables import table_named
        from rootwatch.sql.compile import compile_sql

        if QUERY not in mod.queries:
            raise UnknownNameError("query", QUERY, list(mod.queries))
        # The query reads no clock; the instant only keys the compile cache.
        self.sql = compile_sql(mod.queries[QUERY].source, "duckdb", variables, datetime.now(timezone.utc))
        self._table = table_named(TRAIL_EVENT_TABLE)
        # Rows are inserted from Python: no file, network or extension is ever needed here.
        self._connection = duckdb.connect(config=dict(SNAPSHOT_READER))
        self._connection.execute("SET TimeZone = 'UTC'")
        self._connection.execute("SET threads = 1")  # batches are small: threads only cost here
        self._connection.execute(self._table.ddl("duckdb"))

    def run(self, events: Sequence[Event]) -> list[Activity]:
        """The events of ``events`` the query lists, in its order (newest first).

        An event delivered twice in one batch is listed once (the query's ``distinct on``).
        """
        from rootwatch.snapshot.loading import insert_columns, typed_batches

        if not events:
            return []
        connection = self._connection
        connection.execute(f"DELETE FROM {TRAIL_EVENT_TABLE}")
        for names, cells in typed_batches(self._table, (event.row for event in events)):
            insert_columns(connection, self._table, names, cells)
        cursor = connection.execute(self.sql)
        columns = [d[0] for d in cursor.description or ()]
        by_key = {}
        for event in events:
            by_key.setdefault((event.account_id, event.event_id), event)
        found = []
        for values in cursor.fetchall():
            row = dict(zip(columns, values))
            event = by_key.get((str(row.get("account_id")), str(row.get("event_id"))))
            if event is not None:
                found.append(Activity(row, event))
        return found

    def close(self) -> None:
        self._connection.close()
