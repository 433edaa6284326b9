"""Validate a YAML document against a JSON Schema and report each problem at its ``file:line``.

The schemas live in ``rootwatch/schemas/<name>.schema.json`` (shipped with the package, one per
document kind) and are the one definition of what a file may hold: the loader, ``rootwatch check``
and editors (through ``yaml-language-server``) all read them. The public entry point is
:func:`schema_problems`::

    problems = schema_problems(load_yaml(path), "control", path)

Messages are written for people, not echoed from the validator: ``missing 'title'``, ``unknown key
'colour' in benchmark 'root' (expected: children, description, tags, title)``, ``severity must be
one of low, medium, high, critical``. A schema shapes them with two annotations: ``title`` names an
object (``"variable {key}"`` takes the key it sits under), ``x-message`` says what a value must be
and ``x-required-message`` replaces "missing 'x'" where a plain list of keys would mislead.

Validation is kept off the start-up path of everyday commands. ``jsonschema`` is imported on first
use and each validator is compiled once per process; and :func:`load_checked` remembers, in a small
per-user cache (:func:`cache_file`), the digest of each document that passed together with its
schema, so an unchanged mod is not validated again (an edited file, or a new rootwatch with other
schemas, is). A document with problems is never remembered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from rootwatch.errors import InputError, Problem
from rootwatch.yamlio import LineDict, load_yaml_text

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def schema_path(name: str) -> Path:
    """The file of schema ``name`` (e.g. ``"control"`` → ``.../schemas/control.schema.json``)."""
    return SCHEMA_DIR / f"{name}.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema ``name``."""
    return json.loads(schema_path(name).read_text("utf-8"))


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft7Validator

    schema = load_schema(name)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def load_checked(path: Path, name: str) -> tuple[Any, list[Problem]]:
    """The YAML document at ``path`` (mappings as :class:`LineDict`) and its problems against schema
    ``name``; InputError when the file cannot be read or is not YAML."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(path, None, f"cannot read: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(Problem(path, None, "not UTF-8 text")) from None
    document = load_yaml_text(text, path)
    digest = hashlib.sha256(_schema_digest(name) + raw).hexdigest()
    if digest in _known_valid():
        return document, []
    problems = schema_problems(document, name, path)
    if not problems:
        _remember(digest)
    return document, problems


def collect_document(path: Path, name: str, problems: list[Problem]) -> Any:
    """:func:`load_checked` for a loader that reports every problem at once: the file's problems
    (or why it could not be read) are appended to ``problems``; None when it could not be read."""
    try:
        document, found = load_checked(path, name)
    except InputError as exc:
        problems.append(exc.problem)
        return None
    problems.extend(found)
    return document


def cache_file() -> Path:
    """Where digests of documents that passed are kept: ``$ROOTWATCH_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/rootwatch``, else ``~/.cache/rootwatch``; a file named ``valid-documents``."""
    from rootwatch.cachedir import cache_directory

    return cache_directory() / "valid-documents"


@cache
def _schema_digest(name: str) -> bytes:
    return hashlib.sha256(schema_path(name).read_bytes()).digest()


_MAX_REMEMBERED = 20_000  # start afresh beyond this: a cache, not a log


@cache
def _known_valid() -> set[str]:
    try:
        lines = cache_file().read_text("ascii").split()
    except (OSError, UnicodeDecodeError):
        return set()
    return set(lines) if len(lines) < _MAX_REMEMBERED else set()


def _remember(digest: str) -> None:
    known = _known_valid()
    known.add(digest)
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One short line per write, appended: concurrent runs interleave whole lines. A run that
        # cannot write (read-only home) only loses the shortcut.
        mode = "w" if len(known) == 1 or len(known) >= _MAX_REMEMBERED else "a"
        with path.open(mode, encoding="ascii") as out:
            out.write(digest + "\n")
    except OSError:
        pass


def schema_problems(document: Any, name: str, path: Path | None) -> list[Problem]:
    """Every way ``document`` (as loaded by :mod:`rootwatch.yamlio`) breaks schema ``name``, each
    located at the line of the key or item at fault, sorted by line."""
    validator = _validator(name)
    root = load_schema(name)
    problems = [
        Problem(path, _line(document, error.absolute_path, error), _message(root, error))
        for error in _leaves(validator.iter_errors(document))
    ]
    return sorted(set(problems), key=lambda p: (p.line or 0, p.message))


def _leaves(errors: Iterable[Any]) -> Iterable[Any]:
    """The errors to report: an ``if``/``then`` failure reports its inner errors (they say what is
    wrong), never the wrapper."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context:
            yield from _leaves(error.context)
        else:
            yield error


# ---- where: the line of the failing key or item ---------------------------------------------------


def _line(document: Any, instance_path: Sequence[Any], error: Any) -> int | None:
    node, line = document, getattr(document, "line", None) or 1
    for step in instance_path:
        if isinstance(node, LineDict):
            line = node.line_of(step) or line
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            line = getattr(node, "line", None) or line
        else:
            break
    if (error.validator == "additionalProperties" or _is_name_error(error)) and isinstance(node, LineDict):
        key = _offending_key(error, node)
        if key is not None:
            line = node.line_of(key) or line
    return line


def _is_name_error(error: Any) -> bool:
    """A key that breaks ``propertyNames`` (the error is reported on the key itself)."""
    return "propertyNames" in error.absolute_schema_path


