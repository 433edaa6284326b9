"""The one definition of the Steampipe tables the mod reads (see ``steampipe_tables.yaml``)."""

from rootwatch.schema.tables import Column, ColumnType, Table, load_tables, table_named

__all__ = ["Column", "ColumnType", "Table", "load_tables", "table_named"]
