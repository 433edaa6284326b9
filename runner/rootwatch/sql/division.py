"""Postgres integer division on DuckDB: ``7 / 2`` is 3 on Postgres and 3.5 on DuckDB.

Postgres divides two integer operands as integers, truncating toward zero (``-7 / 2`` = -3); DuckDB's
``/`` always divides as floating point, and sqlglot (postgres -> duckdb) leaves ``/`` unchanged
unless the tree carries type annotations. So a control such as ``where 7 / 2 = 3`` would grade
differently on the two engines without any warning. This module rewrites such divisions to
DuckDB's ``//``.

Why ``//``: with INTEGER/BIGINT/SMALLINT operands DuckDB's ``//`` is exact integer division that
truncates toward zero (``-7 // 2`` = ``7 // -2`` = -3), the same as Postgres, keeps an integer result
type, and has the same precedence and left associativity as ``/`` and ``*``, so it can take the
place of ``/`` in the tree without new parentheses. It does *not* mean integer division for other
operand types (``7.5::DOUBLE // 2`` is 3.75), which is why a division is rewritten only when both
operands are integers on *both* engines. The alternative ``CAST(trunc(a / b) AS BIGINT)`` goes
through DOUBLE and loses precision beyond 2**53; sqlglot's own typed-division path also needs a fully
annotated tree (see below).

Division by zero: Postgres raises ``division by zero``. DuckDB 2.x's ``//`` raises too (Invalid
Input Error) while its setting ``error_on_division_by_zero`` keeps its default ``true``, which the
DuckDB engine never changes (and locks). DuckDB 1.x, which ``pyproject.toml`` still admits, returns
NULL for an integer ``//`` by zero instead: there a control dividing by a zero it did not guard
against gets NULL on DuckDB but an error on Postgres. Integer overflow (``INT_MIN / -1``) raises
on both.

Which operands count as integers (the Postgres type ``int2``/``int4``/``int8``, which DuckDB types
as SMALLINT/INTEGER/BIGINT as well):

* integer literals within the bigint range (larger ones are ``numeric`` on Postgres);
* casts to ``smallint``/``int``/``integer``/``bigint`` (and ``int2``/``int4``/``int8``);
* ``count(...)``, also with ``FILTER`` or ``OVER``;
* columns that resolve, through aliases, stars, CTEs, derived tables and (from a subquery) the
  enclosing query, to a column the table definitions (``steampipe_tables.yaml``) type ``bigint``,
  or to a CTE/derived-table output that is itself one of these expressions;
* ``+``, ``-``, ``*``, ``%``, unary minus, parentheses and integer division of integer operands;
* ``nullif``, ``coalesce`` and ``CASE`` whose every argument/result is one of these.

Everything else is *unknown*, and its divisions are left alone: other function results (even
``length()``), ``extract(...)`` (``numeric`` on Postgres but BIGINT on DuckDB), aggregates other
than count, scalar subqueries, table functions other than the JSON element ones, VALUES lists,
UNIONs, LATERAL subqueries, column-list aliases ``AS t(a, b)``, and any query with an identifier
in upper case (Postgres folds unquoted ones, so exact-name resolution could pick a different
column). Guessing wrong in either direction would change the meaning, and leaving ``/`` is what
the translation did before.

sqlglot's ``annotate_types`` was tried for this and rejected: it types ``extract(epoch ...)`` and
integer literals beyond the bigint range as INT for Postgres (so ``seconds_since / 86400`` in
``root_not_used_recently`` would have been truncated), needs ``qualify`` first, and the two more
than doubled the cold compile cost of the largest control. Here scopes are built only when a
division has a column operand, and nothing is rewritten except the divisions themselves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.scope import Scope, ScopeType, traverse_scope

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rootwatch.schema.tables import Table

_INTEGER_CASTS = frozenset({exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT})
# Column types of the table definitions that are integers on both engines (DuckDB BIGINT).
_INTEGER_COLUMN_TYPES = frozenset({"bigint"})
_BIGINT_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
# Resolving a column may follow a CTE into another CTE; a bound keeps a pathological chain cheap.
_MAX_DEPTH = 32


class _Unknown(Exception):
    """A column whose type cannot be known for sure: the division stays as it is."""


class _IntegerTyping:
    """Decides whether an expression of one tree is integer-typed on Postgres and on DuckDB.

    Scopes are built lazily, once per tree, and only if a division has a column operand: most
    controls divide nothing, and those that do mostly divide literals or casts.
    """

    def __init__(self, root: exp.Expression) -> None:
        self._root = root
        self._scopes: dict[int, Scope] | None = None

    def _scope_of(self, node: exp.Expression) -> Scope | None:
        """The innermost SELECT scope holding ``node`` (None when it lies outside any)."""
        if self._scopes is None:
            self._scopes = {}
            # Names are compared exactly below; Postgres folds unquoted identifiers to lower case
            # and keeps quoted ones, so with mixed case about, resolution is left unknown.
            if not any(i.this != i.this.lower() for i in self._root.find_all(exp.Identifier)):
                try:
                    self._scopes = {id(s.expression): s for s in traverse_scope(self._root)}
                except OptimizeError:
                    pass
        ancestor: exp.Expression | None = node
        while ancestor is not None:
            scope = self._scopes.get(id(ancestor))
            if scope is not None:
                return scope
            ancestor = ancestor.parent
        return None

    def is_integer(self, node: exp.Expression, scope: Scope | None = None, depth: int = 0) -> bool:
        """True when ``node`` is certainly of an integer type; False when it is not or unknown.

        ``scope`` is where its columns resolve; None means "find it from the tree" (the node
        belongs to the tree being rewritten; projections followed into CTEs pass their scope).
        """
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, exp.Paren):
            return self.is_integer(node.this, scope, depth + 1)
        if isinstance(node, exp.Literal):
            # The text, not sqlglot's is_int: 1e3 and 7.0 are numeric on Postgres, and so is an
            # integer literal beyond the bigint range.
            return (
                not node.is_string
                and _DIGITS.fullmatch(node.this) is not None
                and int(node.this) <= _BIGINT_MAX
            )
        if isinstance(node, exp.Cast):
            return node.to.this in _INTEGER_CASTS and not node.to.expressions
        if isinstance(node, exp.Count):
            return True
        if isinstance(node, (exp.Filter, exp.Window)):
            # count(*) FILTER (WHERE ...) and count(*) OVER (...) are still bigint.
            inner = node.this
            return isinstance(inner, (exp.Count, exp.Filter)) and self.is_integer(inner, scope, depth + 1)
        if isinstance(node, exp.Neg):
            return self.is_integer(node.this, scope, depth + 1)
        if isinstance(node, (exp.Nullif, exp.Coalesce, exp.Case)):
            # Both engines give these the common type of their results (the guard of a safe
            # division, a / nullif(b, 0), among them): integer when every result is integer.
            # A CASE without ELSE adds only a NULL, which takes the others' type.
            return all(self.is_integer(r, scope, depth + 1) for r in _results(node))
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.Div, exp.IntDiv)):
            # int op int is an integer type on both engines (Postgres widens int4 + int8 to int8,
            # DuckDB likewise); a Div here is itself an integer division that gets rewritten.
            return self.is_integer(node.left, scope, depth + 1) and self.is_integer(
                node.right, scope, depth + 1
            )
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            if scope is None:
                scope = self._scope_of(node)
            if scope is None:
                return False
            try:
                return self._column_is_integer(scope, node.table, node.name, depth + 1)
            except _Unknown:
                return False
        return False

    def _column_is_integer(self, scope: Scope, table: str, name: str, depth: int) -> bool:
        """Whether column ``table.name`` (``table`` empty when unqualified) of ``scope`` is integer.

        Resolves like Postgres: the innermost query level with a FROM item of that alias (or, for
        a bare name, with a FROM item having that column) wins, and a subquery sees the levels
        around it. Raises _Unknown where that cannot be reproduced for sure.
        """
        level: Scope | None = scope
        while level is not None:
            if depth > _MAX_DEPTH:
                raise _Unknown
            try:
                selected = [(alias, source) for alias, (_, source) in level.selected_sources.items()]
            except OptimizeError:  # the same alias twice: Postgres refuses the query
                raise _Unknown from None
            if table:
                having = [source for alias, source in selected if alias == table]
            else:
                # A bare name inside an expression is looked up in the FROM items, also in ORDER
                # BY and GROUP BY (an output column is found by name only as a whole bare item,
                # which a division operand never is).
                having = [s for _, s in selected if self._source_has_column(s, name, depth + 1)]
            if len(having) == 1:
                return self._source_column_is_integer(having[0], name, depth + 1)
            if having:  # ambiguous: Postgres refuses it
                raise _Unknown
            # Only a subquery in an expression (scalar, EXISTS, IN) sees the enclosing level; a
            # CTE or a derived table does not (LATERAL aside, which is left unknown).
            level = level.parent if level.scope_type is ScopeType.SUBQUERY else None
            depth += 1
        raise _Unknown

    def _source_has_column(self, source: exp.Table | Scope, name: str, depth: int) -> bool:
        """Whether ``source`` has a column ``name``; _Unknown when its columns are not known."""
        if depth > _MAX_DEPTH:
            raise _Unknown
        if isinstance(source, exp.Table):
            columns = _element_function_columns(source)
            if columns is not None:
                return name in columns
            definition = _table_definition(source)
            if definition is None:
                raise _Unknown
            return definition.column(name) is not None
        if source.outer_columns:
            return name in source.outer_columns
        if not isinstance(source.expression, exp.Select):
            raise _Unknown
        return any(True for _ in self._projections_named(source, name, depth + 1))

    def _source_column_is_integer(self, source: exp.Table | Scope, name: str, depth: int) -> bool:
        """Whether column ``name`` of FROM item ``source`` is integer; _Unknown if not known."""
        if depth > _MAX_DEPTH:
            raise _Unknown
        if isinstance(source, exp.Table):
            columns = _element_function_columns(source)
            if columns is not None:
                if name in columns:
                    return False  # jsonb or text elements
                raise _Unknown
            definition = _table_definition(source)
            column = definition.column(name) if definition is not None else None
            if column is None:
                raise _Unknown
            return column.type.value in _INTEGER_COLUMN_TYPES
        query = source.expression
        if not isinstance(query, exp.Select) or source.outer_columns:
            # A UNION's column type is the union's resolution of its branches; a column list
            # (AS t(a, b)) renames by position. Both are rare enough to leave alone.
            raise _Unknown
        matches = list(self._projections_named(source, name, depth))
        if len(matches) != 1:
            raise _Unknown
        expression, inner_scope = matches[0]
        return self.is_integer(expression, inner_scope, depth + 1)

    def _projections_named(
        self, source: Scope, name: str, depth: int
    ) -> Iterator[tuple[exp.Expression, Scope]]:
        """The expressions a CTE or derived table outputs as column ``name``, stars followed."""
        query = source.expression
        for projection in query.expressions:
            if isinstance(projection, exp.Star):
                if self._star_provides(source, "", name, depth):
                    yield exp.column(name), source
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                if self._star_provides(source, projection.table, name, depth):
                    yield exp.column(name, table=projection.table), source
            elif projection.alias_or_name == name:
                yield (projection.this if isinstance(projection, exp.Alias) else projection), source

    def _star_provides(self, scope: Scope, table: str, name: str, depth: int) -> bool:
        """Whether ``*`` (``table`` empty) or ``table.*`` in ``scope`` outputs a column ``name``."""
        try:
            selected = {alias: source for alias, (_, source) in scope.selected_sources.items()}
        except OptimizeError:
            raise _Unknown from None
        if table:
            if table not in selected:
                raise _Unknown
            return self._source_has_column(selected[table], name, depth + 1)
        return any(self._source_has_column(source, name, depth + 1) for source in selected.values())


def _results(node: exp.Nullif | exp.Coalesce | exp.Case) -> list[exp.Expression]:
    """The expressions whose values ``node`` can return (NULL aside)."""
    if isinstance(node, exp.Nullif):
        # a or NULL, of a's type, except that Postgres may first promote a to b's type for the
        # comparison (nullif(1, 2.2) is numeric): both must be integers.
        return [node.this, node.expression]
    if isinstance(node, exp.Coalesce):
        return [node.this, *node.expressions]
    results = [when.args["true"] for when in node.args.get("ifs") or []]
    default = node.args.get("default")
    return results + ([default] if default is not None else [])


def _element_function_columns(table: exp.Table) -> frozenset[str] | None:
    """The columns of ``jsonb_array_elements(x) AS e`` in FROM (jsonb or text, never integer).

    Postgres names the element column ``value`` and also accepts the alias itself (the
    rewrite in duckdb_rewrites supports both); a column list renames it. None for anything else,
    including WITH ORDINALITY (whose extra column is bigint; DuckDB refuses it anyway).
    """
    # Imported here: duckdb_rewrites imports this module to run the division rewrite first.
    from rootwatch.sql.duckdb_rewrites import is_element_call

    if not is_element_call(table.this):
        return None
    if table.args.get("ordinality"):
        return None
    alias = table.args.get("alias")
    if alias is not None and alias.columns:
        return frozenset(c.name for c in alias.columns)
    return frozenset({"value", table.alias_or_name})


def _table_definition(table: exp.Table) -> Table | None:
    """The definition of a base table in FROM, None for table functions and unknown tables."""
    from rootwatch.schema.tables import load_tables

    if not isinstance(table.this, exp.Identifier):
        return None
    return load_tables().get(table.name)


def integer_division(tree: exp.Expression) -> exp.Expression:
    """``a / b`` with two integer operands -> ``a // b`` (Postgres' truncating integer division).

    Decisions are taken on the untouched tree first and applied afterwards, so that a rewritten
    inner division does not change how its neighbours are resolved.
    """
    divisions = list(tree.find_all(exp.Div))
    if not divisions:
        return tree
    typing = _IntegerTyping(tree)
    integer = [d for d in divisions if typing.is_integer(d.left) and typing.is_integer(d.right)]
    for division in integer:
        division.replace(exp.IntDiv(this=division.left, expression=division.right))
    return tree
