"""Engines that run compiled SQL: a DuckDB snapshot (the embedded default), a live Postgres
(Steampipe) endpoint, or Spark (local or Spark Connect) on a snapshot's Parquet export. All sit behind the small :class:`~rootwatch.engines.base.Engine` protocol."""

from rootwatch.engines.base import DataSource, Engine, QueryFailed, QueryResult
from rootwatch.engines.registry import open_engine

__all__ = ["DataSource", "Engine", "QueryFailed", "QueryResult", "open_engine"]
