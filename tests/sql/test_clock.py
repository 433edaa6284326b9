"""Every clock read is pinned to the run's as-of instant, identically on both engines."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pytest

from rootwatch.sql.compile import compile_sql
from rootwatch.sql.parsing import SqlSource

AS_OF = datetime(2025, 6, 1, 8, 15, 30, tzinfo=timezone.utc)
CLOCK_SQL = (
    "select now() as a, current_timestamp as b, transaction_timestamp() as c, "
    "statement_timestamp() as d, clock_timestamp() as e, current_date as f, "
    "localtimestamp as g, current_timestamp(3) as h"
)


def _expected() -> tuple:
    naive = AS_OF.replace(tzinfo=None)
    return (AS_OF, AS_OF, AS_OF, AS_OF, AS_OF, date(2025, 6, 1), naive, AS_OF)


def test_clock_reads_are_pinned_on_duckdb() -> None:
    sql = compile_sql(SqlSource("t", CLOCK_SQL), "duckdb", {}, AS_OF)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        assert con.execute(sql).fetchone() == _expected()


def test_clock_reads_are_pinned_on_postgres(pg_dsn: str) -> None:
    import psycopg

    sql = compile_sql(SqlSource("t", CLOCK_SQL), "postgres", {}, AS_OF)
    with psycopg.connect(pg_dsn) as con:
        con.execute("SET TimeZone = 'UTC'")
        assert con.execute(sql).fetchone() == _expected()


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_no_clock_function_survives_compilation(dialect: str) -> None:
    sql = compile_sql(SqlSource("t", CLOCK_SQL), dialect, {}, AS_OF).lower()
    for word in ("now(", "current_timestamp", "clock_timestamp", "localtimestamp", "current_date"):
        assert word not in sql


def test_window_arithmetic_agrees_on_both_engines(pg_dsn: str) -> None:
    """``now() - interval '1 day' * :n`` is the same instant on both engines."""
    import psycopg

    source = SqlSource("t", "select now() - interval '1 day' * :n as edge")
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        duck = con.execute(compile_sql(source, "duckdb", {"n": 30}, AS_OF)).fetchone()[0]
    with psycopg.connect(pg_dsn) as con:
        con.execute("SET TimeZone = 'UTC'")
        pg = con.execute(compile_sql(source, "postgres", {"n": 30}, AS_OF)).fetchone()[0]
    assert duck == pg == datetime(2025, 5, 2, 8, 15, 30, tzinfo=timezone.utc)


SPECIAL_SQL = (
    "select 'now'::timestamptz as a, 'today'::date as b, timestamp 'now' as c, 'Tomorrow'::date as d, "
    "cast('yesterday' as timestamp) as e, age(timestamp '2024-06-01 00:00:00') = interval '1 year' as f"
)


def _special_on(dialect: str, pg_dsn: str | None = None) -> tuple:
    sql = compile_sql(SqlSource("t", SPECIAL_SQL), dialect, {}, AS_OF)
    if dialect == "duckdb":
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            return con.execute(sql).fetchone()
    import psycopg

    with psycopg.connect(pg_dsn) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql).fetchone()


def test_special_inputs_and_one_argument_age_are_pinned(pg_dsn: str) -> None:
    """'now', 'today', 'tomorrow', 'yesterday' and age(x) read the clock in Postgres; they read
    the as-of instant here, the same on both engines."""
    naive = AS_OF.replace(tzinfo=None)
    # age(x) counts from the as-of day's midnight: exactly one year after 2024-06-01.
    expected = (AS_OF, date(2025, 6, 1), naive, date(2025, 6, 2), datetime(2025, 5, 31), True)
    assert _special_on("duckdb") == _special_on("postgres", pg_dsn) == expected
