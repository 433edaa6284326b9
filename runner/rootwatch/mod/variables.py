"""Variable values: types, parsing from ``--var`` and ``--var-file``, and resolution order.

Resolution, later wins: the default in mod.yaml, ``ROOTWATCH_VAR_<name>`` in the environment, each
``--var-file`` in order, each ``--var name=value`` in order. Values are checked against the declared
type before any SQL is touched, so ``--var root_recent_days='30; drop table x'`` is an error and a
string value is only ever data.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootwatch.errors import InputError, Problem, VariableError

if TYPE_CHECKING:
    from rootwatch.mod.model import Variable

VARIABLE_TYPES = ("integer", "number", "string", "bool", "list(string)", "list(number)")
ENV_PREFIX = "ROOTWATCH_VAR_"


def _type_error(variable: Variable, raw: Any) -> str:
    return f"variable {variable.name} expects {_describe(variable.type)}, got {raw!r}"


def _describe(var_type: str) -> str:
    return {
        "integer": "an integer",
        "number": "a number",
        "string": "text",
        "bool": "true or false",
        "list(string)": "a list of text values",
        "list(number)": "a list of numbers",
    }[var_type]


def coerce_value(variable: Variable, raw: Any, *, from_text: bool) -> Any:
    """``raw`` as a value of the variable's type, or VariableError.

    ``from_text`` is true for command-line and environment values, which arrive as strings.
    """
    kind = variable.type
    value: Any
    if kind in ("integer", "number"):
        value = _number(raw, integer=kind == "integer", from_text=from_text)
        if value is None:
            raise VariableError(_type_error(variable, raw))
        if isinstance(value, int) and not -_INT64 <= value < _INT64:
            shown = str(raw).strip() if len(str(raw).strip()) <= _MAX_DIGITS else f"a number of {len(str(raw).strip())} characters"
            raise VariableError(f"variable {variable.name} is out of range: {shown} does not fit a 64-bit integer")
        if variable.minimum is not None and value < variable.minimum:
            raise VariableError(f"variable {variable.name} must be at least {variable.minimum}, got {value}")
        if variable.maximum is not None and value > variable.maximum:
            raise VariableError(f"variable {variable.name} must be at most {variable.maximum}, got {value}")
        return value
    if kind == "string":
        if isinstance(raw, str):
            return raw
        raise VariableError(_type_error(variable, raw))
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if from_text and isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise VariableError(_type_error(variable, raw))
    # Lists: JSON arrays anywhere; comma-separated text from the command line.
    items = raw
    if from_text and isinstance(raw, str):
        text = raw.strip()
        items = _json_list(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        if items is None:
            raise VariableError(_type_error(variable, raw), hint='write a list as ["a","b"] or a,b')
    if not isinstance(items, list):
        raise VariableError(_type_error(variable, raw))
    if kind == "list(string)":
        if all(isinstance(i, str) for i in items):
            return list(items)
        raise VariableError(_type_error(variable, raw))
    numbers = [_number(i, integer=False, from_text=from_text) for i in items]
    if any(n is None for n in numbers):
        raise VariableError(_type_error(variable, raw))
    return numbers


def _json_list(text: str) -> list | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


_MAX_DIGITS = 40
_TOO_BIG = 2**64
_INT64 = 2**63
"""Both engines bind integers as 64-bit; a larger value would fail inside a control, after the run began."""
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _number(raw: Any, *, integer: bool, from_text: bool) -> int | float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if integer and not raw.is_integer():
            return None
        return int(raw) if integer else (raw if math.isfinite(raw) else None)
    if from_text and isinstance(raw, str):
        text = raw.strip()
        if len(text) > _MAX_DIGITS and _INTEGER.match(text):
            return _TOO_BIG  # int() refuses 4,300 digits; nothing near this length fits anyway
        if _INTEGER.match(text):
            return int(text)
        if not integer and _DECIMAL.match(text):
            value = float(text)
            return value if math.isfinite(value) else None  # 1e400 overflows to inf
    return None


def check_default(variable: Variable) -> str | None:
    """Why the variable's default does not fit its type, or None."""
    try:
        coerce_value(variable, variable.default, from_text=False)
    except VariableError as exc:
        return exc.message
    return None


def parse_assignment(text: str) -> tuple[str, str]:
    """``name=value`` from ``--var`` into its two halves."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise VariableError(f"--var {text!r} is not name=value", hint="for example --var root_recent_days=30")
    return name.strip(), value


def read_var_file(path: Path) -> list[tuple[str, Any, int | None]]:
    """(name, value, line) assignments from a YAML/JSON mapping or ``name = value`` lines."""
    from rootwatch.yamlio import LineDict, load_yaml

    if not path.is_file():
        raise InputError(Problem(path, None, "variable file not found"), hint="check the --var-file path")
    if path.suffix in (".yaml", ".yml", ".json"):
        data = load_yaml(path)
        if data is None:
            return []
        if not isinstance(data, dict):
            raise InputError(Problem(path, 1, "a variable file must hold a mapping of names to values"))
        lines = data if isinstance(data, LineDict) else None
        return [(str(k), v, lines.line_of(k) if lines else None) for k, v in data.items()]
    return _read_assignment_lines(path)


def _read_assignment_lines(path: Path) -> list[tuple[str, Any, int | None]]:
    assignments = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        name, sep, value = stripped.partition("=")
        if not sep:
            raise InputError(Problem(path, number, f"expected name = value, got {stripped!r}"))
        try:
            parsed = json.loads(value.strip())
        except json.JSONDecodeError:
            raise InputError(
                Problem(path, number, f"value of {name.strip()} is not a number, true/false, \"text\" or [list]")
            ) from None
        assignments.append((name.strip(), parsed, number))
    return assignments


def resolve_variables(
    declared: Mapping[str, Variable],
    *,
    assignments: Sequence[str] = (),
    var_files: Iterable[Path] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every declared variable's value after defaults, environment, files and ``--var``."""
    from rootwatch.errors import UnknownNameError

    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, variable in declared.items():
        if variable.default is not None:
            values[name] = coerce_value(variable, variable.default, from_text=False)
        env_value = environ.get(ENV_PREFIX + name)
        if env_value is not None:
            values[name] = coerce_value(variable, env_value, from_text=True)
    for path in var_files:
        for name, raw, line in read_var_file(path):
            if name not in declared:
                unknown = UnknownNameError("variable", name, list(declared))
                raise InputError(Problem(path, line, unknown.message), hint=unknown.hint) from None
            try:
                values[name] = coerce_value(declared[name], raw, from_text=False)
            except VariableError as exc:
                raise InputError(Problem(path, line, exc.message)) from None
    for text in assignments:
        name, raw = parse_assignment(text)
        if name not in declared:
            raise UnknownNameError("variable", name, list(declared))
        values[name] = coerce_value(declared[name], raw, from_text=True)
    missing = [name for name in declared if name not in values]
    if missing:
        raise VariableError(
            f"variable {missing[0]} has no default and no value",
            hint=f"pass --var {missing[0]}=VALUE or put it in a --var-file",
        )
    return values
