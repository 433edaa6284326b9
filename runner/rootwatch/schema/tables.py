"""Table definitions loaded from ``steampipe_tables.yaml``, with DDL for both engines.

The same definitions create DuckDB snapshot tables, Postgres test databases and drive the check that
rejects a control naming an unknown table or column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Literal


class ColumnType(str, Enum):
    """Column types as Steampipe exposes them, with their spelling in each engine."""

    TEXT = "text"
    BOOLEAN = "boolean"
    TIMESTAMPTZ = "timestamptz"
    BIGINT = "bigint"
    JSONB = "jsonb"
    DOUBLE = "double"

    @property
    def postgres(self) -> str:
        return "double precision" if self is ColumnType.DOUBLE else self.value

    @property
    def duckdb(self) -> str:
        return _DUCKDB_TYPES[self]


_DUCKDB_TYPES = {
    ColumnType.TEXT: "VARCHAR",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.TIMESTAMPTZ: "TIMESTAMPTZ",
    ColumnType.BIGINT: "BIGINT",
    ColumnType.JSONB: "JSON",
    ColumnType.DOUBLE: "DOUBLE",
}

Dialect = Literal["duckdb", "postgres"]
Scope = Literal["account", "regional"]
Origin = Literal["steampipe", "rootwatch"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    origin: Origin = "steampipe"
    """``rootwatch``: a column Steampipe's table lacks, filled only by rootwatch's snapshot builders
    (NULL where not captured; an engine without it reads NULL)."""


@dataclass(frozen=True)
class Table:
    """A table the mod may read, with every column including the common ones."""

    name: str
    scope: Scope
    origin: Origin
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return self._by_name().get(name)

    def _by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def ddl(self, dialect: Dialect, *, schema: str | None = None) -> str:
        """``CREATE TABLE`` for this table in the given engine's dialect."""
        quote = quote_identifier
        target = f"{quote(schema)}.{quote(self.name)}" if schema else quote(self.name)
        cols = ",\n  ".join(
            f"{quote(c.name)} {c.type.duckdb if dialect == 'duckdb' else c.type.postgres}"
            for c in self.columns
        )
        return f"CREATE TABLE {target} (\n  {cols}\n)"


TRAIL_EVENT_TABLE = "aws_cloudtrail_trail_event"
"""CloudTrail records read from a trail's log files (Steampipe's table of that name; a snapshot's
table, or view over ``rootwatch_cloudtrail_records``; a Spark view over the log files).
Named here once for the loaders, the views and the readers that all use it."""
LOOKUP_EVENT_TABLE = "aws_cloudtrail_lookup_event"
"""CloudTrail events of the last 90 days, read through LookupEvents."""

EVENT_TABLES = (TRAIL_EVENT_TABLE, LOOKUP_EVENT_TABLE)
"""Tables of CloudTrail events. Their ``account_id`` is the account the event happened in, which
need not be the account whose capture holds them: a logging account's bucket holds every member's
logs."""


def quote_identifier(identifier: str) -> str:
    """``identifier`` as a double-quoted SQL identifier (the same in DuckDB and Postgres)."""
    return '"' + identifier.replace('"', '""') + '"'


_SCOPE_COLUMNS = (
    Column("partition", ColumnType.TEXT),
    Column("region", ColumnType.TEXT),
    Column("account_id", ColumnType.TEXT),
)
_RESOURCE_COLUMNS = (Column("title", ColumnType.TEXT), Column("akas", ColumnType.JSONB))
_TAGS_COLUMN = Column("tags", ColumnType.JSONB)
_CONNECTION_COLUMNS = (
    Column("sp_connection_name", ColumnType.TEXT),
    Column("sp_ctx", ColumnType.JSONB),
    Column("_ctx", ColumnType.JSONB),
)


@cache
def load_tables() -> dict[str, Table]:
    """Every table definition, keyed by name (parsed once per process)."""
    from rootwatch.yamlio import load_yaml_text

    # Through yamlio's cache of parsed documents: a run that finds it there imports no PyYAML.
    # A plain path, not importlib.resources: rootwatch is never imported from a zip, and the
    # resources machinery imports zipfile and its readers (a few milliseconds of a small run).
    text = (Path(__file__).parent / "steampipe_tables.yaml").read_text("utf-8")
    raw = load_yaml_text(text, None)
    tables: dict[str, Table] = {}
    for name, spec in raw.items():
        own = tuple(Column(col, ColumnType(typ)) for col, typ in spec["columns"].items())
        own += tuple(Column(col, ColumnType(typ), "rootwatch") for col, typ in (spec.get("rootwatch_columns") or {}).items())
        extra: tuple[Column, ...] = ()
        if spec.get("resource"):
            extra += _RESOURCE_COLUMNS
        if spec.get("tags"):
            extra += (_TAGS_COLUMN,)
        columns = own + extra + _SCOPE_COLUMNS + _CONNECTION_COLUMNS
        tables[name] = Table(
            name=name,
            scope=spec["scope"],
            origin=spec.get("origin", "steampipe"),
            description=" ".join(str(spec.get("description", "")).split()),
            columns=columns,
        )
    return tables


def table_named(name: str) -> Table:
    """The definition of table ``name``; KeyError when the mod does not know it."""
    return load_tables()[name]
