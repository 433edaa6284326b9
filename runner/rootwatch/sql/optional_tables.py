"""Stand-ins for rootwatch-only tables on an engine that lacks them.

Some facts (Organizations root-access features) have no Steampipe table; snapshots carry them in
tables of rootwatch's own. On a live endpoint such a table does not exist, so the control reads an
empty relation with the right columns instead, and its SQL decides what "no data" means (a ``skip``
row with a reason), rather than the whole control failing.
"""

from __future__ import annotations

from collections.abc import Iterable

from rootwatch.schema.tables import Table


def empty_relation(table: Table):  # noqa: ANN201 - sqlglot Expression
    """``(SELECT CAST(NULL AS type) AS col, ... WHERE FALSE)`` for ``table``."""
    from sqlglot import exp

    columns = [
        exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build(c.type.postgres)), c.name)
        for c in table.columns
    ]
    return exp.select(*columns).where(exp.false())


def substitute_missing(tree, missing: Iterable[Table]):  # noqa: ANN001, ANN201
    """Replace references to each table in ``missing`` (in place) by its empty stand-in."""
    from sqlglot import exp

    by_name = {t.name: t for t in missing}
    if not by_name:
        return tree
    for node in list(tree.find_all(exp.Table)):
        table = by_name.get(node.name) if isinstance(node.this, exp.Identifier) else None
        if table is None:
            continue
        alias = node.alias or node.name
        node.replace(exp.Subquery(this=empty_relation(table), alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return tree
