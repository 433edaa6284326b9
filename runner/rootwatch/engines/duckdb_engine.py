"""The DuckDB snapshot engine: read-only, no file or network access while controls run."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rootwatch.engines.base import EngineKind, QueryFailed, QueryResult
from rootwatch.errors import ConnectionFailed
from rootwatch.snapshot.metadata import format_refusal

if TYPE_CHECKING:
    import duckdb

    from rootwatch.snapshot.metadata import SnapshotInfo

# Applied before the configuration is locked, so a control cannot undo them.
_SESSION_SETTINGS = (
    "SET TimeZone = 'UTC'",
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET lock_configuration = true",
)


class DuckDBEngine:
    """Runs controls on a DuckDB database (normally a snapshot file opened read-only)."""

    kind: ClassVar[EngineKind] = "duckdb"
    runs_in_process: ClassVar[bool] = True

    def __init__(self, connection: duckdb.DuckDBPyConnection, description: str, *, query_timeout: float) -> None:
        for statement in _SESSION_SETTINGS:
            connection.execute(statement)
        self._connection = connection
        self._description = description
        self._query_timeout = query_timeout
        self._local = threading.local()
        self._cursors: list[Any] = []
        self._lock = threading.Lock()
        self._info: SnapshotInfo | None = None
        self._info_read = False
        self.capture_time_missing: str | None = None
        """Why this database has no capture time to grade as of (None when it has one)."""
        self._fallback_said = False
        self._interrupted = False
        self._tables: frozenset[str] | None = None
        self._tables_fixed = False
        """Whether the tables cannot change (a snapshot file opened read-only), so that the list is
        read once: a run asks for it three times or more."""
        self._kept: dict[str, Any] = {}
        """Rows kept by :meth:`keep_rows`: relation name -> DuckDB's handle on them."""
        self._views: dict[int, tuple[Any, dict[str, str]]] = {}
        """Per cursor (by id): the cursor and its temporary views over kept rows (name -> source)."""

    @classmethod
    def open(cls, path: Path, *, query_timeout: float = 300.0, statements_at_once: int = 1) -> DuckDBEngine:
        """Open the snapshot at ``path`` read-only, without external access (its header checked
        first), for ``statements_at_once`` statements at a time (DuckDB's threads shared among them)."""
        if not path.exists():
            raise ConnectionFailed(
                f"snapshot {path} does not exist",
                hint="build one with 'rootwatch snapshot from-files DIR -o FILE' (or from-aws, from-steampipe)",
            )
        from rootwatch.engines.duckdb_config import connect_snapshot, duckdb_core

        duckdb = duckdb_core()
        connection = connect_snapshot(path, statements_at_once)  # header checked, no network, no other file
        engine = cls(connection, f"snapshot {path}", query_timeout=query_timeout)
        engine._tables_fixed = True
        try:
            _require_whole_file(connection, path)
            info = engine.snapshot_info()  # read now: a damaged file fails here, not as exit 4 later
        except duckdb.Error as exc:
            engine.close()
            raise _damaged(path, _first_line(exc)) from None
        except ConnectionFailed:
            engine.close()
            raise
        refusal = None if info is None else format_refusal(info, "read")
        if refusal is not None:
            engine.close()
            raise ConnectionFailed(f"snapshot {path} {refusal[0]}", hint=refusal[1])
        return engine

    @classmethod
    def from_connection(
        cls, connection: duckdb.DuckDBPyConnection, description: str = "in-memory DuckDB", *, query_timeout: float = 300.0
    ) -> DuckDBEngine:
        """Wrap an open connection (tests load rows into an in-memory database first)."""
        return cls(connection, description, query_timeout=query_timeout)

    @property
    def description(self) -> str:
        return self._description

    def snapshot_info(self) -> SnapshotInfo | None:
        if not self._info_read:
            from rootwatch.snapshot.metadata import read_snapshot_info

            info = read_snapshot_info(self._cursor())
            if info is None:
                self.capture_time_missing = "has no rootwatch metadata (no rootwatch_snapshot table)"
            elif info.captured_at is None:
                # Its issues (what was not captured) still count: only the instant is unknown.
                self.capture_time_missing = "has no capture time (rootwatch_snapshot.captured_at is NULL)"
                info = replace(info, captured_at=datetime.now(timezone.utc))
            self._info = info
            self._info_read = True
        return self._info

    def default_as_of(self) -> datetime:
        """The capture time; without one, now, said once on stderr: an age graded against the wall
        clock changes from run to run, which the reader of the results must know."""
        info = self.snapshot_info()
        if self.capture_time_missing is None and info is not None:
            return info.captured_at
        if not self._fallback_said:
            self._fallback_said = True
            sys.stderr.write(f"rootwatch: warning: {self._description} {self.capture_time_missing}: grading as of "
                             "now (the wall clock), so ages and freshness change from run to run; pass --as-of "
                             "to grade as of the capture\n")
        return datetime.now(timezone.utc)

    def available_tables(self) -> frozenset[str]:
        if self._tables is not None:
            return self._tables
        rows = self._cursor().execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        views = self._cursor().execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        tables = frozenset(name for (name,) in rows + views)
        if self._tables_fixed:
            self._tables = tables
        return tables

    def _cursor(self) -> Any:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
            with self._lock:
                self._cursors.append(cursor)
        return cursor

    def execute(self, sql: str) -> QueryResult:
        cursor = self._cursor()
        with self._statement(cursor):
            self._see_kept_rows(cursor)
            cursor.execute(sql)
            description = cursor.description or ()
            columns = tuple(d[0] for d in description)
            rows = _decode_json(cursor.fetchall(), [i for i, d in enumerate(description) if str(d[1]) == "JSON"])
        return QueryResult(columns, rows)

    @property
    def can_keep_rows(self) -> bool:
        """Whether this DuckDB can keep a result's rows for every cursor to read (a build whose
        connections have ``_register_collection``); without it, nothing is kept and controls
        compute every relation they read, as they always did."""
        return hasattr(self._connection, "_register_collection") and hasattr(self._connection, "_submit")

    def keep_rows(self, name: str, sql: str) -> None:
        """Run ``sql`` once and keep its rows, which every later statement, on any worker's
        cursor, reads as the table ``name`` until :meth:`forget_kept_rows`.

        The snapshot is read-only and its configuration locked: no table can be created in it, an
        ATTACHed ``:memory:`` database is refused, and a TEMP table lives in one cursor's
        connection only. The rows are kept instead as DuckDB keeps a materialised relation's, in
        this process, with their exact types, under a source name every cursor of the connection
        can read; each cursor gets a temporary view ``name`` over it before its next statement.
        Raises QueryFailed as :meth:`execute` does (interrupted, timed out, rejected).
        """
        cursor = self._cursor()
        with self._statement(cursor):
            self._see_kept_rows(cursor)  # a relation may read one kept before it
            handle = cursor._register_collection(cursor._submit(sql, None, "rows"))
        with self._lock:
            self._kept[name] = handle

    def forget_kept_rows(self) -> None:
        """Release every kept result and the cursors' views over them (at the end of a run)."""
        from rootwatch.engines.duckdb_config import duckdb_core

        duckdb = duckdb_core()
        with self._lock:
            self._kept.clear()
            views = list(self._views.values())
            self._views.clear()
        for cursor, names in views:
            for name in names:
                try:
                    cursor.execute(f"DROP VIEW IF EXISTS temp.main.{_quoted(name)}")
                except duckdb.Error:
                    pass  # a cursor closed or interrupted: its views go with it

    def _see_kept_rows(self, cursor: Any) -> None:
        """Give ``cursor`` a temporary view over each kept result it does not see yet (and drop
        its views over results released since)."""
        with self._lock:
            kept = {name: handle.name for name, handle in self._kept.items()}
            if not kept and id(cursor) not in self._views:
                return
            _, views = self._views.setdefault(id(cursor), (cursor, {}))
        for name in [n for n in views if n not in kept]:
            cursor.execute(f"DROP VIEW IF EXISTS temp.main.{_quoted(name)}")
            del views[name]
        for name, source in kept.items():
            if views.get(name) != source:
                cursor.execute(f"CREATE OR REPLACE TEMP VIEW {_quoted(name)} AS SELECT * FROM {_quoted(source)}")
                views[name] = source

    @contextmanager
    def _statement(self, cursor: Any) -> Iterator[None]:
        """Run a statement on ``cursor`` under the query timeout, its failures as QueryFailed; the
        memory it freed is handed back to the system afterwards (see duckdb_memory)."""
        from rootwatch.engines.duckdb_config import duckdb_core
        from rootwatch.engines.duckdb_memory import return_freed_memory

        duckdb = duckdb_core()
        if self._interrupted:
            raise QueryFailed("interrupted")
        timer = threading.Timer(self._query_timeout, cursor.interrupt)
        timer.daemon = True
        timer.start()
        try:
            yield
        except duckdb.InterruptException:
            if self._interrupted:
                raise QueryFailed("interrupted") from None
            raise QueryFailed(f"query timed out after {self._query_timeout:g} s (--query-timeout)") from None
        except duckdb.Error as exc:
            raise QueryFailed(_first_line(exc)) from None
        finally:
            timer.cancel()
            return_freed_memory()

    def interrupt(self) -> None:
        """Interrupt the statement each worker's cursor is running."""
        self._interrupted = True
        with self._lock:
            cursors = list(self._cursors)
        for cursor in cursors:
            cursor.interrupt()

    def close(self) -> None:
        with self._lock:
            self._kept.clear()
            self._views.clear()
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._connection.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _decode_json(rows: list[tuple[Any, ...]], json_columns: list[int]) -> list[tuple[Any, ...]]:
    """JSON columns decoded, as psycopg decodes jsonb: DuckDB hands JSON back as its text, so
    ``-> 'ReadWriteType'`` would read ``"All"`` (quoted) here and ``All`` on Postgres."""
    if not json_columns:
        return rows
    decoded = []
    for row in rows:
        values = list(row)
        for index in json_columns:
            if values[index] is not None:
                values[index] = json.loads(values[index])
        decoded.append(tuple(values))
    return decoded


_HEADER_BYTES = 3 * 4096
"""A DuckDB file starts with its main header and two database headers of 4 KiB each, then blocks."""


def _require_whole_file(connection: Any, path: Path) -> None:
    """ConnectionFailed when ``path`` is shorter than the blocks DuckDB's header says it holds (a
    truncated copy or download): DuckDB opens it and fails only on the first query that reads a
    missing block, with an I/O error that looked like a rootwatch bug."""
    row = connection.execute("SELECT block_size, total_blocks FROM pragma_database_size() LIMIT 1").fetchone()
    if row is None:
        return
    block_size, total_blocks = row
    expected = _HEADER_BYTES + int(block_size) * int(total_blocks)
    actual = os.path.getsize(path)
    if actual < expected:
        raise _damaged(path, f"{actual} bytes where its header says {expected}; it was cut short")


def _damaged(path: Path, detail: str) -> ConnectionFailed:
    return ConnectionFailed(f"snapshot {path} is damaged: {detail}",
                            hint="rebuild it, or copy it again from where it was made")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