def _offending_key(error: Any, node: LineDict) -> Any:
    if _is_name_error(error):
        return error.instance
    allowed = set(error.schema.get("properties", {}))
    patterns = error.schema.get("patternProperties", {})
    if patterns:
        unknown = [k for k in node if k not in allowed and not any(re.search(p, str(k)) for p in patterns)]
    else:
        unknown = [k for k in node if k not in allowed]
    return unknown[0] if unknown else None


# ---- what: a message in the words of the schema's annotations --------------------------------------


def _message(root: dict[str, Any], error: Any) -> str:
    kind = error.validator
    if _is_name_error(error):
        return _name_message(root, error)
    where = _object_label(root, error)
    prefix = f"{where}: " if where else ""
    if kind == "required" and "x-required-message" in error.schema:
        return str(error.schema["x-required-message"])
    if kind == "required":
        missing = _quoted_name(error.message)
        return f"missing {missing}" + (f" in {where}" if where else "")
    if kind == "additionalProperties":
        node = error.instance
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [k for k in node if k not in allowed] if isinstance(node, dict) else []
        key = unknown[0] if unknown else "?"
        label = where or _document_label(root)
        return f"unknown key {key!r} in {label} (expected: {', '.join(allowed)})"
    field = _field_name(error)
    note = error.schema.get("x-message") or _default_note(error)
    subject = f"{field} " if field else "value "
    if kind == "enum" and "x-message" not in error.schema:
        return f"{prefix}{subject}must be one of {', '.join(_choice(v) for v in error.validator_value)}"
    return f"{prefix}{subject}{note}"


def _choice(value: Any) -> str:
    """An enum value as written in a message: bare when it reads unambiguously, else quoted."""
    text = str(value)
    return text if re.fullmatch(r"[\w().-]+", text) else json.dumps(value)


def _name_message(root: dict[str, Any], error: Any) -> str:
    """``variable name 'Bad' must be lower_snake_case``: named after what the mapping holds."""
    steps = list(error.absolute_schema_path)
    container: Any = root
    for step in steps[: steps.index("propertyNames")]:
        container = _resolve(root, container["$ref"]) if step == "$ref" else container[step]
    values = container.get("additionalProperties")
    if isinstance(values, dict) and "$ref" in values:
        values = _resolve(root, values["$ref"])
    title = values.get("title", "") if isinstance(values, dict) else ""
    what = title.replace("{key}", "").strip() or "key"
    note = error.schema.get("x-message") or _default_note(error)
    return f"{what} name {error.instance!r} {note}"


def _quoted_name(message: str) -> str:
    # jsonschema says "'title' is a required property": the name is the quoted part.
    return message.split(" is a required property")[0]


def _field_name(error: Any) -> str:
    path = list(error.absolute_path)
    if not path:
        return ""
    last = path[-1]
    if isinstance(last, int):
        parent = next((p for p in reversed(path) if isinstance(p, str)), None)
        return f"{parent}[{last + 1}]" if parent else f"item {last + 1}"
    return str(last)


def _default_note(error: Any) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "type":
        words = {
            "object": "a mapping",
            "array": "a list",
            "string": "text",
            "integer": "a whole number",
            "number": "a number",
            "boolean": "true or false",
        }
        kinds = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(words.get(k, k) for k in kinds)
    if kind == "minLength":
        return "must not be empty"
    if kind == "pattern":
        return f"must match {value}"
    if kind == "const":
        return f"must be {value!r}"
    if kind in ("minimum", "maximum"):
        return f"must be {'at least' if kind == 'minimum' else 'at most'} {value}"
    if kind == "minItems":
        return "must not be empty"
    if kind == "uniqueItems":
        return "must not repeat an item"
    return error.message


def _document_label(root: dict[str, Any]) -> str:
    return str(root.get("title", "the document"))


def _object_label(root: dict[str, Any], error: Any) -> str:
    """The label of the innermost titled object the error sits in ("" for the document itself).

    Walks the schema along ``error.absolute_schema_path`` (jsonschema records the path through a
    ``$ref`` without the ``$ref`` step, so a step missing from a node means: resolve its ``$ref``
    first), remembering the last titled object schema and the instance key it was reached under.
    An object's own failures (``required``, ``additionalProperties``) name that object; a value's
    failure names the object holding the value.
    """
    steps = list(error.absolute_schema_path)
    instance = list(error.absolute_path)
    node: Any = root
    label, depth, i = "", 0, 0
    while i < len(steps):
        step = steps[i]
        if isinstance(node, dict) and step not in node and "$ref" in node:
            node = _resolve(root, node["$ref"])
            continue
        if i == len(steps) - 1:  # the failing keyword itself
            break
        if _titled_object(node, root):
            label = _format_label(node["title"], instance[:depth])
        if step in ("properties", "patternProperties"):
            node, depth, i = node[step][steps[i + 1]], depth + 1, i + 2
        elif step in ("additionalProperties", "items"):
            node, depth, i = node[step], depth + 1, i + 1
        else:  # then, else, allOf/N ...: the same instance, a narrower schema
            node, i = node[step], i + 1
    if error.validator in ("required", "additionalProperties"):
        return _format_label(node["title"], instance[:depth]) if _titled_object(node, root) else ""
    return label


def _titled_object(node: Any, root: dict[str, Any]) -> bool:
    return isinstance(node, dict) and node is not root and "title" in node


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def _format_label(title: str, instance_steps: Sequence[Any]) -> str:
    if "{key}" not in title:
        return title
    key = instance_steps[-1] if instance_steps else "?"
    return title.replace("{key}", repr(key) if isinstance(key, str) else f"#{key + 1}")
