"""Options of a run, travelling as one frozen value rather than a dozen arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ProgressCallback = Callable[[int, int, str], None]
"""Called as (controls done, controls in all, id of the control just finished)."""


@dataclass(frozen=True)
class RunOptions:
    """How to run controls: variable values, the as-of instant, which controls, how many at once."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    as_of: datetime | None = None
    """The instant clock reads are pinned to; None means the engine's default."""
    tags: tuple[tuple[str, str], ...] = ()
    """Only controls whose tags match every (key, value) pair run."""
    select: Callable[[Any], bool] | None = None
    """Only control nodes for which this returns True run (``--where``; see rootwatch.selection)."""
    max_parallel: int = 10
    progress: ProgressCallback | None = None
