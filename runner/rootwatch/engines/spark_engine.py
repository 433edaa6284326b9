"""The Spark engine: controls and queries as Spark SQL on a Parquet export of a snapshot (a DuckDB
snapshot file is exported on the fly), embedded (``local[N]``) or on a cluster through Spark Connect.

Every table is a temporary view of the engine's own Spark session, typed as the snapshot's columns
(JSON as text). Queries run with a tag, so that a timeout or Ctrl-C cancels exactly their Spark
jobs; Ctrl-C then ends the run with exit code 130 as on the other engines.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rootwatch.engines.base import CloudTrailInput, EngineKind, QueryFailed, QueryResult
from rootwatch.engines.spark_session import SparkTarget, first_line, session_for
from rootwatch.errors import ConnectionFailed, InputError
from rootwatch.schema.tables import TRAIL_EVENT_TABLE

if TYPE_CHECKING:
    from rootwatch.snapshot.metadata import SnapshotInfo

# DuckDB column types of a snapshot (as its export manifest lists them) -> Spark SQL types.
_SPARK_TYPES = {
    "VARCHAR": "STRING",
    "JSON": "STRING",
    "BOOLEAN": "BOOLEAN",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "DOUBLE": "DOUBLE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "DATE": "DATE",
}


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type of a snapshot column of DuckDB type ``duckdb_type``."""
    try:
        return _SPARK_TYPES[duckdb_type.upper()]
    except KeyError:
        raise InputError(f"a snapshot column of type {duckdb_type} has no Spark type in rootwatch") from None


def ddl_schema(columns: Iterable[tuple[str, str]]) -> str:
    """A Spark DDL schema string (```name` TYPE, ...``) for (column, DuckDB type) pairs."""
    return ", ".join(f"`{name.replace('`', '``')}` {spark_type(kind)}" for name, kind in columns)


