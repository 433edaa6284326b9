"""Compiled statements with markers where bound values and the clock go, filled in without sqlglot.

Compiling a control (parse, expand relations, bind, pin the clock, translate) costs tens of
milliseconds; a run compiles every control in a fresh process. A *template* is the compiled text
with a marker in place of each bound value and each clock literal: compiled once, kept on disk
(:mod:`rootwatch.sql.compile_cache`), and filled in by :func:`render` for each run's values and
as-of instant by plain text substitution, in one pass, without importing sqlglot.

Markers keep the kind of the value they stand for, so every step of compilation treats them as it
would treat the value: a string variable is the string literal ``'rwv<nonce>_<n>'``; a number is
an 18-digit integer (within bigint, as the DuckDB integer-division rewrite looks at the digits) or a
decimal, negative where the value is; a clock literal is ``'rwc<nonce>_<form>'``. What a marker
cannot stand for is compiled with the value itself and is part of the template's key (its
*shape*, :func:`shape`): booleans, integers beyond bigint, strings Postgres reads as a clock
('now', 'today'...), and every variable that :func:`value_sensitive` finds used where its text
decides the translation (the format of ``to_char``/``format``, a cast).

Filling in is injection-safe in the way binding is: a string value becomes a string literal with
its quotes doubled (as sqlglot writes it for Postgres and DuckDB, which read no backslash escapes
in plain strings), a number the text of a Python int or finite float; NUL and non-finite numbers
are refused as binding refuses them. A template is only kept after the cold compilation of the same
values gave exactly the text that filling it in gives (:func:`build`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rootwatch.errors import RootwatchError, VariableError
from rootwatch.sql.clock import SPECIAL_INPUTS, clock_text

BIGINT_MAX = 2**63 - 1

Shape = Any
"""JSON-able description of a value: what a template compiled for it can be filled in with."""


@dataclass(frozen=True)
class Template:
    """Compiled SQL with markers, and what fills each marker in."""

    sql: str
    slots: dict[str, list[Any]]
    """Marker text -> ``["var", name, index path]`` or ``["clock", form]``."""

    def render(self, values: Mapping[str, Any], as_of: datetime) -> str:
        return render(self.sql, self.slots, values, as_of)


def shape(value: Any, exact: bool = False) -> Shape:
    """The shape of a bound value: equal shapes can share a template.

    ``exact`` (a value-sensitive variable) makes the value itself the shape.
    """
    if exact or isinstance(value, bool):
        return ["exact", _jsonable(value)]
    if isinstance(value, int):
        return ["int", value < 0] if abs(value) <= BIGINT_MAX else ["exact", value]
    if isinstance(value, float):
        return ["float", value < 0] if math.isfinite(value) else ["exact", repr(value)]
    if isinstance(value, str):
        special = value.strip().lower() in SPECIAL_INPUTS or "\x00" in value
        return ["exact", value] if special else ["str"]
    if isinstance(value, (list, tuple)):
        return ["list", [shape(v) for v in value]]
    return ["exact", repr(value)]  # binding refuses it; the cold compile says why


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, (bool, int, float, str)) or value is None else repr(value)


class Markers:
    """The markers of one template compilation, each with what fills it in."""

    def __init__(self) -> None:
        import secrets

        self.nonce = secrets.token_hex(8)
        self._digits = str(7 * 10**13 + secrets.randbelow(10**13))  # 14 digits; markers add 4
        self.slots: dict[str, list[Any]] = {}
        """Marker text -> ``["var", name, index path]`` or ``["clock", form]``."""

    def value(self, name: str, value: Any, exact: bool, path: tuple[int, ...] = ()):  # noqa: ANN201
        """What to bind in place of ``value``: a marker node, a list of them, or the value itself."""
        from sqlglot import exp

        kind = shape(value, exact)[0]
        if kind == "list":
            return [self.value(name, v, False, (*path, i)) for i, v in enumerate(value)]
        if kind == "exact":
            return value
        if kind == "str":
            text = f"rwv{self.nonce}_{len(self.slots)}"
            self.slots[f"'{text}'"] = ["var", name, list(path)]
            return exp.Literal.string(text)
        digits = f"{self._digits}{len(self.slots):04d}"
        text = digits if kind == "int" else f"{digits}.5"
        self.slots[text] = ["var", name, list(path)]
        node = exp.Literal.number(text)
        return exp.Neg(this=node) if value < 0 else node

    def clock(self, form: str) -> str:
        """The text of the clock literal ``form`` (see :func:`rootwatch.sql.clock.clock_text`)."""
        text = f"rwc{self.nonce}_{form}"
        self.slots[f"'{text}'"] = ["clock", form]
        return text


def render_literal(value: Any) -> str:
    """The SQL text of a value a marker stands for (its sign stays in the template)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise VariableError("variable values cannot contain NUL characters")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise VariableError(f"cannot bind {value!r}: a number variable must be finite")
        return str(abs(value))
    raise VariableError(f"cannot bind a value of type {type(value).__name__}")


def render(sql: str, slots: Mapping[str, list[Any]], values: Mapping[str, Any], as_of: datetime) -> str:
    """The template ``sql`` with every marker replaced by its value or clock text, in one pass
    (a value that happens to contain a marker's text is never substituted again)."""
    if not slots:
        return sql
    texts: dict[str, str] = {}
    for marker, slot in slots.items():
        if slot[0] == "clock":
            texts[marker] = "'" + clock_text(as_of, slot[1]) + "'"
        else:
            value = values[slot[1]]
            for index in slot[2]:
                value = value[index]
            texts[marker] = render_literal(value)
    pattern = re.compile("|".join(re.escape(m) for m in sorted(texts, key=len, reverse=True)))
    return pattern.sub(lambda match: texts[match.group()], sql)


def value_sensitive(tree) -> frozenset[str]:  # noqa: ANN001 - sqlglot Expression, before binding
    """Names of variables whose text decides the translation, so a marker cannot stand for them:
    the format of ``to_char``/``format``, and the operand of a cast (``'today'::date`` reads the
    clock)."""
    from sqlglot import exp

    from rootwatch.sql.binding import parameter_name

    found: set[str] = set()
    for placeholder in tree.find_all(exp.Placeholder):
        parent = placeholder.parent
        sensitive = isinstance(parent, (exp.Cast, exp.TryCast, exp.Format)) or (
            isinstance(parent, exp.Anonymous) and parent.name.lower() == "to_char"
        )
        name = parameter_name(placeholder)
        if sensitive and name:
            found.add(name)
    return frozenset(found)


def build(
    compile_with: Callable[[Mapping[str, Any], Callable[[str], str] | datetime], str],
    values: Mapping[str, Any],
    exact: frozenset[str],
    as_of: datetime,
) -> tuple[str, Template | None]:
    """Compile ``values`` at ``as_of`` cold, and a template for their shape.

    ``compile_with(values, clock)`` runs the whole compilation (``clock`` is the instant or the
    text of each clock form). Returns the compiled SQL and the template, or None for the template
    when filling it in would not give exactly that SQL (then none is kept).
    """
    real = compile_with(values, as_of)
    markers = Markers()
    marked = {name: markers.value(name, value, name in exact) for name, value in values.items()}
    try:
        template = compile_with(marked, markers.clock)
    except RootwatchError:
        return real, None  # a marker where the translation needs a value
    if any(marker not in template for marker in markers.slots):
        return real, None  # a marker was rewritten away: the translation reads its value
    if render(template, markers.slots, values, as_of) != real:
        return real, None
    return real, Template(template, markers.slots)
