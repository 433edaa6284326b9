"""Both engines: read-only, sandboxed, time-limited, and never printing a password."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rootwatch.engines.base import QueryFailed
from rootwatch.engines.dsn import mask_dsn
from rootwatch.engines.duckdb_engine import DuckDBEngine
from rootwatch.engines.postgres_engine import PostgresEngine
from rootwatch.errors import ConnectionFailed
from rootwatch.snapshot.metadata import AccountInfo
from rootwatch.snapshot.writer import SnapshotWriter
from rootwatch.sql.compile import compile_sql
from rootwatch.sql.parsing import SqlSource

CAPTURED = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


@pytest.fixture()
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "org.duckdb"
    with SnapshotWriter(path, source="test", captured_at=CAPTURED) as writer:
        writer.add_rows("aws_account", [{"account_id": "111111111111", "partition": "aws", "region": "global"}])
        writer.add_account(AccountInfo("111111111111", ("us-east-1",)))
    return path


def test_snapshot_capture_time_is_the_default_as_of(snapshot: Path) -> None:
    engine = DuckDBEngine.open(snapshot)
    try:
        assert engine.default_as_of() == CAPTURED
        assert engine.snapshot_info().accounts[0].account_id == "111111111111"
        assert engine.execute("select account_id from aws_account").rows == [("111111111111",)]
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("insert into aws_account (account_id) values ('x')", "read-only"),
        ("select * from read_csv('/etc/passwd')", "disabled by configuration"),
        ("select * from read_text('/etc/hostname')", "disabled by configuration"),
        ("set enable_external_access = true", "locked"),
    ],
)
def test_duckdb_snapshot_is_read_only_and_sandboxed(snapshot: Path, sql: str, message: str) -> None:
    engine = DuckDBEngine.open(snapshot)
    try:
        with pytest.raises(QueryFailed, match=message):
            engine.execute(sql)
    finally:
        engine.close()


def test_duckdb_statement_timeout(snapshot: Path) -> None:
    engine = DuckDBEngine.open(snapshot, query_timeout=0.2)
    try:
        with pytest.raises(QueryFailed, match=r"timed out after 0.2 s"):
            engine.execute("select count(*) from range(100000000000) a")
    finally:
        engine.close()


def test_missing_or_invalid_snapshot_is_a_connection_error(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFailed, match="does not exist"):
        DuckDBEngine.open(tmp_path / "nope.duckdb")
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(ConnectionFailed, match="is not a rootwatch snapshot"):
        DuckDBEngine.open(junk)


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        ("postgres://steampipe:s3cret@127.0.0.1:9193/steampipe", "postgres://steampipe:***@127.0.0.1:9193/steampipe"),
        ("host=db port=5432 user=u password=s3cret dbname=x", "postgres://u:***@db:5432/x"),
        ("postgres://steampipe@127.0.0.1:9193/steampipe", "postgres://steampipe@127.0.0.1:9193/steampipe"),
    ],
)
def test_dsn_is_masked(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked
    assert "s3cret" not in mask_dsn(dsn)


def test_postgres_connection_error_never_prints_the_password() -> None:
    with pytest.raises(ConnectionFailed) as caught:
        PostgresEngine.open("postgres://someone:s3cret@127.0.0.1:1/nothing")
    text = str(caught.value)
    assert "s3cret" not in text
    assert "postgres://someone:***@127.0.0.1:1/nothing" in text


def test_postgres_runs_read_only_with_a_statement_timeout(pg_dsn: str) -> None:
    engine = PostgresEngine.open(pg_dsn, query_timeout=0.3)
    try:
        assert engine.execute("select current_setting('TimeZone')").rows == [("UTC",)]
        with pytest.raises(QueryFailed, match="read-only transaction"):
            engine.execute("create table t (x int)")
        with pytest.raises(QueryFailed, match=r"timed out after 0.3 s"):
            engine.execute("select pg_sleep(5)")
        assert engine.execute("select 1 as x").rows == [(1,)]  # the connection survived
    finally:
        engine.close()


def test_postgres_search_path_picks_a_connection_schema(pg_dsn: str) -> None:
    import psycopg

    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows

    with psycopg.connect(pg_dsn) as con:
        schema = postgres_schema_with_rows(con, {"aws_account": [{"account_id": "222222222222"}]})
        try:
            engine = PostgresEngine.open(pg_dsn, search_path=schema)
            try:
                assert engine.execute("select account_id from aws_account").rows == [("222222222222",)]
                assert "aws_account" in engine.available_tables()
            finally:
                engine.close()
            with pytest.raises(ConnectionFailed, match=r"--search-path names 'aws_nope'.*") as caught:
                PostgresEngine.open(pg_dsn, search_path="aws_nope")
            assert schema in caught.value.hint
        finally:
            drop_postgres_schema(con, schema)


def test_json_values_come_back_alike_from_both_engines(snapshot: Path, pg_dsn: str) -> None:
    # A jsonb expression as a dimension or a query column: decoded on both, so "All" is All.
    source = SqlSource("t", """select '{"ReadWriteType": "All"}'::jsonb -> 'ReadWriteType' as scalar, """
                       """'{"b": 1, "a": [true, null]}'::jsonb as whole, null::jsonb as nothing""")
    duck = DuckDBEngine.open(snapshot)
    pg = PostgresEngine.open(pg_dsn)
    try:
        duck_rows = duck.execute(compile_sql(source, "duckdb", {}, CAPTURED)).rows
        pg_rows = pg.execute(compile_sql(source, "postgres", {}, CAPTURED)).rows
    finally:
        duck.close()
        pg.close()
    assert duck_rows == pg_rows == [("All", {"a": [True, None], "b": 1}, None)]


def test_a_snapshot_lists_its_tables_once_a_writable_connection_every_time(snapshot: Path) -> None:
    import duckdb

    engine = DuckDBEngine.open(snapshot)
    try:
        tables = engine.available_tables()
        assert "aws_account" in tables
        assert engine.available_tables() is tables  # read-only: the list cannot change
    finally:
        engine.close()
    connection = duckdb.connect()
    live = DuckDBEngine.from_connection(connection)
    try:
        assert "later" not in live.available_tables()
        connection.execute("CREATE TABLE later (x INTEGER)")
        assert "later" in live.available_tables()
    finally:
        live.close()


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads resident memory from Linux's /proc")
def test_a_statement_hands_back_the_memory_it_freed(snapshot: Path) -> None:
    """A statement that needs a large hash table leaves little of it resident once it is done:
    DuckDB's allocator would keep those pages for the next statement (duckdb_memory)."""
    from rootwatch.engines.duckdb_memory import reset_resident_peak, resident_memory, return_freed_memory

    if not return_freed_memory():
        pytest.skip("this DuckDB build does not allocate through its own jemalloc (macOS, Windows, musl)")
    engine = DuckDBEngine.open(snapshot)
    try:
        engine.execute("select 1")
        reset_resident_peak()
        before = resident_memory().now
        rows = engine.execute("select count(*) from (select distinct 'value number ' || i from range(3000000) as t (i))").rows
        after, peak = resident_memory()
    finally:
        engine.close()
    assert rows == [(3_000_000,)]
    assert peak - before > 100, "the statement was meant to need a large hash table"
    assert after - before < (peak - before) / 3


def test_statements_run_side_by_side_share_duckdbs_threads(snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's workers keep the cores busy, one statement each: DuckDB then gives each statement
    its share of the cores, not every core (duckdb_config.threads_per_statement)."""
    from rootwatch.engines import duckdb_config

    monkeypatch.setattr(duckdb_config.os, "cpu_count", lambda: 8)
    assert [duckdb_config.threads_per_statement(n) for n in (1, 2, 3, 8, 20)] == [8, 4, 2, 1, 1]
    monkeypatch.undo()
    cores = os.cpu_count() or 1
    for at_once, threads in ((1, cores), (cores, 1)):
        engine = DuckDBEngine.open(snapshot, statements_at_once=at_once)
        try:
            assert engine.execute("select current_setting('threads')").rows == [(threads,)]
        finally:
            engine.close()
