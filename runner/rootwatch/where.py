"""``--where``: choosing what runs by a boolean expression over a control's metadata.

The language is described in :mod:`rootwatch.selection`; this module parses it with sqlglot and
evaluates it. It is imported only when ``--where`` is given (sqlglot costs more to import than a
whole cached run).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Union

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from rootwatch.errors import UsageError
from rootwatch.mod.model import SEVERITIES

if TYPE_CHECKING:
    from rootwatch.mod.model import ControlNode

FIELDS = ("control_id", "id", "control", "title", "description", "severity")
"""Plain fields of ``--where``; ``tags.<key>`` comes on top."""

Value = Union[str, float, bool, None]


def control_metadata(node: ControlNode) -> dict[str, Any]:
    """The fields ``--where`` sees for ``node`` (tags under ``"tags"``)."""
    return {
        "control_id": node.id,
        "id": node.id,
        "control": node.control.id if node.control else None,
        "title": node.title,
        "description": node.description,
        "severity": node.severity,
        "tags": dict(node.tags),
    }


@dataclass(frozen=True)
class WhereExpression:
    """A parsed ``--where`` expression; call :meth:`matches` per control node."""

    text: str
    tree: exp.Expression

    def matches(self, node: ControlNode) -> bool:
        """True when the expression is true (not false, not unknown) for ``node``."""
        return _evaluate(self.tree, control_metadata(node), self.text) is True

    def __call__(self, node: ControlNode) -> bool:
        return self.matches(node)

    def describe(self) -> str:
        """How the option was given, for messages: ``--where "severity = 'critical'"``."""
        return f"--where {self.text!r}"


@dataclass(frozen=True)
class WhereAll:
    """Several ``--where`` expressions, all of which must hold."""

    expressions: tuple[WhereExpression, ...]

    def matches(self, node: ControlNode) -> bool:
        return all(expression.matches(node) for expression in self.expressions)

    def __call__(self, node: ControlNode) -> bool:
        return self.matches(node)

    def describe(self) -> str:
        return " and ".join(expression.describe() for expression in self.expressions)


def parse_where(text: str) -> WhereExpression:
    """Parse and check ``text``; raises :class:`UsageError` naming the problem."""
    if not text.strip():
        raise UsageError("--where is empty", hint="for example --where \"severity = 'critical'\"")
    _check_size(text)
    try:
        statements = sqlglot.parse(text, read="postgres")
    except (ParseError, TokenError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"--where {text!r} is not a valid expression: {first}", hint=_WHERE_HINT) from None
    trees = [tree for tree in statements if isinstance(tree, exp.Expression)]
    if len(trees) != 1:
        raise UsageError(f"--where {text!r} must be one expression (no ';')", hint=_WHERE_HINT)
    _check(trees[0], text)
    return WhereExpression(text, _short_ids(trees[0]))


MAX_WHERE_DEPTH = 32
"""Brackets nested deeper than this in one ``--where`` are refused (the parser recurses on them)."""
MAX_WHERE_TERMS = 256
"""``and``/``or`` operators beyond this in one ``--where`` are refused (a tree that deep exhausts
Python's recursion limit when it is parsed or evaluated)."""


def _check_size(text: str) -> None:
    """UsageError, before the parser recurses, for an expression nested too deep or too long."""
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(text, read="postgres")
    except TokenError as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"--where is not a valid expression: {first}", hint=_WHERE_HINT) from None
    depth = deepest = terms = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type in (TokenType.AND, TokenType.OR):
            terms += 1
    shown = text if len(text) <= 60 else text[:57] + "..."
    if deepest > MAX_WHERE_DEPTH:
        raise UsageError(f"--where {shown!r} nests brackets {deepest} deep; at most {MAX_WHERE_DEPTH} are allowed", hint=_WHERE_HINT)
    if terms > MAX_WHERE_TERMS:
        raise UsageError(
            f"--where {shown!r} has {terms} and/or operators; at most {MAX_WHERE_TERMS} are allowed",
            hint="select by tag (--tag) or use 'in (...)', e.g. --where \"control_id in ('a', 'b')\"",
        )


