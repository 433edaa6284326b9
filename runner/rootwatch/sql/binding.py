"""Binding ``:name`` parameters as typed literals in the syntax tree.

A value never becomes SQL text of its own: a string is a string literal node (the generator quotes
it), a number is a number literal, a list is an array or, directly inside ``IN (...)``, a tuple of
literals. ``30; drop table x`` bound to a number variable is rejected before this point by the
variable's type; bound to a string variable it is inert data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from rootwatch.errors import SqlError, VariableError


def literal(value: Any):  # noqa: ANN201 - sqlglot Expression
    """The literal node for a bound value (a sqlglot node given as the value is used as it is)."""
    from sqlglot import exp

    if isinstance(value, exp.Expression):
        return value.copy()  # a node made by the caller (a template's marker)
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            # inf and nan have no literal: written out they would read as column names.
            raise VariableError(f"cannot bind {value!r}: a number variable must be finite")
        node = exp.Literal.number(abs(value))
        return exp.Neg(this=node) if value < 0 else node
    if isinstance(value, str):
        if "\x00" in value:
            raise VariableError("variable values cannot contain NUL characters")
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise VariableError(f"cannot bind a value of type {type(value).__name__}")


def parameter_name(placeholder) -> str | None:  # noqa: ANN001
    """The name of a ``:name`` placeholder; None for positional ``?`` / ``$1`` forms."""
    this = placeholder.args.get("this")
    return str(this) if this and str(this).isidentifier() else None


def require_values(where: str, used: Iterable[str], values: Mapping[str, Any]) -> None:
    """Raise VariableError when SQL at ``where`` uses a ``:name`` that ``values`` has no value for.

    The one check of it: a run asks it of every control before anything runs, and binding asks
    it again of whatever SQL it binds (an analyst query, say).
    """
    for name in sorted(set(used) - set(values)):
        raise VariableError(
            f"{where} uses :{name}, which has no value",
            hint=f"declare variable {name!r} in mod.yaml or pass --var {name}=VALUE",
        )


def bind(tree, values: Mapping[str, Any], *, where: str):  # noqa: ANN001, ANN201
    """Replace every ``:name`` placeholder in ``tree`` (modified in place) by its typed literal."""
    from sqlglot import exp

    for positional in tree.find_all(exp.Parameter):
        # $1 would reach the database unbound and fail there; say so before anything runs.
        raise SqlError(f"{where}: positional parameter {positional.sql(dialect='postgres')}; write parameters as :name")
    placeholders = list(tree.find_all(exp.Placeholder))
    names = [parameter_name(placeholder) for placeholder in placeholders]
    if None in names:
        raise SqlError(f"{where}: unnamed parameter; write parameters as :name")
    require_values(where, names, values)  # type: ignore[arg-type]
    for placeholder, name in zip(placeholders, names):
        value = values[name]
        parent = placeholder.parent
        if isinstance(value, (list, tuple)) and isinstance(parent, exp.In):
            # ``x IN (:names)``: expand into the tuple of literals IN expects.
            others = [e for e in parent.expressions if e is not placeholder]
            parent.set("expressions", others + [literal(v) for v in value])
            continue
        placeholder.replace(literal(value))
    return tree
