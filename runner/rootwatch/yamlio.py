"""YAML loading that remembers line numbers, so problems can name ``file:line``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rootwatch.errors import InputError, Problem

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):
    """A mapping from YAML that knows the line of itself and of each key (1-based)."""

    line: int | None = None

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int | None:
        return self.key_lines.get(key, self.line)


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    data = LineDict()
    data.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1
    return data


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load_yaml_text(text: str, path: Path | None) -> Any:
    """Parse YAML text; mappings come back as :class:`LineDict`."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(Problem(path, line, f"invalid YAML: {problem}")) from None


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
