"""YAML loading that remembers line numbers, so problems can name ``file:line``."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from rootwatch.errors import InputError, Problem


class LineDict(dict):
    """A mapping from YAML that knows the line of itself and of each key (1-based)."""

    line: int | None = None

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)


@cache
def _line_loader() -> Any:
    """The SafeLoader (libyaml's where installed) that builds :class:`LineDict` mappings."""
    import yaml

    class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
        loader.flatten_mapping(node)
        data = LineDict()
        data.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in data:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            data[key] = loader.construct_object(value_node, deep=True)
            data.key_lines[key] = key_node.start_mark.line + 1
        return data

    LineLoader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    return LineLoader


def load_yaml_text(text: str, path: Path | None) -> Any:
    """Parse YAML text; mappings come back as :class:`LineDict`.

    A document parsed once is kept (line numbers and all) in the user's cache directory, keyed by
    its text, PyYAML's version and this module's code (:mod:`rootwatch.diskcache`): a mod's YAML is
    read back as JSON on later runs, without importing PyYAML.
    """
    from rootwatch import diskcache

    key = _document_key(text)
    kept = diskcache.read_entry("yaml", key, object_hook=_decode)
    if kept is not None:
        return kept[0]
    import yaml

    try:
        document = yaml.load(text, Loader=_line_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(Problem(path, line, f"invalid YAML: {problem}")) from None
    try:
        encoded = [_encode(document)]
    except TypeError:
        return document  # a value JSON cannot hold (binary, a set): parsed again next time
    diskcache.write_entry("yaml", key, encoded)
    return document


@cache
def _code_digest() -> str:
    import hashlib

    from rootwatch import diskcache

    own = Path(__file__).read_bytes()
    return hashlib.sha256(own + diskcache.installed_version("yaml", "pyyaml").encode()).hexdigest()


def _document_key(text: str) -> str:
    import hashlib

    return hashlib.sha256(f"yaml:1:{_code_digest()}:".encode() + text.encode("utf-8", "surrogatepass")).hexdigest()


# Kept documents are JSON: a mapping is {"\0map": [line, [[key, key line, value], ...]]} (keys of
# any YAML scalar type, line numbers kept), a timestamp {"\0time": [kind, ISO text]}.
_MAP, _TIME = "\0map", "\0time"


def _encode(value: Any) -> Any:
    if isinstance(value, LineDict):
        return {_MAP: [value.line, [[_encode(k), value.key_lines.get(k), _encode(v)] for k, v in value.items()]]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {_TIME: ["datetime", value.isoformat()]}
    if isinstance(value, date):
        return {_TIME: ["date", value.isoformat()]}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"not kept: {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if _MAP in obj:
        line, items = obj[_MAP]
        data = LineDict()
        data.line = line
        for key, key_line, value in items:
            key = tuple(key) if isinstance(key, list) else key
            data[key] = value
            if key_line is not None:
                data.key_lines[key] = key_line
        return data
    if _TIME in obj:
        kind, text = obj[_TIME]
        return datetime.fromisoformat(text) if kind == "datetime" else date.fromisoformat(text)
    return obj


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; mappings come back as :class:`LineDict`."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(Problem(path, None, f"cannot read: {exc.strerror}")) from None
    except UnicodeDecodeError:
        raise InputError(Problem(path, None, "not UTF-8 text")) from None
    return load_yaml_text(text, path)


def line_of(data: Any, key: Any = None) -> int | None:
    """The line of ``data`` (or of ``key`` in it) when known."""
    if isinstance(data, LineDict):
        return data.line_of(key) if key is not None else data.line
    return None
