"""Reading one input file: JSON with line-numbered errors, and transform errors located in the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rootwatch.errors import Problem
from rootwatch.snapshot import strict_json
from rootwatch.snapshot.transforms import TransformError

T = TypeVar("T")


class BadFile(Exception):
    """An input file that cannot be used; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadFile(Problem(path, None, f"cannot read: {exc.strerror or exc}")) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadFile(Problem(path, line, "not UTF-8 text")) from None


def read_json(path: Path, command: str | None = None) -> Any:
    """The parsed JSON of ``path``; an empty file or invalid JSON (strictly: no duplicate keys, no
    NaN, see :mod:`rootwatch.snapshot.strict_json`) is a BadFile naming the line."""
    text = read_text(path)
    if not text.strip():
        what = f" (expected the output of {command})" if command else ""
        raise BadFile(Problem(path, None, f"empty file{what}"))
    try:
        return strict_json.loads(text)
    except strict_json.StrictJsonError as exc:
        column = f" at column {exc.column}" if exc.column is not None else ""
        raise BadFile(Problem(path, exc.line, f"invalid JSON{column}: {exc.message}")) from None


def transformed(path: Path, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` with a TransformError turned into a BadFile located in ``path``."""
    try:
        return function(*args, **kwargs)
    except TransformError as exc:
        raise BadFile(Problem(path, exc.line, exc.message)) from None
