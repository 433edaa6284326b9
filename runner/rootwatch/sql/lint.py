"""Static checks of control and query SQL against the table definitions.

``rootwatch check`` uses these to reject a control that names an unknown table or column before
anything runs, with the file and line of the reference.
"""

from __future__ import annotations

from collections.abc import Mapping

from rootwatch.errors import Problem
from rootwatch.schema.tables import Table
from rootwatch.sql.parsing import SqlSource, parse


def _line_of(node) -> int | None:  # noqa: ANN001
    identifier = node.this if hasattr(node, "this") else None
    meta = getattr(identifier, "meta", None) or getattr(node, "meta", None) or {}
    return meta.get("line")


def check_references(source: SqlSource, tables: Mapping[str, Table]) -> list[Problem]:
    """Problems with the tables and columns ``source`` reads (empty when all are known)."""
    from sqlglot import exp
    from sqlglot.optimizer.scope import Scope, traverse_scope

    tree = parse(source)
    problems: list[Problem] = []
    cte_names = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    # Shared relations are checked in their own files; here they are known names.
    relations = {r.name for r in source.relations}

    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as jsonb_array_elements(...)
        if table.name in cte_names or table.name in tables or table.name in relations:
            continue
        from rootwatch.suggest import did_you_mean

        guess = did_you_mean(table.name, [*tables, *relations])
        hint = f" (did you mean {guess}?)" if guess else ""
        problems.append(Problem(source.path, _line_of(table), f"unknown table {table.name}{hint}"))

    for scope in traverse_scope(tree):
        problems.extend(_check_scope_columns(scope, tables, source, Scope))
    # A correlated column is seen from both the inner and the outer scope; report it once.
    return list(dict.fromkeys(problems))


def _base_table(source_node, tables: Mapping[str, Table]) -> Table | None:  # noqa: ANN001
    from sqlglot import exp

    if isinstance(source_node, exp.Table) and isinstance(source_node.this, exp.Identifier):
        return tables.get(source_node.name)
    return None


def _check_scope_columns(scope, tables, source: SqlSource, scope_type) -> list[Problem]:  # noqa: ANN001
    from sqlglot import exp

    problems: list[Problem] = []
    select = scope.expression
    output_aliases = set()
    if isinstance(select, exp.Select):
        output_aliases = {e.alias for e in select.expressions if isinstance(e, exp.Alias)}

    def sources_in_reach(name: str):  # noqa: ANN202 - the source a qualifier names, looking outwards
        current = scope
        while current is not None:
            if name in current.sources:
                return current.sources[name], True
            current = current.parent
        return None, False

    for column in scope.columns:
        if isinstance(column.parent, exp.Dot) and column.parent.this is not column:
            continue
        name = column.name
        if column.table:
            found, ok = sources_in_reach(column.table)
            if not ok:
                continue  # an alias sqlglot's scope does not see (lateral function); DB checks it
            table = _base_table(found, tables)
            if table is not None and table.column(name) is None:
                problems.append(
                    Problem(source.path, _line_of(column), f"table {table.name} has no column {name}")
                )
            continue
        local = list(scope.sources.values())
        if any(_base_table(s, tables) is None for s in local) or not local:
            continue  # a derived table, CTE or function source may provide it
        if name in output_aliases:
            continue
        if not any(_base_table(s, tables).column(name) for s in local):
            owners = ", ".join(sorted(_base_table(s, tables).name for s in local))
            problems.append(
                Problem(source.path, _line_of(column), f"no column {name} in {owners}")
            )
    return problems
