"""The order a run's statements are handed to its workers (rootwatch.scheduling)."""

from __future__ import annotations

import threading
import time

import pytest

from rootwatch.scheduling import Schedule, Task


def _noop() -> None:
    return None


def _drain(schedule: Schedule[None]) -> list[str]:
    """Keys in the order one worker gets them, finishing each at once."""
    order = []
    while (task := schedule.next()) is not None:
        order.append(task.key)
        schedule.finished(task)
    return order


def test_the_highest_task_that_can_start_goes_first() -> None:
    # chain: coverage (10) -> verdicts (30) -> alerted (30), heights 70, 60, 30; leaves 40 and 5
    tasks = [
        Task("short", _noop, cost=5),
        Task("long", _noop, cost=40),
        Task("alerted", _noop, needs=("verdicts",), cost=30),
        Task("verdicts", _noop, needs=("coverage",), cost=30),
        Task("coverage", _noop, cost=10),
    ]
    assert _drain(Schedule(tasks)) == ["coverage", "verdicts", "long", "alerted", "short"]


def test_equal_heights_keep_the_order_given() -> None:
    tasks = [Task(key, _noop) for key in ("c", "a", "b")]
    assert _drain(Schedule(tasks)) == ["c", "a", "b"]


def test_a_free_worker_takes_a_ready_task_instead_of_waiting_for_a_more_urgent_one() -> None:
    schedule: Schedule[None] = Schedule(
        [Task("first", _noop, cost=10), Task("after", _noop, needs=("first",), cost=100), Task("leaf", _noop, cost=1)]
    )
    first = schedule.next()
    assert first is not None and first.key == "first"
    # "after" is the most urgent, but "first" is still running: the other worker takes the leaf.
    leaf = schedule.next()
    assert leaf is not None and leaf.key == "leaf"
    schedule.finished(leaf)
    taken: list[str] = []
    waiting = threading.Thread(target=lambda: taken.append(schedule.next().key))  # type: ignore[union-attr]
    waiting.start()
    time.sleep(0.1)
    assert taken == [], "a task was handed out before what it needs had finished"
    schedule.finished(first)
    waiting.join(5)
    assert taken == ["after"]
    assert schedule.next() is None


def test_a_stopped_schedule_hands_out_nothing_and_wakes_its_waiting_workers() -> None:
    schedule: Schedule[None] = Schedule([Task("running", _noop), Task("waits", _noop, needs=("running",))])
    assert schedule.next() is not None
    got: list[object] = []
    waiting = threading.Thread(target=lambda: got.append(schedule.next()))
    waiting.start()
    schedule.stop()
    waiting.join(5)
    assert got == [None]


def test_a_need_that_is_no_task_is_met_and_keys_are_unique() -> None:
    assert _drain(Schedule([Task("reader", _noop, needs=("computed elsewhere",))])) == ["reader"]
    with pytest.raises(ValueError, match="unique"):
        Schedule([Task("twice", _noop), Task("twice", _noop)])