def where_predicate(expressions: Sequence[str]) -> WhereExpression | WhereAll | None:
    """One predicate for every ``--where`` given (all must hold), or None when there are none."""
    parsed = [parse_where(text) for text in expressions]
    if not parsed:
        return None
    if len(parsed) == 1:
        return parsed[0]
    return WhereAll(tuple(parsed))


_ID_FIELDS = ("control_id", "id", "control")


def _short_ids(tree: exp.Expression) -> exp.Expression:
    """``tree`` with text compared to an id field written short: the exports print
    ``rootwatch.control.cis_v700_2_4``, and ``control_id = 'rootwatch.control.cis_v700_2_4'`` (or a
    ``like`` pattern starting that way) must select what the export shows."""
    from rootwatch.mod.ids import short_id

    def is_id(node: exp.Expression | None) -> bool:
        return isinstance(node, exp.Column) and not node.table and node.name.lower() in _ID_FIELDS

    for node in list(tree.walk()):
        if not isinstance(node, (*_SEVERITY_TESTS, exp.Like, exp.ILike)) or not is_id(node.this):
            continue
        for operand in [node.args.get("expression"), node.args.get("low"), node.args.get("high"), *node.expressions]:
            if isinstance(operand, exp.Literal) and operand.is_string:
                operand.replace(exp.Literal.string(short_id(operand.this)))
    return tree


_FIELDS_HINT = "fields: control_id, control, title, description, severity, tags.<key>"
_WHERE_HINT = f"{_FIELDS_HINT}; text in single quotes; e.g. --where \"severity = 'critical' and tags.cis_level = '1'\""


_ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.And, exp.Or, exp.Not, exp.Paren,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
    exp.Like, exp.ILike, exp.In, exp.Between, exp.Is,
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Neg,
)  # fmt: skip


def _check(tree: exp.Expression, text: str) -> None:
    """Reject every node outside the whitelist and every unknown field, before running anything."""
    for node in tree.walk():
        if not isinstance(node, _ALLOWED_NODES):
            raise UsageError(
                f"--where {text!r}: {node.sql(dialect='postgres')!r} is not supported "
                "(use and/or/not, =, <>, <, >, like, ilike, in, between, is null)",
                hint=_WHERE_HINT,
            )
        if isinstance(node, exp.Column):
            _field_of(node, text)
        _check_severity_values(node, text)
    if isinstance(tree, (exp.Column, exp.Literal, exp.Null)):
        raise UsageError(f"--where {text!r} is a value, not a condition", hint=_WHERE_HINT)


_SEVERITY_TESTS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Is)


def _check_severity_values(node: exp.Expression, text: str) -> None:
    """A severity compared with text that is no severity is a typo: ``severity > 'extreme'``
    would otherwise compare alphabetically and ``severity = 'hihg'`` silently select nothing."""
    if not isinstance(node, _SEVERITY_TESTS):
        return
    operands = [node.this, node.args.get("expression"), node.args.get("low"), node.args.get("high"), *node.expressions]
    if not any(_is_severity(operand) for operand in operands):
        return
    for operand in operands:
        if isinstance(operand, exp.Literal) and operand.is_string and operand.this.lower() not in SEVERITIES:
            raise UsageError(
                f"--where {text!r}: {operand.this!r} is not a severity",
                hint=f"severities, lowest first: {', '.join(SEVERITIES)}",
            )


def _field_of(column: exp.Column, text: str) -> tuple[str, str | None]:
    """``("severity", None)`` or ``("tags", "cis_level")`` for a column reference."""
    from rootwatch.suggest import did_you_mean

    parts = [p.name for p in column.parts]
    if len(parts) == 2 and parts[0].lower() == "tags":
        return "tags", parts[1]
    if len(parts) == 1 and parts[0].lower() in FIELDS:
        return parts[0].lower(), None
    name = ".".join(parts)
    suggestion = did_you_mean(name, list(FIELDS))
    if suggestion:
        hint = f"did you mean {suggestion!r}?"
    elif len(parts) == 1:
        hint = f"a tag is tags.{name}, and text needs single quotes ('{name}'); {_FIELDS_HINT}"
    else:
        hint = _FIELDS_HINT
    raise UsageError(f"--where {text!r}: unknown field {name!r}", hint=hint)


