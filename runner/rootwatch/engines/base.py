"""The engine protocol and the values that cross it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rootwatch.engines.spark_session import SparkTarget
    from rootwatch.snapshot.metadata import SnapshotInfo

EngineKind = Literal["duckdb", "postgres", "spark"]


class QueryFailed(Exception):
    """The database rejected or aborted a statement; ``message`` is the database's own words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of one statement."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class CloudTrailInput:
    """``--cloudtrail``: CloudTrail log files read where they lie (Spark only), ``days`` days up to
    the as-of instant."""

    location: str
    days: int = 90
    as_of: datetime | None = None
    reader: str = "auto"
    """How S3 objects are read: ``auto``, ``spark`` (Spark's own S3 filesystem) or ``boto3``
    (fetched by Spark's Python workers); see rootwatch.engines.spark_cloudtrail.READERS."""


@dataclass(frozen=True)
class DataSource:
    """Where controls read from: exactly one of a snapshot file or a database DSN; with ``spark``,
    the snapshot (a DuckDB file or a Parquet export folder) is read by Spark."""

    snapshot: Path | None = None
    database: str | None = None
    search_path: str | None = None
    query_timeout: float = 300.0
    spark: SparkTarget | None = None
    cloudtrail: CloudTrailInput | None = None
    statements_at_once: int = 1
    """How many statements the command runs at once (a run's workers): an in-process engine gives
    each its share of the cores (see :func:`rootwatch.engines.duckdb_config.threads_per_statement`)."""

    @property
    def kind(self) -> EngineKind:
        if self.spark is not None:
            return "spark"
        return "postgres" if self.database is not None else "duckdb"


class Engine(Protocol):
    """What the runner needs from a database. Implementations are safe to call from worker
    threads: each thread gets its own connection or cursor."""

    kind: ClassVar[EngineKind]
    runs_in_process: ClassVar[bool]
    """Whether statements run in this process on its CPUs (DuckDB), rather than on a server the
    process waits for (Postgres, Spark's JVM): the runner then starts no more at once than there
    are cores, longest first."""

    @property
    def description(self) -> str:
        """Where the data comes from, safe to print (passwords masked)."""
        ...

    def default_as_of(self) -> datetime:
        """The instant controls are graded at unless ``--as-of`` says otherwise."""
        ...

    def snapshot_info(self) -> SnapshotInfo | None:
        """The snapshot's metadata, or None for a live endpoint."""
        ...

    def available_tables(self) -> frozenset[str]:
        """Names of the tables the controls can read."""
        ...

    def execute(self, sql: str) -> QueryResult:
        """Run one read-only statement; raise QueryFailed with the database's message."""
        ...

    def interrupt(self) -> None:
        """Stop every statement running on any thread, now (called on Ctrl-C); later statements
        fail at once with QueryFailed. Safe to call from any thread."""
        ...

    def close(self) -> None:
        """Release every connection."""
        ...


@runtime_checkable
class KeepsRows(Protocol):
    """An engine that can compute a relation once and let every later statement of the run read
    its rows by name (DuckDB: see :mod:`rootwatch.computed_once`)."""

    @property
    def can_keep_rows(self) -> bool:
        """Whether :meth:`keep_rows` works here (it may depend on the installed library)."""
        ...

    def keep_rows(self, name: str, sql: str) -> None:
        """Run ``sql`` once and keep its rows as the table ``name`` for every thread's statements;
        raise QueryFailed as ``execute`` does."""
        ...

    def forget_kept_rows(self) -> None:
        """Release every kept result."""
        ...
