"""Typed exceptions of the rootwatch library.

The library raises these; the command line translates them once, at its edge, into a message on
stderr and an exit code, so a user never sees a traceback for bad input. Each message names the file,
line or option at fault and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rootwatch.exitcodes import ExitCode


class RootwatchError(Exception):
    """Base of every error the command line reports without a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(RootwatchError):
    """A command-line option or argument is wrong."""


class ConfigError(RootwatchError):
    """The mod (mod.yaml, controls, queries) or a variable file is invalid."""


# The command that lists each kind of name.
_LIST_COMMANDS = {"benchmark": "benchmark", "control": "control", "query": "query", "variable": "var"}


class UnknownNameError(UsageError):
    """A benchmark, control, query or variable name that does not exist."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        from rootwatch.suggest import did_you_mean

        suggestion = did_you_mean(name, known)
        if suggestion:
            hint = f"did you mean {suggestion!r}?"
        elif kind in _LIST_COMMANDS:
            hint = f"'rootwatch {_LIST_COMMANDS[kind]} list' shows them"
        else:
            hint = f"known: {', '.join(known)}"
        super().__init__(f"unknown {kind} {name!r}", hint=hint)
        self.kind = kind
        self.name = name


class VariableError(UsageError):
    """A variable value is missing, unknown or of the wrong type."""


class ConnectionFailed(RootwatchError):
    """The database or snapshot cannot be opened."""


class SqlError(RootwatchError):
    """A control or query cannot be parsed, bound or transpiled.

    Given a :class:`Problem` (a parse error, say), it keeps it in ``problem``, so that
    ``rootwatch check`` can sort it by file and line with the file's other problems.
    """

    def __init__(self, problem: Problem | str, *, hint: str | None = None) -> None:
        self.problem = problem if isinstance(problem, Problem) else None
        super().__init__(str(problem), hint=hint)


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input, located as precisely as possible."""

    path: Path | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        return where + self.message


class InputError(RootwatchError):
    """Input files (snapshot sources, variable files, result files) are unreadable or malformed."""

    def __init__(self, problem: Problem | str, *, hint: str | None = None) -> None:
        self.problem = problem if isinstance(problem, Problem) else Problem(None, None, problem)
        super().__init__(str(self.problem), hint=hint)


class ValidationFailed(ConfigError):
    """Several problems found at once (``rootwatch check``, mod loading)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the mod:\n{lines}")
