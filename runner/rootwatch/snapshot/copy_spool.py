"""Rows of Postgres SELECTs spooled to CSV files, the next tables' while one is being loaded.

``snapshot from-steampipe`` copies a table in two steps: the server formats its rows as CSV
(``COPY (SELECT ...) TO STDOUT``), streamed into a file, and DuckDB reads and casts the file. At
organisation scale the two steps cost about the same, so doing them one after the other wasted half
the time: :class:`CopySpool` runs the COPY of the tables asked for ahead, on a few connections of
its own, while the caller loads the tables already spooled, in the order it asks for them. A
statement may come with an inspection of its file (a DuckDB query, such as which accounts the rows
name), run in the copying thread too, so that the caller only has to append the rows.

A statement that was not asked for ahead runs on the caller's connection when it is taken, as
before. Every file is removed once its rows are loaded (or the spool closes), and closing the spool
cancels the statements still running on the server, so an error or Ctrl-C does not wait for them.
"""

from __future__ import annotations

import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from rootwatch.engines.postgres_engine import connect, error_message
from rootwatch.errors import ConnectionFailed

AHEAD_CONNECTIONS = 2
"""Connections copying ahead. Two keep a 2-core machine busy: one table formatted by the server
while another is parsed by DuckDB; more only queue on the server (and on Steampipe's plugin)."""

AHEAD_FILES = AHEAD_CONNECTIONS + 1
"""Statements spooled or running but not yet taken: bounds the disk the spool holds at a time."""

SESSION_SETTINGS = ("datestyle TO 'ISO, YMD'", "timezone TO 'UTC'", "extra_float_digits TO 3", "client_encoding TO 'UTF8'")
"""Text forms DuckDB reads back exactly: ISO timestamps with their offset, every digit of a
double, UTF-8. Set LOCAL: the session's own settings return at COMMIT."""

Statement = tuple[str, tuple[Any, ...]]
"""A SELECT and its parameters."""

Inspection = Callable[[Any, Path], Any]
"""``inspect(duckdb_cursor, csv_path)``: what the caller wants to know of a spooled file; its
cursor (of the caller's DuckDB instance) is the inspection's own, used by one thread."""


@dataclass(frozen=True)
class Job:
    """A statement to spool, how messages name it, and what to look at in its rows."""

    statement: Statement
    where: str
    inspect: Inspection | None = None


@dataclass(frozen=True)
class Spooled:
    """The rows of one statement in a CSV file, or why there are none."""

    path: Path
    failure: str | None
    """The database's message when the statement failed (the file is then empty or partial)."""
    inspected: Any = None
    """What the job's inspection returned (None when it has none, or the statement failed)."""


class _NoConnection(Exception):
    """A connection to copy ahead could not be opened: the caller copies that statement itself."""


def spool(connection: Any, statement: Statement, path: Path, where: str) -> str | None:
    """COPY the rows of ``statement`` into ``path`` as CSV; the database's message if it failed.

    The failed transaction is rolled back and the connection stays usable; a lost connection is
    :class:`ConnectionFailed` naming ``where``.
    """
    import psycopg

    sql, params = statement
    try:
        with connection.cursor() as cursor:
            for setting in SESSION_SETTINGS:
                cursor.execute(f"SET LOCAL {setting}")
            with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params or None) as copy, open(path, "wb") as file:
                for chunk in copy:
                    file.write(chunk)
        connection.commit()
    except psycopg.Error as exc:
        if connection.broken:
            raise ConnectionFailed(f"lost the connection while copying {where}: {error_message(exc)}") from None
        connection.rollback()
        return error_message(exc)
    return None


class CopySpool:
    """Spools statements to CSV files: ahead on connections of its own, or on ``connection`` when
    a statement is taken that was not asked for ahead. Inspections run on cursors of ``duck`` (a
    DuckDB connection). Use as a context manager."""

    def __init__(self, connection: Any, dsn: str, duck: Any, *, connections: int = AHEAD_CONNECTIONS) -> None:
        self._connection = connection
        self._dsn = dsn
        self._duck = duck
        self._directory = tempfile.TemporaryDirectory(prefix="rootwatch-copy-")
        self._executor = ThreadPoolExecutor(connections, thread_name_prefix="rootwatch-copy")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._own: list[Any] = []
        """The connections opened to copy ahead (to cancel and close them)."""
        self._queued: deque[Job] = deque()
        """Asked for ahead, not yet started."""
        self._started: dict[Statement, tuple[Future[Spooled], Any]] = {}
        """Started ahead, not yet taken: the result to come, and the DuckDB cursor it inspects with."""
        self._count = 0
        self._closed = False
        self._refused = False

    def __enter__(self) -> CopySpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None) -> None:
        self.close()

    def ahead(self, jobs: Iterable[Job]) -> None:
        """Start copying (and inspecting) ``jobs``, in this order, before they are taken."""
        self._queued.extend(jobs)
        self._start_more()

    def take(self, job: Job) -> Spooled:
        """The rows of ``job``: spooled ahead (waiting for it to finish), else copied now on the
        caller's connection. Hand the result back with :meth:`release` once it is loaded."""
        started = self._started.pop(job.statement, None)
        if started is None:
            self._queued = deque(item for item in self._queued if item.statement != job.statement)
            result = self._run(self._connection, job, self._duck.cursor())
        else:
            future, cursor = started
            try:
                result = future.result()
            except _NoConnection:
                result = self._run(self._connection, job, cursor)
        self._start_more()
        return result

    def release(self, spooled: Spooled) -> None:
        """Remove the file of a statement whose rows are loaded."""
        spooled.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Cancel what is still queued or running, close the spool's connections, remove its files."""
        if self._closed:
            return
        self._closed = True
        self._queued.clear()
        for future, _ in self._started.values():
            future.cancel()
        with self._lock:
            for connection in self._own:
                # Not waiting for a statement nobody will read: the server stops it.
                try:
                    connection.cancel_safe()
                except Exception:  # noqa: BLE001 - a connection already gone has nothing to cancel
                    pass
        self._executor.shutdown(wait=True, cancel_futures=True)
        for connection in self._own:
            connection.close()
        for _, cursor in self._started.values():
            cursor.close()
        self._started.clear()
        self._directory.cleanup()

    def _start_more(self) -> None:
        while self._queued and len(self._started) < AHEAD_FILES:
            job = self._queued.popleft()
            if job.statement not in self._started:
                # The cursor is made here, in the caller's thread: a DuckDB connection object is
                # not to be used by two threads at once.
                cursor = self._duck.cursor()
                self._started[job.statement] = (self._executor.submit(self._ahead, job, cursor), cursor)

    def _ahead(self, job: Job, cursor: Any) -> Spooled:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            with self._lock:
                if self._closed or self._refused:
                    raise _NoConnection
                try:
                    connection = connect(self._dsn, hint="")
                except ConnectionFailed:
                    # The endpoint admits no more connections (a connection limit): the caller's
                    # one copies this statement, and the ones after it, instead.
                    self._refused = True
                    raise _NoConnection from None
                self._own.append(connection)
            self._local.connection = connection
        return self._run(connection, job, cursor)

    def _run(self, connection: Any, job: Job, cursor: Any) -> Spooled:
        """Spool and inspect ``job``, then close ``cursor``."""
        with self._lock:
            self._count += 1
            path = Path(self._directory.name) / f"{self._count}.csv"
        try:
            failure = spool(connection, job.statement, path, job.where)
            inspected = job.inspect(cursor, path) if failure is None and job.inspect else None
        finally:
            cursor.close()
        return Spooled(path, failure, inspected)