class SparkEngine:
    """Runs controls on Spark temporary views, one Spark session per engine (an isolated
    session of the process's shared one when embedded)."""

    kind: ClassVar[EngineKind] = "spark"
    runs_in_process: ClassVar[bool] = False  # the JVM runs them; this process waits

    def __init__(
        self,
        session: Any,
        description: str,
        *,
        query_timeout: float = 300.0,
        info: SnapshotInfo | None = None,
        cleanup: Callable[[], None] | None = None,
    ) -> None:
        self._session = session
        self._description = description
        self._query_timeout = query_timeout
        self._info = info
        self._cleanup = cleanup
        self._tag = f"rootwatch-{uuid.uuid4().hex[:12]}"
        self._cancelled = threading.Event()
        self._tables: set[str] = set()
        self._previous_sigint: Any = None
        self._install_interrupt()

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def session(cls, target: SparkTarget) -> Any:
        """A session for one engine: a new session (own views and settings) of the process's
        Spark when embedded; the Connect session itself otherwise."""
        shared = session_for(target)
        session = shared if target.is_connect else shared.newSession()
        session.conf.set("spark.sql.session.timeZone", "UTC")
        return session

    @classmethod
    def open(
        cls,
        target: SparkTarget,
        snapshot: Path,
        *,
        query_timeout: float = 300.0,
        cloudtrail: CloudTrailInput | None = None,
    ) -> SparkEngine:
        """An engine on ``snapshot``: a Parquet export folder, or a DuckDB snapshot file exported
        into a temporary folder first (removed on close)."""
        from rootwatch.snapshot.parquet_export import MANIFEST

        if not snapshot.exists():
            raise ConnectionFailed(
                f"snapshot {snapshot} does not exist",
                hint="pass a DuckDB snapshot file or a Parquet export folder (rootwatch snapshot export DIR --format parquet)",
            )
        scratch: Path | None = None
        folder = snapshot
        if snapshot.is_file():
            from rootwatch.snapshot.parquet_export import export_parquet

            scratch = Path(tempfile.mkdtemp(prefix="rootwatch-export-"))
            folder = scratch / "export"
            try:
                export_parquet(snapshot, folder)
            except BaseException:
                shutil.rmtree(scratch, ignore_errors=True)
                raise
        elif not (snapshot / MANIFEST).is_file():
            raise ConnectionFailed(
                f"{snapshot} is a folder without {MANIFEST}, so not a rootwatch Parquet export",
                hint="write one with 'rootwatch snapshot export DIR --format parquet --snapshot FILE'",
            )

        def remove_scratch() -> None:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

        try:
            session = cls.session(target)
            engine = cls(
                session,
                f"{target.description}, snapshot {snapshot}",
                query_timeout=query_timeout,
                cleanup=remove_scratch,
            )
        except BaseException:
            remove_scratch()
            raise
        try:
            engine._info = engine.register_export(folder)
            if cloudtrail is not None:
                register_cloudtrail(session, cloudtrail, engine.default_as_of())
                engine._tables.add(TRAIL_EVENT_TABLE)
        except BaseException:
            engine.close()
            raise
        return engine

    def register_export(self, folder: Path) -> SnapshotInfo | None:
        """A view for every table of the Parquet export at ``folder``; returns its snapshot metadata."""
        from rootwatch.snapshot.parquet_export import read_manifest

        manifest = read_manifest(folder)
        tables: Mapping[str, Any] = manifest.get("tables") or {}
        for name, table in tables.items():
            columns = [(c["name"], c["type"]) for c in table["columns"]]
            frame = self._session.read.schema(ddl_schema(columns)).parquet(str(folder / name))
            self.register(name, frame)
        return _snapshot_info(manifest)

    def register(self, name: str, frame: Any) -> None:
        """Make ``frame`` readable as table ``name``."""
        frame.createOrReplaceTempView(name)
        self._tables.add(name)

    # -- the Engine protocol ------------------------------------------------------------------

    @property
    def description(self) -> str:
        return self._description

    def snapshot_info(self) -> SnapshotInfo | None:
        return self._info

    def default_as_of(self) -> datetime:
        return self._info.captured_at if self._info is not None else datetime.now(timezone.utc)

    def available_tables(self) -> frozenset[str]:
        return frozenset(self._tables)

    def execute(self, sql: str) -> QueryResult:
        """Run one statement; its Spark jobs carry this engine's tag and one of their own. A
        watchdog interrupts them once the timeout passes or the engine is cancelled, again and
        again until the statement ends (a job that had not started yet is caught too)."""
        if self._cancelled.is_set():
            raise QueryFailed("cancelled")
        session = self._session
        query_tag = f"{self._tag}-{uuid.uuid4().hex[:8]}"
        done = threading.Event()
        timed_out = threading.Event()

        context = _classic_context(session)

        def interrupt() -> None:
            with contextlib.suppress(Exception):
                if context is not None:
                    context.cancelJobGroup(query_tag)
                else:
                    session.interruptTag(query_tag)

        def watchdog() -> None:
            deadline = time.monotonic() + self._query_timeout
            while not done.wait(0.25):
                if self._cancelled.is_set() or time.monotonic() >= deadline:
                    if not self._cancelled.is_set():
                        timed_out.set()
                    interrupt()

        if context is not None:
            # Embedded Spark: a job group of this thread (PySpark pins each Python thread to a JVM
            # thread), which another thread can cancel.
            context.setJobGroup(query_tag, "rootwatch", interruptOnCancel=True)
        else:
            session.addTag(self._tag)
            session.addTag(query_tag)
        threading.Thread(target=watchdog, daemon=True).start()
        try:
            table = session.sql(sql).toArrow()
        except Exception as exc:  # noqa: BLE001 - Spark raises analysis, runtime and Py4J/gRPC errors
            if timed_out.is_set():
                raise QueryFailed(f"query timed out after {self._query_timeout:g} s (--query-timeout)") from None
            if self._cancelled.is_set():
                raise QueryFailed("cancelled") from None
            raise QueryFailed(first_line(exc)) from None
        finally:
            done.set()
            with contextlib.suppress(Exception):
                if context is not None:
                    context.clearJobGroup()
                else:
                    session.removeTag(query_tag)
                    session.removeTag(self._tag)
        columns = tuple(table.column_names)
        values = [table.column(i).to_pylist() for i in range(table.num_columns)]
        return QueryResult(columns, list(zip(*values)) if values else [])

    def cancel(self) -> None:
        """Cancel every Spark job this engine started or starts from now on (Ctrl-C, close)."""
        self._cancelled.set()  # each running statement's watchdog now interrupts it
        if _classic_context(self._session) is None:
            with contextlib.suppress(Exception):
                self._session.interruptTag(self._tag)

    def interrupt(self) -> None:
        """The engine protocol's name for :meth:`cancel` (a run interrupted by Ctrl-C or SIGTERM)."""
        self.cancel()

    def close(self) -> None:
        self.cancel()
        self._restore_interrupt()
        for name in self._tables:
            with contextlib.suppress(Exception):
                self._session.catalog.dropTempView(name)
        self._tables.clear()
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None

    # -- Ctrl-C ---------------------------------------------------------------------------------

    def _install_interrupt(self) -> None:
        """On Ctrl-C: cancel this engine's Spark jobs (which a Connect server would otherwise run
        to the end), then interrupt as usual. Only the main thread may set signal handlers."""
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)

        def interrupt(signum: int, frame: Any) -> None:
            threading.Thread(target=self.cancel, daemon=True).start()
            if callable(previous) and previous not in (signal.default_int_handler, self._handler):
                previous(signum, frame)
            raise KeyboardInterrupt

        self._handler = interrupt
        self._previous_sigint = previous
        signal.signal(signal.SIGINT, interrupt)

    def _restore_interrupt(self) -> None:
        if self._previous_sigint is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is self._handler:
            signal.signal(signal.SIGINT, self._previous_sigint)
        self._previous_sigint = None


def _classic_context(session: Any) -> Any:
    """The SparkContext of an embedded session; None for Spark Connect (which has none)."""
    if type(session).__module__.startswith("pyspark.sql.connect"):
        return None
    try:
        return session.sparkContext
    except Exception:  # noqa: BLE001 - a session without a context cancels by tag
        return None


def register_cloudtrail(session: Any, cloudtrail: CloudTrailInput, default_as_of: datetime) -> None:
    """The view of trail events from the log files ``cloudtrail`` names: ``days`` UTC days up to the
    as-of instant (``--as-of``, else the snapshot's capture time), replacing the snapshot's table."""
    from datetime import timedelta

    try:
        from rootwatch.engines.spark_cloudtrail import register_cloudtrail_view
    except ImportError:
        raise ConnectionFailed(
            "--cloudtrail needs rootwatch.engines.spark_cloudtrail, which this installation lacks",
            hint="upgrade rootwatch",
        ) from None
    until = (cloudtrail.as_of or default_as_of).astimezone(timezone.utc).date()
    register_cloudtrail_view(
        session, cloudtrail.location, since=until - timedelta(days=cloudtrail.days - 1), until=until, reader=cloudtrail.reader
    )


def _snapshot_info(manifest: Mapping[str, Any]) -> SnapshotInfo | None:
    """The snapshot metadata an export's manifest carries (SnapshotInfo.as_dict's form)."""
    from rootwatch.snapshot.metadata import snapshot_info_from_dict

    data = manifest.get("snapshot_info")
    return snapshot_info_from_dict(data) if isinstance(data, Mapping) else None
