"""Every analyst query runs on every engine (DuckDB, Postgres, Spark) and returns the same rows."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from rootwatch.api import run_query
from rootwatch.cases import drop_postgres_schema, duckdb_with_rows, postgres_schema_with_rows
from rootwatch.engines.duckdb_engine import DuckDBEngine
from rootwatch.engines.postgres_engine import PostgresEngine
from rootwatch.mod.variables import resolve_variables
from rootwatch.options import RunOptions

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
QUERIES = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "queries").glob("*.sql"))
ROOT = {"partition": "aws", "region": "global", "user_name": "<root_account>"}
ROWS = {
    "aws_account": [
        {"account_id": "111111111111", "partition": "aws"},
        {"account_id": "222222222222", "partition": "aws"},
        {"account_id": "333333333333", "partition": "aws"},
    ],
    "aws_iam_account_summary": [
        {"account_id": "111111111111", "account_password_present": True, "account_mfa_enabled": True,
         "account_access_keys_present": 0, "account_signing_certificates_present": 0},
        {"account_id": "222222222222", "account_password_present": True, "account_mfa_enabled": True,
         "account_access_keys_present": 1, "account_signing_certificates_present": 0},
    ],
    "aws_iam_credential_report": [
        {**ROOT, "account_id": "111111111111", "generated_time": "2026-11-25T09:00:00Z", "password_enabled": True,
         "password_status": "used", "password_last_used": "2026-10-01T10:00:00Z", "mfa_active": True},
        {**ROOT, "account_id": "222222222222", "generated_time": "2026-11-20T09:00:00Z", "password_enabled": True,
         "password_status": "never_used", "mfa_active": True, "access_key_1_active": True,
         "access_key_1_last_used_date": "2026-11-19T10:00:00Z"},
    ],
    "aws_iam_virtual_mfa_device": [
        {"account_id": "222222222222", "serial_number": "arn:aws:iam::222222222222:mfa/phone",
         "user": {"Arn": "arn:aws:iam::222222222222:root"}},
        {"account_id": "111111111111", "serial_number": "arn:aws:iam::111111111111:mfa/rootops",
         "user": {"Arn": "arn:aws:iam::111111111111:user/rootops"}},
    ],
}


def _run(engine, mod, name: str):
    options = RunOptions(variables=resolve_variables(mod.variables, environ={}), as_of=AS_OF)
    return run_query(mod, engine, name, options)


@pytest.mark.parametrize("name", QUERIES)
def test_query_runs_alike_on_both_engines(name: str, mod, pg_dsn: str) -> None:
    import psycopg
    duck = DuckDBEngine.from_connection(duckdb_with_rows(ROWS))
    try:
        duck_result = _run(duck, mod, name)
    finally:
        duck.close()
    with psycopg.connect(pg_dsn) as con:
        schema = postgres_schema_with_rows(con, ROWS)
        try:
            pg = PostgresEngine.open(pg_dsn, search_path=schema)
            try:
                pg_result = _run(pg, mod, name)
            finally:
                pg.close()
        finally:
            drop_postgres_schema(con, schema)
    assert duck_result.columns == pg_result.columns
    assert duck_result.rows == pg_result.rows


@pytest.mark.spark
@pytest.mark.parametrize("name", QUERIES)
def test_query_runs_alike_on_spark(name: str, mod, spark) -> None:
    from rootwatch.cases import spark_engine_with_rows

    duck = DuckDBEngine.from_connection(duckdb_with_rows(ROWS))
    try:
        duck_result = _run(duck, mod, name)
    finally:
        duck.close()
    engine = spark_engine_with_rows(spark, ROWS)
    try:
        spark_result = _run(engine, mod, name)
    finally:
        engine.close()
    assert spark_result.columns == duck_result.columns
    assert spark_result.rows == duck_result.rows


def test_inventory_tells_hardware_from_virtual_mfa(mod) -> None:
    duck = DuckDBEngine.from_connection(duckdb_with_rows(ROWS))
    try:
        result = _run(duck, mod, "root_credential_inventory")
    finally:
        duck.close()
    rows = {row[0]: dict(zip(result.columns, row)) for row in result.rows}
    assert rows["111111111111"]["mfa_kind"] == "hardware"  # the 'rootops' user's device is not root's
    assert rows["222222222222"]["mfa_kind"] == "virtual"
    assert rows["222222222222"]["virtual_mfa_serials"] == "arn:aws:iam::222222222222:mfa/phone"
    assert rows["222222222222"]["last_used_any"] == "2026-11-19"
    assert rows["333333333333"]["report_generated"] is None


def test_freshness_grades_fresh_stale_missing(mod) -> None:
    duck = DuckDBEngine.from_connection(duckdb_with_rows(ROWS))
    try:
        result = _run(duck, mod, "credential_report_freshness")
    finally:
        duck.close()
    assert [(r[0], r[2], r[3]) for r in result.rows] == [
        ("333333333333", None, "missing"),
        ("222222222222", 123, "stale"),
        ("111111111111", 3, "fresh"),
    ]
