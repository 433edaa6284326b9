"""The live engine: a Postgres endpoint (Steampipe's service, or a plain Postgres in tests).

Every control runs in its own read-only transaction with a statement timeout; the session time zone
is UTC so that text rendered from timestamps matches the DuckDB engine.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from rootwatch.engines.base import EngineKind, QueryFailed, QueryResult
from rootwatch.engines.dsn import hide_password, mask_dsn
from rootwatch.errors import ConnectionFailed

if TYPE_CHECKING:
    import psycopg

    from rootwatch.snapshot.metadata import SnapshotInfo


class PostgresEngine:
    """Runs controls on a Postgres endpoint, one connection per worker thread."""

    kind: ClassVar[EngineKind] = "postgres"
    runs_in_process: ClassVar[bool] = False

    def __init__(self, dsn: str, *, search_path: str | None, query_timeout: float) -> None:
        self._dsn = dsn
        self._search_path = search_path
        self._timeout_ms = max(1, int(query_timeout * 1000))
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._as_of = datetime.now(timezone.utc)
        self._interrupted = threading.Event()

    @classmethod
    def open(cls, dsn: str, *, search_path: str | None = None, query_timeout: float = 300.0) -> PostgresEngine:
        """Connect once up front so that a bad DSN or search path fails before any control runs."""
        engine = cls(dsn, search_path=search_path, query_timeout=query_timeout)
        engine._connection()
        return engine

    @property
    def description(self) -> str:
        where = mask_dsn(self._dsn)
        return f"{where} (search_path {self._search_path})" if self._search_path else where

    def default_as_of(self) -> datetime:
        return self._as_of

    def snapshot_info(self) -> SnapshotInfo | None:
        return None

    def _connection(self) -> psycopg.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed:
            return connection
        connection = connect(self._dsn, hint="check --database (or $ROOTWATCH_DATABASE) and that the service is running")
        with connection.cursor() as cursor:
            # JIT compiles each control's plan anew; on the small, unanalysed tables controls read
            # that costs seconds for queries that run in milliseconds.
            cursor.execute("SELECT set_config('jit', 'off', false)")
            if self._search_path:
                cursor.execute("SELECT set_config('search_path', %s, false)", (self._search_path,))
                self._check_search_path(cursor)
        connection.commit()
        connection.read_only = True
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection

    def _check_search_path(self, cursor: Any) -> None:
        wanted = [part.strip().strip('"') for part in (self._search_path or "").split(",") if part.strip()]
        cursor.execute("SELECT nspname FROM pg_namespace")
        existing = {name for (name,) in cursor.fetchall()}
        missing = [name for name in wanted if name not in existing and name != "$user"]
        if missing:
            schemas = ", ".join(sorted(n for n in existing if not n.startswith(("pg_", "information_schema"))))
            raise ConnectionFailed(
                f"--search-path names {missing[0]!r}, which {mask_dsn(self._dsn)} does not have",
                hint=f"its schemas (Steampipe connections) are: {schemas}",
            )

    def available_tables(self) -> frozenset[str]:
        with self._connection().transaction(), self._connection().cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = ANY (current_schemas(false)) AND c.relkind IN ('r','v','m','f','p')"
            )
            return frozenset(name for (name,) in cursor.fetchall())

    def schemas_holding(self, table: str) -> list[str]:
        """Schemas of the database, on the search path or not, that have a relation ``table``."""
        from rootwatch.engines.steampipe_schemas import schemas_holding

        with self._connection().transaction(), self._connection().cursor() as cursor:
            return schemas_holding(cursor, table)

    def execute(self, sql: str) -> QueryResult:
        import psycopg
        from psycopg import errors

        if self._interrupted.is_set():
            raise QueryFailed("interrupted")
        connection = self._connection()
        try:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", (str(self._timeout_ms),))
                cursor.execute(sql)  # no parameters: the SQL is already bound, '%' stays literal
                columns = tuple(d.name for d in cursor.description or ())
                rows = cursor.fetchall()
        except errors.QueryCanceled:
            if self._interrupted.is_set():
                raise QueryFailed("interrupted") from None
            raise QueryFailed(f"query timed out after {self._timeout_ms / 1000:g} s (--query-timeout)") from None
        except psycopg.OperationalError as exc:
            connection.close()  # the next call reconnects
            raise QueryFailed(error_message(exc)) from None
        except psycopg.Error as exc:
            raise QueryFailed(error_message(exc)) from None
        return QueryResult(columns, rows)

    def interrupt(self) -> None:
        """Ask the server to cancel each connection's running statement (a cancel request on its own
        socket, bounded by a timeout), so worker threads return at once."""
        self._interrupted.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.closed:
                continue
            try:
                connection.cancel_safe(timeout=5.0)
            except Exception:  # noqa: BLE001 - best effort: the statement timeout still bounds it
                continue

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()


def connect(dsn: str, *, hint: str) -> psycopg.Connection:
    """A connection to ``dsn`` with the session time zone UTC (so that text rendered from timestamps
    matches DuckDB), or ConnectionFailed naming the masked DSN, never its password."""
    import psycopg

    try:
        connection = psycopg.connect(dsn, autocommit=False, connect_timeout=10)
    except psycopg.Error as exc:
        raise ConnectionFailed(f"cannot connect to {mask_dsn(dsn)}: {hide_password(error_message(exc), dsn)}", hint=hint) from None
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', 'UTC', false)")
    return connection


def error_message(exc: BaseException) -> str:
    """The database's own message for ``exc`` (its primary diagnostic), else the first line."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        return primary
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
