"""Coercion of plain Python values (from YAML, JSON or AWS transforms) into typed column values.

Rows reach the engines from test cases, example files and snapshot builders as dictionaries of plain
values; this module is the one place that turns them into what each column type needs, so both
engines receive the same data.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from rootwatch.schema.tables import ColumnType, Table


class RowValueError(ValueError):
    """A value that does not fit its column's type (the message names table and column)."""


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 string, a date or a datetime (naive values are UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip())  # Python 3.11 reads a trailing "Z" as UTC
    else:
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def coerce(value: Any, column_type: ColumnType) -> Any:
    """``value`` as the Python type the column needs; JSON stays a Python structure."""
    if value is None:
        return None
    if column_type is ColumnType.TIMESTAMPTZ:
        return parse_timestamp(value)
    if column_type is ColumnType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {value!r}")
    if column_type is ColumnType.BIGINT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        return value
    if column_type is ColumnType.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)
    if column_type is ColumnType.TEXT:
        if isinstance(value, (dict, list, bool)):
            raise ValueError(f"expected text, got {value!r}")
        return str(value)
    return value  # JSONB: any JSON-serialisable structure


def coerce_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row with every value coerced to its column type; unknown columns are an error."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        column = table.column(name)
        if column is None:
            raise RowValueError(f"table {table.name} has no column {name!r}")
        try:
            out[name] = coerce(value, column.type)
        except ValueError as exc:
            raise RowValueError(f"{table.name}.{name}: {exc}") from None
    return out


def json_text(value: Any) -> str | None:
    """Compact JSON text of a structure (how JSON columns are handed to DuckDB)."""
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=False)
