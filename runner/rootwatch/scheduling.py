"""A run's statements handed to its workers: each free worker takes the most urgent statement whose
kept relations are computed.

Submitted to a pool in a fixed order, a statement that reads kept rows (see
:mod:`rootwatch.computed_once`) held its worker until they were computed. At 10,000 accounts one
worker waited 0.09 s for ``trail_coverage`` and the other 0.1 s for ``root_usage_verdicts``,
while eight controls that read neither were queued behind them: a tenth of the run with a core
idle. Here a worker that is free takes the first statement that can start now.

Which first: the one with the longest chain of work behind it, its own estimated cost plus that of
the costliest chain of statements waiting for it (the *height*, as in list scheduling). A kept
relation that others wait for comes before the statements that read nothing kept, so that the
chain trail_coverage -> root_usage_verdicts -> root_activity_alerted, the run's longest, starts
at once and never waits for a free worker behind shorter statements. Equal heights keep the order
given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Task(Generic[T]):
    """One statement of a run."""

    key: str
    """Unique within a schedule: a kept relation's name, a control's id."""
    run: Callable[[], T]
    needs: tuple[str, ...] = ()
    """Keys of the tasks that must have finished before this one starts."""
    cost: int = 0
    """Its estimated cost, in any unit the schedule's tasks share (the runner: the SQL's length)."""


class Schedule(Generic[T]):
    """``tasks`` handed out by :meth:`next`, each once, when the tasks it needs have finished.

    Thread-safe: every worker calls :meth:`next`, runs the task, then calls :meth:`finished`.
    """

    def __init__(self, tasks: Sequence[Task[T]]) -> None:
        keys = {task.key for task in tasks}
        if len(keys) != len(tasks):
            raise ValueError("task keys must be unique")
        self._pending = _by_height(tasks, keys)
        self._unfinished = {task.key for task in tasks}
        self._stopped = False
        self._changed = threading.Condition()

    def next(self) -> Task[T] | None:
        """The most urgent task that can start now, waiting while none can; None when every task
        has been handed out, or after :meth:`stop`."""
        with self._changed:
            while True:
                if self._stopped or not self._pending:
                    return None
                for at, task in enumerate(self._pending):
                    if not any(need in self._unfinished for need in task.needs):
                        return self._pending.pop(at)
                self._changed.wait()

    def finished(self, task: Task[T]) -> None:
        """``task`` has ended (whatever its outcome): the tasks that need it may start."""
        with self._changed:
            self._unfinished.discard(task.key)
            self._changed.notify_all()

    def stop(self) -> None:
        """Hand out no more tasks (the run is interrupted); workers waiting in :meth:`next` get None."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()


def _by_height(tasks: Sequence[Task[T]], keys: set[str]) -> list[Task[T]]:
    """``tasks``, the highest first (equal heights in the order given: the sort is stable): a task's
    cost plus the highest height among those needing it. A need that is no task's key is taken as met."""
    waiting: dict[str, list[Task[T]]] = {}
    for task in tasks:
        for need in task.needs:
            if need in keys:
                waiting.setdefault(need, []).append(task)
    heights: dict[str, int] = {}

    def height(task: Task[T]) -> int:
        found = heights.get(task.key)
        if found is None:  # needs never form a cycle: the relations' loader refuses one
            found = heights[task.key] = task.cost + max((height(t) for t in waiting.get(task.key, ())), default=0)
        return found

    return sorted(tasks, key=lambda task: -height(task))
