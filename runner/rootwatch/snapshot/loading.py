"""Loading rows into tables of either engine, typed by the one table definition.

Used by the snapshot writer (DuckDB) and by the test harness, which loads the same rows into
DuckDB and a real Postgres server to compare graded results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from rootwatch.schema.tables import ColumnType, Table
from rootwatch.schema.values import coerce_row, json_text

BATCH_ROWS = 500


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def insert_duckdb(connection: Any, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (plain values) into ``table`` on a DuckDB connection; returns the count.

    Rows go in as multi-row parameterised INSERTs: far faster than executemany, and the values
    are never spliced into SQL text.
    """
    names = table.column_names
    placeholders = "(" + ", ".join("?::JSON" if table.column(n).type is ColumnType.JSONB else "?" for n in names) + ")"
    target = f"{_quote(table.name)} ({', '.join(_quote(n) for n in names)})"
    count = 0
    for batch in _batches(rows, BATCH_ROWS):
        values: list[Any] = []
        for row in batch:
            typed = coerce_row(table, dict(row))
            for name in names:
                value = typed.get(name)
                if table.column(name).type is ColumnType.JSONB:
                    value = json_text(value)
                values.append(value)
        sql = f"INSERT INTO {target} VALUES " + ", ".join([placeholders] * len(batch))
        connection.execute(sql, values)
        count += len(batch)
    return count


def insert_postgres(connection: Any, table: Table, rows: Iterable[Mapping[str, Any]], *, schema: str) -> int:
    """Insert ``rows`` into ``schema.table`` on a psycopg connection; returns the count."""
    from psycopg import sql
    from psycopg.types.json import Jsonb

    names = table.column_names
    statement = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
        sql.Identifier(schema),
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(n) for n in names),
        sql.SQL(", ").join(sql.Placeholder() for _ in names),
    )
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH_ROWS):
            params = []
            for row in batch:
                typed = coerce_row(table, dict(row))
                params.append(
                    [
                        Jsonb(typed.get(n)) if table.column(n).type is ColumnType.JSONB and typed.get(n) is not None else typed.get(n)
                        for n in names
                    ]
                )
            cursor.executemany(statement, params)
            count += len(batch)
    return count
