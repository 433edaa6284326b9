"""Stand-ins for rootwatch-only tables and columns on an engine that lacks them.

Some facts have no Steampipe table (Organizations root-access features) or no Steampipe column (the
dimensions a metric filter publishes); snapshots carry them in tables and columns of rootwatch's
own. On a live endpoint (or a snapshot built before such a column existed) they are absent, so the
control reads an empty relation, or NULL for the column, instead, and its SQL decides what "no
data" means (a ``skip`` row, or a verdict that says what it could not see) rather than the whole
control failing.
"""

from __future__ import annotations

from collections.abc import Iterable

from rootwatch.schema.tables import Table


def _null_of(column) -> object:  # noqa: ANN001 - a schema Column; returns a sqlglot Expression
    from sqlglot import exp

    return exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build(column.type.postgres)), column.name)


def empty_relation(table: Table):  # noqa: ANN201 - sqlglot Expression
    """``(SELECT CAST(NULL AS type) AS col, ... WHERE FALSE)`` for ``table``."""
    from sqlglot import exp

    return exp.select(*[_null_of(c) for c in table.columns]).where(exp.false())


def _with_null_columns(table: Table, missing: set[str]):  # noqa: ANN202 - sqlglot Expression
    """``(SELECT col, ..., CAST(NULL AS type) AS missing_col FROM table)``."""
    from sqlglot import exp

    columns = [_null_of(c) if c.name in missing else exp.column(c.name, quoted=True) for c in table.columns]
    return exp.select(*columns).from_(exp.to_table(table.name))


def substitute_missing(tree, missing: Iterable[Table], missing_columns: Iterable[tuple[Table, str]] = ()):  # noqa: ANN001, ANN201
    """Replace references (in place) to each table in ``missing`` by its empty stand-in, and to each
    table with a column in ``missing_columns`` by a subquery reading NULL for that column."""
    from sqlglot import exp

    by_name = {t.name: t for t in missing}
    lacking: dict[str, tuple[Table, set[str]]] = {}
    for table, column in missing_columns:
        lacking.setdefault(table.name, (table, set()))[1].add(column)
    if not by_name and not lacking:
        return tree
    for node in list(tree.find_all(exp.Table)):
        if not isinstance(node.this, exp.Identifier) or node.args.get("db"):
            continue
        alias = exp.TableAlias(this=exp.to_identifier(node.alias or node.name))
        if node.name in by_name:
            node.replace(exp.Subquery(this=empty_relation(by_name[node.name]), alias=alias))
        elif node.name in lacking:
            table, columns = lacking[node.name]
            node.replace(exp.Subquery(this=_with_null_columns(table, columns), alias=alias))
    return tree
