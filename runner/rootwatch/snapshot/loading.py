"""Loading rows into tables of either engine, typed by the one table definition.

Used by the snapshot writer (DuckDB) and by the test harness, which loads the same rows into
DuckDB and a real Postgres server to compare graded results.

DuckDB receives a batch as one typed list parameter per column, spread back into rows by
``UNNEST`` in a single ``INSERT ... SELECT``: the statement binds a few dozen parameters however
many rows the batch holds, which is roughly twenty times faster than a multi-row ``VALUES`` list
(one bound parameter per cell), and the values are still never spliced into SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from itertools import islice
from typing import Any

from rootwatch.schema.tables import ColumnType, Table, quote_identifier
from rootwatch.schema.values import RowValueError, coerce, coerce_row, json_text

BATCH_ROWS = 2048
"""Rows per INSERT: large enough to amortise the statement, small enough to stream."""


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@cache
def _positions(table: Table) -> dict[str, tuple[int, ColumnType]]:
    """Column name -> (position, type), built once per table (``Table.column`` is a linear build)."""
    return {column.name: (index, column.type) for index, column in enumerate(table.columns)}


@cache
def _unnest_insert(table: Table, names: tuple[str, ...]) -> str:
    """``INSERT INTO t (names) SELECT UNNEST(?::type[]), ...`` for the given columns.

    JSON travels as text (``VARCHAR[]``) and is cast per value, as the row-wise path did.
    """
    by_name = _positions(table)
    selects = []
    for name in names:
        column_type = by_name[name][1]
        if column_type is ColumnType.JSONB:
            selects.append("CAST(UNNEST(?::VARCHAR[]) AS JSON)")
        else:
            selects.append(f"UNNEST(?::{column_type.duckdb}[])")
    target = f"{quote_identifier(table.name)} ({', '.join(quote_identifier(n) for n in names)})"
    return f"INSERT INTO {target} SELECT {', '.join(selects)}"


def _typed_cells(table: Table, by_name: Mapping[str, tuple[int, ColumnType]], row: Mapping[str, Any]) -> list[Any]:
    """One row as a list in column order: coerced values, JSON as compact text.

    Same checks and messages as :func:`rootwatch.schema.values.coerce_row`.
    """
    cells: list[Any] = [None] * len(by_name)
    for name, value in row.items():
        found = by_name.get(name)
        if found is None:
            raise RowValueError(f"table {table.name} has no column {name!r}")
        index, column_type = found
        if value is None:
            continue
        try:
            value = coerce(value, column_type)
        except ValueError as exc:
            raise RowValueError(f"{table.name}.{name}: {exc}") from None
        cells[index] = json_text(value) if column_type is ColumnType.JSONB else value
    return cells


def insert_columns(connection: Any, table: Table, names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
    """One INSERT of rows given as cell lists for ``names`` (as :func:`typed_batches` makes them)."""
    columns = [list(column) for column in zip(*rows)]
    connection.execute(_unnest_insert(table, names), columns)


def typed_batches(table: Table, rows: Iterable[Mapping[str, Any]]) -> Iterator[tuple[tuple[str, ...], list[list[Any]]]]:
    """``rows`` checked and coerced, a batch at a time: (column names, one cell list per row).

    Only the columns the batch's rows name are kept (the others are NULL anyway): binding costs
    per column, and rows usually fill a third of a table's columns. Raises RowValueError naming
    the table and column of a bad value.
    """
    by_name = _positions(table)
    for batch in _batches(rows, BATCH_ROWS):
        cells = [_typed_cells(table, by_name, row) for row in batch]
        named = set().union(*batch)
        positions = [index for index, name in enumerate(table.column_names) if name in named]
        if not positions:  # rows without any value are still rows
            positions = [0]
        names = tuple(table.column_names[index] for index in positions)
        yield names, [[row[index] for index in positions] for row in cells]


def insert_duckdb(connection: Any, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (plain values) into ``table`` on a DuckDB connection; returns the count."""
    count = 0
    for names, cells in typed_batches(table, rows):
        insert_columns(connection, table, names, cells)
        count += len(cells)
    return count


def insert_duckdb_typed(
    connection: Any, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert rows already typed for their columns (e.g. fetched from Postgres) into ``table``.

    ``names`` lists the columns each row tuple holds, in order (a subset of the table's; the rest
    stay NULL). JSON values are text. Nothing is coerced or checked beyond what DuckDB's casts
    check, which is what makes this the fast path for copying a typed source.
    """
    by_name = _positions(table)
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise RowValueError(f"table {table.name} has no column {unknown[0]!r}")
    key = tuple(names)
    count = 0
    for batch in _batches(rows, BATCH_ROWS):
        insert_columns(connection, table, key, batch)
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
