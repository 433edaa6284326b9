"""The ``none`` format: prints nothing; the exit code and exports carry the result."""

from __future__ import annotations

from rootwatch.results import RunResult


def render(result: RunResult) -> str:
    return ""
