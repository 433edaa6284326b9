"""Picking the engine for a data source."""

from __future__ import annotations

from collections.abc import Callable

from rootwatch.engines.base import DataSource, Engine, EngineKind


def _open_duckdb(source: DataSource) -> Engine:
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    assert source.snapshot is not None
    return DuckDBEngine.open(
        source.snapshot, query_timeout=source.query_timeout, statements_at_once=source.statements_at_once
    )


def _open_postgres(source: DataSource) -> Engine:
    from rootwatch.engines.postgres_engine import PostgresEngine

    assert source.database is not None
    return PostgresEngine.open(
        source.database, search_path=source.search_path, query_timeout=source.query_timeout
    )


def _open_spark(source: DataSource) -> Engine:
    from rootwatch.engines.spark_engine import SparkEngine

    assert source.spark is not None and source.snapshot is not None
    return SparkEngine.open(source.spark, source.snapshot, query_timeout=source.query_timeout, cloudtrail=source.cloudtrail)


ENGINES: dict[EngineKind, Callable[[DataSource], Engine]] = {
    "duckdb": _open_duckdb,
    "postgres": _open_postgres,
    "spark": _open_spark,
}


def open_engine(source: DataSource) -> Engine:
    """An open engine for ``source`` (raises ConnectionFailed when it cannot be opened)."""
    return ENGINES[source.kind](source)
