"""Postgres integer division on DuckDB (``rootwatch.sql.division``).

Postgres divides two integers as integers, truncating toward zero (``7 / 2`` = 3, ``-7 / 2`` = -3);
DuckDB's ``/`` gives 3.5. Each expression below runs on the real PostgreSQL server and, translated,
on DuckDB, and both must return the same value *and* the same kind of number (an integer 3 is not
the float 3.0, which would print as "3.0" in a reason).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import duckdb
import pytest

from rootwatch.schema.tables import table_named
from rootwatch.sql.compile import compile_sql
from rootwatch.sql.parsing import SqlSource

AS_OF = datetime(2026, 3, 5, 14, 7, 9, tzinfo=timezone.utc)
TABLE = "aws_iam_account_summary"
# (account_id, account_access_keys_present, mfa_devices): positive, negative and NULL dividends.
ROWS = [("111", 7, 3), ("222", -7, 0), ("333", None, 5)]

SUMMARY = f"from {TABLE} order by account_id"
CASES: dict[str, str] = {
    "int_literals": "select 7/2 as v",
    "negative_dividend": "select -7/2 as v",
    "negative_divisor": "select 7/-2 as v",
    "both_negative": "select (-7)/(-2) as v",
    "numeric_dividend": "select 7.0/2 as v",
    "numeric_divisor": "select 7/2.0 as v",
    "bigint_cast": "select cast(7 as bigint)/2 as v",
    "int_casts": "select 7::int4 / 2::smallint as v, -9::integer / 4::int8 as w",
    "beyond_bigint_is_numeric": "select 9223372036854775808/2 as v",
    "float_cast": "select 7::float8 / 2 as v",
    "count_star": f"select count(*)/2 as v from {TABLE}",
    "count_filter": f"select count(*) filter (where mfa_devices > 0) / 2 as v from {TABLE}",
    "count_window": f"select count(*) over () / 2 as v {SUMMARY}",
    "integer_column": f"select account_access_keys_present / 2 as v {SUMMARY}",
    "integer_column_qualified": f"select s.account_access_keys_present / -2 as v, s.mfa_devices / 2 as w "
    f"from {TABLE} as s order by s.account_id",
    "integer_columns_both": f"select mfa_devices / nullif(account_access_keys_present, 0) as v {SUMMARY}",
    "coalesce_and_case": f"select coalesce(account_access_keys_present, 5) / 2 as v, "
    f"case when mfa_devices > 0 then mfa_devices * 3 else -1 end / 2 as w, "
    f"case when mfa_devices > 0 then 7 end / 2 as x {SUMMARY}",
    "mixed_kinds_stay_fractional": "select nullif(7, 2.2) / 2 as v, coalesce(7, 2.5) / 2 as w",
    "case_with_numeric_branch": f"select case when mfa_devices > 0 then 7 else 0.5 end / 2 as v {SUMMARY}",
    "arithmetic": f"select (account_access_keys_present + 1) * 3 / 2 as v, 10 - 7/2*2 as w, "
    f"2*7/2 as x, 7/2/2 as y, 7 % 4 / 2 as z {SUMMARY}",
    "through_ctes_and_stars": f"""with x as (select s.*, s.account_access_keys_present * 3 as k from {TABLE} s),
                                 y as (select x.* from x)
                                 select y.k / 2 as v, mfa_devices / 2 as w, account_id from y order by account_id""",
    "derived_table": "select k / 2 as v from (select -9 as k) as d",
    "correlated_subquery": f"select (select s.account_access_keys_present / 2) as v from {TABLE} s order by account_id",
    "group_and_order_by": f"select mfa_devices / 2 as v from {TABLE} group by mfa_devices / 2 order by mfa_devices / 2",
    "epoch_stays_fractional": """with m as (select extract(epoch from (now() - timestamptz '2026-03-01 00:00:00+00'))
                                           as seconds_since)
                                 select floor(m.seconds_since / 86400) as v, m.seconds_since / 86400 as w from m""",
}

# What the translation must look like: // for integer operands, / when in doubt.
TRANSLATED: dict[str, str] = {
    "select 7/2, -7/2, 7/-2": "SELECT 7 // 2, -7 // 2, 7 // -2",
    "select 7.0/2, 7/2.0, 1e3/2": "SELECT 7.0 / 2, 7 / 2.0, 1e3 / 2",
    "select count(*)/2, cast(7 as bigint)/2": "SELECT COUNT(*) // 2, CAST(7 AS BIGINT) // 2",
    f"select account_access_keys_present / 2 from {TABLE}": f"SELECT account_access_keys_present // 2 FROM {TABLE}",
    # Unknown types are left alone: a function result, a jsonb element, an ambiguous bare name.
    "select length('abc') / 2": "SELECT LENGTH('abc') / 2",
    f"select e.value / 2 from {TABLE} s, jsonb_array_elements(s.sp_ctx) e": (
        f"SELECT e.value / 2 FROM {TABLE} AS s, LATERAL (SELECT UNNEST(JSON_EXTRACT(s.sp_ctx, '$[*]')) AS value) "
        "AS e(value)"
    ),
    "select k / 2 from (select 1 as k) a, (select 2 as k) b": "SELECT k / 2 FROM (SELECT 1 AS k) AS a, (SELECT 2 AS k) AS b",
    "select k / 2 from (select 1 as k union all select 2) a": "SELECT k / 2 FROM (SELECT 1 AS k UNION ALL SELECT 2) AS a",
    # Mixed case: Postgres folds unquoted names, so exact-name resolution is not attempted.
    f"select Groups / 2 from {TABLE}": f"SELECT Groups / 2 FROM {TABLE}",
}


def _kind(value: object) -> object:
    """The value with its kind of number: integers stay ints, numeric and double become floats."""
    if isinstance(value, Decimal):
        return ("fractional", float(value))
    if isinstance(value, float):
        return ("fractional", value)
    if isinstance(value, int):
        return ("integer", value)
    return value


def _insert_sql() -> str:
    values = ", ".join(
        f"('{a}', {'NULL' if k is None else k}, {'NULL' if m is None else m})" for a, k, m in ROWS
    )
    return f"INSERT INTO {TABLE} (account_id, account_access_keys_present, mfa_devices) VALUES {values}"


def _postgres_rows(sql: str, pg_dsn: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(pg_dsn) as con:
        con.execute("SET TimeZone = 'UTC'")
        # A temporary table: private to this connection (pg_temp is searched first), so other
        # tests sharing the session database never see it.
        con.execute(table_named(TABLE).ddl("postgres").replace("CREATE TABLE", "CREATE TEMPORARY TABLE", 1))
        con.execute(_insert_sql())
        return [tuple(_kind(v) for v in row) for row in con.execute(sql).fetchall()]


def _duckdb_rows(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(table_named(TABLE).ddl("duckdb"))
        con.execute(_insert_sql())
        return [tuple(_kind(v) for v in row) for row in con.execute(sql).fetchall()]


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(CASES))
def test_division_means_the_same_on_both_engines(name: str, pg_dsn: str) -> None:
    source = SqlSource(name, CASES[name])
    expected = _postgres_rows(compile_sql(source, "postgres", {}, AS_OF), pg_dsn)
    actual = _duckdb_rows(compile_sql(source, "duckdb", {}, AS_OF))
    assert actual == expected


@pytest.mark.postgres
def test_integer_results_truncate_toward_zero(pg_dsn: str) -> None:
    """The agreement above is the Postgres meaning, not a shared mistake."""
    source = SqlSource("t", "select 7/2, -7/2, 7/-2, (-7)/(-2), 7.0/2")
    expected = [(("integer", 3), ("integer", -3), ("integer", -3), ("integer", 3), ("fractional", 3.5))]
    assert _postgres_rows(compile_sql(source, "postgres", {}, AS_OF), pg_dsn) == expected
    assert _duckdb_rows(compile_sql(source, "duckdb", {}, AS_OF)) == expected


@pytest.mark.parametrize("sql", sorted(TRANSLATED))
def test_translation(sql: str) -> None:
    assert compile_sql(SqlSource("t", sql), "duckdb", {}, AS_OF) == TRANSLATED[sql]


def test_postgres_text_is_unchanged() -> None:
    assert compile_sql(SqlSource("t", "select 7/2"), "postgres", {}, AS_OF) == "SELECT 7 / 2"


@pytest.mark.postgres
def test_integer_division_by_zero(pg_dsn: str) -> None:
    """Postgres raises; DuckDB 2.x's ``//`` raises too. DuckDB 1.x returned NULL instead."""
    import psycopg

    source = SqlSource("t", "select 7/0")
    with pytest.raises(psycopg.errors.DivisionByZero):
        _postgres_rows(compile_sql(source, "postgres", {}, AS_OF), pg_dsn)
    if int(duckdb.__version__.split(".")[0]) < 2:
        assert _duckdb_rows(compile_sql(source, "duckdb", {}, AS_OF)) == [(None,)]
    else:
        with pytest.raises(duckdb.InvalidInputException, match="Division by zero"):
            _duckdb_rows(compile_sql(source, "duckdb", {}, AS_OF))