def _evaluate(node: exp.Expression, meta: Mapping[str, Any], text: str) -> Value:
    """SQL semantics with three-valued logic: None is NULL / unknown."""
    if isinstance(node, exp.Paren):
        return _evaluate(node.this, meta, text)
    if isinstance(node, (exp.And, exp.Or)):
        left, right = _truth(_evaluate(node.this, meta, text)), _truth(_evaluate(node.expression, meta, text))
        decisive = isinstance(node, exp.Or)  # True decides an OR, False an AND
        if decisive in (left, right):
            return decisive
        return None if None in (left, right) else not decisive
    if isinstance(node, exp.Not):
        return _negate(_truth(_evaluate(node.this, meta, text)))
    if isinstance(node, exp.Column):
        name, tag = _field_of(node, text)
        return meta["tags"].get(tag) if name == "tags" else meta.get(name)
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    if isinstance(node, exp.Neg):
        value = _evaluate(node.this, meta, text)
        return -value if isinstance(value, float) else None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    result = _predicate(node, meta, text)
    return _negate(result) if node.args.get("negate") else result


def _predicate(node: exp.Expression, meta: Mapping[str, Any], text: str) -> bool | None:
    """``is``, ``like``/``ilike``, ``in``, ``between`` and the comparisons (before any ``not``)."""
    value = _evaluate(node.this, meta, text)
    severity = _is_severity(node.this)
    if isinstance(node, exp.Is):
        if isinstance(node.expression, exp.Null):
            return value is None
        return _compare("=", value, _evaluate(node.expression, meta, text), severity)
    if isinstance(node, (exp.Like, exp.ILike)):
        pattern = _evaluate(node.expression, meta, text)
        if value is None or pattern is None:
            return None
        return _like_regex(_text(pattern), isinstance(node, exp.ILike)).fullmatch(_text(value)) is not None
    if isinstance(node, exp.In):
        outcomes = [_compare("=", value, _evaluate(option, meta, text), severity) for option in node.expressions]
        return True if True in outcomes else None if None in outcomes else False
    if isinstance(node, exp.Between):
        low = _compare(">=", value, _evaluate(node.args["low"], meta, text), severity)
        high = _compare("<=", value, _evaluate(node.args["high"], meta, text), severity)
        return False if False in (low, high) else None if None in (low, high) else True
    for kind, symbol in ((exp.EQ, "="), (exp.NEQ, "<>"), (exp.GT, ">"), (exp.GTE, ">="), (exp.LT, "<"), (exp.LTE, "<=")):
        if isinstance(node, kind):
            return _compare(symbol, value, _evaluate(node.expression, meta, text), severity or _is_severity(node.expression))
    raise UsageError(f"--where {text!r}: {node.sql()!r} is not supported", hint=_WHERE_HINT)  # _check stops it first


def _truth(value: Value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise UsageError(f"--where: {_text(value)!r} is a value, not a condition", hint=_WHERE_HINT)


def _negate(value: Value) -> bool | None:
    return None if value is None else not value


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def _number(value: Value) -> float | None:
    try:
        return value if isinstance(value, float) else float(str(value))
    except ValueError:
        return None


def _is_severity(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Column) and node.name.lower() == "severity" and not node.table


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def _compare(symbol: str, left: Value, right: Value, severity: bool) -> bool | None:
    """Severities compare by rank, numbers numerically (tags are text, so ``tags.cis_level = 1``
    matches ``'1'``), anything else as text; NULL on either side is unknown."""
    if left is None or right is None:
        return None
    pair: tuple[Any, Any] = (_text(left), _text(right))
    if severity:
        pair = (pair[0].lower(), pair[1].lower())  # 'Critical' is critical
    if severity and set(pair) <= set(SEVERITIES):
        pair = (SEVERITIES.index(pair[0]), SEVERITIES.index(pair[1]))
    elif isinstance(left, float) or isinstance(right, float):
        numbers = (_number(left), _number(right))
        if None not in numbers:
            pair = numbers
    return bool(_OPERATORS[symbol](*pair))


@lru_cache(maxsize=64)
def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A LIKE pattern as a regex: ``%`` any run, ``_`` one character, ``\\`` escapes the next."""
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if escaped:
        parts.append(re.escape("\\"))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
